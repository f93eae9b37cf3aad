"""Side by side: the int8 transfer graph against the folded float32 one that PicStylist runs.

    .venv/bin/python benchmarks/fold_compare.py [--side 1024] [--out var/benchmarks/fold_side_by_side.jpg]

For every photo in ../shared/testdata/content/ with The Starry Night: prints
the mean and largest absolute difference on [0, 1] images, and writes one
picture with a row per photo: int8 | folded | difference x 10.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from PIL import Image

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
SHARED = REPO.parent / "shared" / "testdata"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--side", type=int, default=1024, help="long side of each photo (px)")
    parser.add_argument("--out", type=Path, default=REPO / "var" / "benchmarks" / "fold_side_by_side.jpg")
    args = parser.parse_args()

    from stylizer.engines import OnnxEngine
    from stylizer.pipeline import fit_long_side, to_array

    folded = OnnxEngine(float_weights=True)
    int8 = OnnxEngine(float_weights=False)
    bottleneck = folded.style_bottleneck(np.asarray(Image.open(SHARED / "styles" / "starry_night.jpg").convert("RGB")))
    rows = []
    for path in sorted((SHARED / "content").glob("*")):
        if path.suffix.lower() not in {".png", ".jpg", ".jpeg"}:
            continue
        content = to_array(fit_long_side(Image.open(path).convert("RGB"), args.side))
        a, b = int8.transfer(content, bottleneck), folded.transfer(content, bottleneck)
        difference = np.abs(a.astype(np.float64) - b.astype(np.float64)) / 255
        print(f"{path.name:28s} mean {difference.mean():.4f}  max {difference.max():.3f}")
        amplified = np.clip(difference * 10 * 255, 0, 255).astype(np.uint8)
        rows.append(np.concatenate([a, b, amplified], axis=1))
    width = max(row.shape[1] for row in rows)
    sheet = np.concatenate([np.pad(row, ((0, 0), (0, width - row.shape[1]), (0, 0))) for row in rows], axis=0)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(sheet).save(args.out, quality=90)
    print(f"written to {args.out}")


if __name__ == "__main__":
    main()
