"""Management commands: stylize, load_styles, create_default_styles."""

from __future__ import annotations

import numpy as np
import pytest
from django.core.management import CommandError, call_command
from PIL import Image

from gallery.models import Style
from stylizer.textures import GENERATORS

from .helpers import CONTENT_DIR, STYLES_DIR, UPLOADS_DIR, png_bytes


def test_stylize_writes_a_jpeg_of_the_photos_size(tmp_path, capsys):
    out = tmp_path / "out" / "coffee_scream.jpg"
    call_command("stylize", str(CONTENT_DIR / "coffee.png"), str(STYLES_DIR / "the_scream.jpg"), "-o", str(out))
    with Image.open(out) as result:
        assert (result.format, result.size) == ("JPEG", (600, 400))
        stylized = np.asarray(result.convert("RGB"), dtype=np.float64)
    photo = np.asarray(Image.open(CONTENT_DIR / "coffee.png").convert("RGB"), dtype=np.float64)
    assert np.abs(stylized - photo).mean() > 10
    printed = capsys.readouterr().out
    assert "600x400 px" in printed
    assert " s " in printed


def test_stylize_max_side(tmp_path, capsys):
    out = tmp_path / "small.jpg"
    call_command(
        "stylize", str(CONTENT_DIR / "hubble_deep_field.jpg"), str(STYLES_DIR / "udnie.jpg"),
        "-o", str(out), "--max-side", "256", "--engine", "onnx",
    )  # fmt: skip
    assert Image.open(out).size == (256, 223)


def test_stylize_reports_bad_input_as_a_command_error(tmp_path):
    with pytest.raises(CommandError, match="damaged"):
        call_command(
            "stylize",
            str(UPLOADS_DIR / "truncated_jpeg.jpg"),
            str(STYLES_DIR / "udnie.jpg"),
            "-o",
            str(tmp_path / "x.jpg"),
        )
    with pytest.raises(CommandError, match="No such file"):
        call_command(
            "stylize", str(tmp_path / "missing.jpg"), str(STYLES_DIR / "udnie.jpg"), "-o", str(tmp_path / "x.jpg")
        )


def _rgb(path) -> np.ndarray:
    with Image.open(path) as image:
        return np.asarray(image.convert("RGB"), dtype=np.float64)


def test_stylize_at_strength_0_writes_the_photo_itself_as_png(tmp_path):
    out = tmp_path / "same.png"
    call_command(
        "stylize",
        "--strength",
        "0",
        str(CONTENT_DIR / "coffee.png"),
        str(STYLES_DIR / "the_scream.jpg"),
        "-o",
        str(out),
    )
    assert Image.open(out).format == "PNG"
    assert np.abs(_rgb(out) - _rgb(CONTENT_DIR / "coffee.png")).mean() < 1


def test_stylize_takes_every_control_and_paints_as_the_site_does(tmp_path, alice, public_style):
    from gallery.models import Style
    from gallery.tasks import stylize_stylization

    from .helpers import make_stylization

    with Image.open(STYLES_DIR / "the_scream.jpg") as image:
        scream = Style.objects.create_from_image(image.convert("RGB"), title="The Scream", is_public=True)
    out = tmp_path / "mix.jpg"  # encoded as the site encodes its results
    # the style images as the site stores them
    stored = []
    for style in (public_style, scream):
        stored.append(tmp_path / f"{style.pk}.{style.image.name.rsplit('.', 1)[-1]}")
        stored[-1].write_bytes(style.image.open("rb").read())
    mix = [str(CONTENT_DIR / "rocket.jpg"), *map(str, stored)]
    call_command(
        "stylize", *mix,
        "--weights", "2", "1", "--strength", "60", "--brush", "broad", "--colors", "50", "--max-side", "512",
        "-o", str(out),
    )  # fmt: skip
    cli = _rgb(out)
    assert cli.shape == (342, 512, 3)
    site = make_stylization(
        alice,
        [(public_style, 2.0), (scream, 1.0)],
        (CONTENT_DIR / "rocket.jpg").read_bytes(),
        name="photo.jpg",
        max_side=512,
        strength=0.6,
        colors=0.5,
        brush="broad",
    )
    assert stylize_stylization(str(site.pk)) == "done"
    site.refresh_from_db()
    site_result = _rgb(site.result_image.open("rb"))
    # the same picture
    assert np.abs(site_result - cli).mean() < 0.05
    # and each control changes it
    plain = tmp_path / "plain.png"
    call_command(
        "stylize", *mix,
        "--weights", "2", "1", "--max-side", "512", "-o", str(plain),
    )  # fmt: skip
    assert np.abs(_rgb(plain) - cli).mean() > 5


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--weights", "1", "2"], "one positive number per style"),
        (["--max-side", "9000"], "--max-side must be from 16 to 4096 px"),
        (["--strength", "150"], "percentage from 0 to 100"),
        (["--colors", "half"], "percentage from 0 to 100"),
        (["--brush", "huge"], "invalid choice"),
    ],
)
def test_stylize_refuses_bad_controls_with_a_message(tmp_path, arguments, message):
    with pytest.raises(CommandError, match=message):
        call_command(
            "stylize", str(CONTENT_DIR / "coffee.png"), str(STYLES_DIR / "udnie.jpg"), *arguments,
            "-o", str(tmp_path / "x.jpg"),
        )  # fmt: skip
    assert not (tmp_path / "x.jpg").exists()


def test_load_styles_adds_every_image_once_with_the_manifests_titles(db, capsys):
    call_command("load_styles", str(STYLES_DIR), "--licence", "Public domain")
    assert Style.objects.filter(owner=None, is_public=True).count() == 10
    starry = Style.objects.get(title="The Starry Night")
    assert (starry.width, starry.height) == (1024, 640)
    assert (starry.artist, starry.licence) == ("Vincent van Gogh, 1889", "Public domain")
    assert Style.objects.filter(title="Composition VII").exists()
    assert "10 styles added, 0 already present, 0 not usable images" in capsys.readouterr().out
    call_command("load_styles", str(STYLES_DIR))
    assert Style.objects.count() == 10


def test_load_styles_without_a_manifest_titles_from_file_names(db, tmp_path, capsys):
    (tmp_path / "blue_period-2.png").write_bytes(png_bytes(300, 200, (20, 40, 200)))
    (tmp_path / "notes.txt").write_text("not an image")
    call_command("load_styles", str(tmp_path))
    assert [s.title for s in Style.objects.all()] == ["Blue Period 2"]
    output = capsys.readouterr().out
    assert "skipped notes.txt, not a usable image" in output
    assert "1 styles added, 0 already present, 1 not usable images" in output


def test_create_default_styles_makes_the_procedural_styles_once(db):
    call_command("create_default_styles", "--size", "128")
    styles = Style.objects.filter(owner=None, is_public=True)
    assert sorted(s.title for s in styles) == sorted(GENERATORS)
    for style in styles:
        with Image.open(style.image.open("rb")) as image:
            assert image.size == (128, 128)
            assert np.asarray(image).std() > 20, f"{style.title} should be a textured image"
    call_command("create_default_styles", "--size", "128")
    assert Style.objects.count() == len(GENERATORS)


def test_stylize_paints_a_clip_to_an_mp4_with_its_sound(tmp_path, capsys):
    from . import clipmaker

    source = clipmaker.write_clip(tmp_path / "c.mp4", clipmaker.pan((320, 180), 20), audio_seconds=0.8, rotation=90)
    out = tmp_path / "out" / "painted.mp4"
    call_command("stylize", str(source), str(STYLES_DIR / "the_scream.jpg"), "-o", str(out), "--brush", "bold")
    frames, times, facts = clipmaker.read_video(out)
    assert len(frames) == 20 and (facts["width"], facts["height"]) == (180, 320)
    assert facts["audio"] == "aac" and times[-1] == pytest.approx(0.76, abs=0.01)
    said = capsys.readouterr().out
    assert f"{out}: 180x320 px, 20 frames (0.8 s, with its sound), stylized in " in said
    with pytest.raises(CommandError, match=r"this clip is a video: name the output \*\.mp4"):
        call_command("stylize", str(source), str(STYLES_DIR / "the_scream.jpg"), "-o", str(tmp_path / "x.jpg"))
    with pytest.raises(CommandError, match="--max-side must be from 16 to 1080 px for a clip"):
        call_command("stylize", str(source), str(STYLES_DIR / "the_scream.jpg"), "-o", str(out), "--max-side", "2048")
    truncated = tmp_path / "cut.mp4"
    truncated.write_bytes(source.read_bytes()[:2000])
    with pytest.raises(CommandError, match="This clip is damaged or incomplete"):
        call_command("stylize", str(truncated), str(STYLES_DIR / "the_scream.jpg"), "-o", str(out))
