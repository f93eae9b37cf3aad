"""Steadying a clip's stylized frames: less flicker, no ghosts.

The style transfer network paints each frame on its own, and it amplifies
what changes between frames: sensor noise on a still shot becomes brush work
that shimmers, and a pan repaints the same wall differently in every frame.
:class:`Steadier` works on both sides of the network, wherever dense
optical flow carries the previous frame onto the current one faithfully
(outside occlusions and scene cuts):

- before it, the frame's noise is averaged along the motion (a recursive,
  motion-compensated temporal filter), so the network is shown the same
  scene the same way from frame to frame;
- after it, the painting is blended with the previous *result* warped to
  the current frame: the output-side temporal blending of Lai et al.,
  "Learning Blind Video Temporal Consistency" (ECCV 2018), which warps the
  previous output by flow and masks occlusions, done here as a fixed filter
  rather than a trained network; the real-time recursive form follows
  Shekhar, Reimann et al., "Interactive Control over Temporal Consistency
  while Stylizing Video Streams" (EGSR 2023).

Per pixel, with ``w(x)`` the warp of the previous frame's ``x`` by the flow
from the current frame to the previous one::

    frame painted = frame + denoise * trust * (w(frame painted) - frame)
    result = painting + blend * trust * (w(result) - painting)

``trust`` is 1 where the blurred current frame and the warped blurred
previous frame agree within :data:`TRUST_FULL` grey levels, 0 past
:data:`TRUST_NONE`, linear between; and 0 where the forward and backward
flows disagree (the consistency check of Sundaram, Brox, Keutzer, "Dense
Point Trajectories by GPU-Accelerated Large Displacement Optical Flow",
ECCV 2010, as used for video style transfer by Ruder, Dosovitskiy, Brox,
GCPR 2016), widened by :data:`OCCLUSION_MARGIN` px: the ground a moving
subject uncovers, where a smooth flow drags the subject's motion into a
background that matches it, and a cut, take the frame's own painting at
once, so nothing trails behind them.

Flow: OpenCV's DIS (Kroeger et al., "Fast Optical Flow using Dense Inverse
Search", ECCV 2016), on grey frames blurred to keep noise from moving it, at
most :data:`FLOW_SIDE` px on the long side. Figures (flicker on a still
noisy shot, warped difference on a pan, distance from the single-frame
stylization) are in ``benchmarks/RESULTS.md``, measured by
``benchmarks/clips.py``.
"""

from __future__ import annotations

import cv2
import numpy as np

#: The previous result's share where the warp is trusted (0: no blending of the paintings).
DEFAULT_BLEND = 0.8
#: The previous (cleaned) input frame's share where the warp is trusted (0: no denoising of the input).
DEFAULT_DENOISE = 0.8
#: Grey-level (0-255) difference between the frame and the warped previous frame,
#: both blurred, up to which the warp is fully trusted, and from which not at all.
TRUST_FULL = 4.0
TRUST_NONE = 12.0
#: Forward-backward flow disagreement (px squared) tolerated beyond 1 % of the flows' own squared length.
CONSISTENCY_TOLERANCE = 4.0
#: Margin (px of the frames the flow is computed on) around inconsistent flow also not trusted.
OCCLUSION_MARGIN = 4
#: Long side (px) at most of the frames the flow is computed on.
FLOW_SIDE = 640
#: Gaussian sigma (px) of the blur before the flow and the trust test.
BLUR_SIGMA = 1.0


def _grey(frame: np.ndarray) -> np.ndarray:
    grey: np.ndarray = cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY)
    return grey


def warp(image: np.ndarray, flow: np.ndarray) -> np.ndarray:
    """``image`` sampled at ``x + flow(x)`` (bilinear, edges replicated).

    Args:
        image: H x W or H x W x C, uint8 or float32.
        flow: float32 H x W x 2, px (dx, dy).

    Returns:
        The warped image, ``image``'s dtype and shape.
    """
    height, width = flow.shape[:2]
    grid_x, grid_y = np.meshgrid(np.arange(width, dtype=np.float32), np.arange(height, dtype=np.float32))
    warped: np.ndarray = cv2.remap(
        image, grid_x + flow[..., 0], grid_y + flow[..., 1], cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
    )
    return warped


class FlowEstimator:
    """Dense optical flow between consecutive frames (DIS, OpenCV's medium preset)."""

    def __init__(self, max_side: int = FLOW_SIDE) -> None:
        self.max_side = max_side
        self._dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)  # type: ignore[attr-defined]

    def __call__(self, frame: np.ndarray, previous: np.ndarray) -> np.ndarray:
        """float32 H x W x 2 (px at ``frame``'s size): ``frame(x)`` is ``previous(x + flow(x))``.

        Args:
            frame, previous: uint8 H x W x 3 RGB of one size.
        """
        height, width = frame.shape[:2]
        scale = min(1.0, self.max_side / max(height, width))
        small = (max(1, round(width * scale)), max(1, round(height * scale)))
        grey_now, grey_before = (
            cv2.GaussianBlur(cv2.resize(_grey(image), small, interpolation=cv2.INTER_AREA), (0, 0), BLUR_SIGMA)
            for image in (frame, previous)
        )
        flow: np.ndarray = self._dis.calc(grey_now, grey_before, None)
        if scale < 1.0:
            flow = cv2.resize(flow, (width, height), interpolation=cv2.INTER_LINEAR) / np.float32(scale)
        return flow


def trust(frame: np.ndarray, previous: np.ndarray, flow: np.ndarray, backward: np.ndarray | None = None) -> np.ndarray:
    """float32 H x W in [0, 1]: how far the warp of ``previous`` by ``flow`` can stand in for ``frame``.

    1 where the blurred grey frames differ by at most :data:`TRUST_FULL`
    levels after the warp, 0 from :data:`TRUST_NONE` (new content, cuts).
    With ``backward`` (the flow from ``previous`` to ``frame``), also 0
    where following ``flow`` then ``backward`` does not come back within
    :data:`CONSISTENCY_TOLERANCE` (occlusions and uncovered ground), and
    within :data:`OCCLUSION_MARGIN` of there.
    """
    now = cv2.GaussianBlur(_grey(frame).astype(np.float32), (0, 0), 1.5)
    before = cv2.GaussianBlur(_grey(previous).astype(np.float32), (0, 0), 1.5)
    error = np.abs(now - warp(before, flow))
    weight: np.ndarray = np.clip((TRUST_NONE - error) / (TRUST_NONE - TRUST_FULL), 0.0, 1.0)
    if backward is not None:
        back = warp(backward, flow)
        mismatch = np.sum((flow + back) ** 2, axis=2)
        allowed = 0.01 * (np.sum(flow**2, axis=2) + np.sum(back**2, axis=2)) + CONSISTENCY_TOLERANCE
        consistent = (mismatch <= allowed).astype(np.float32)
        margin = round(OCCLUSION_MARGIN * max(1.0, max(frame.shape[:2]) / FLOW_SIDE))
        weight *= cv2.erode(consistent, np.ones((2 * margin + 1, 2 * margin + 1), np.uint8))
    return weight


class Steadier:
    """Steadies a clip, one frame at a time, in display order, on both sides of the network.

    For each frame: ``steadier.input(frame)`` gives the frame to paint, its
    noise averaged along the motion (each frame blended with the previous
    one so made, warped by the flow, with weight ``denoise`` times the
    trust), so the network sees the same scene the same way from frame to
    frame and paints it crisply; then ``steadier.output(painting)`` gives the
    result, the painting blended the same way with the previous result
    (weight ``blend``), which holds the strokes the network still paints
    differently from one frame to the next (under a pan, above all). Frames
    are uint8 H x W x 3 RGB of one size for the whole clip; the first frame
    passes through both unchanged. ``denoise`` and ``blend`` 0 turn each side
    off.

    Output blending alone reached the flicker target too, but by averaging
    many different paintings of the noise, which washed the brushwork out in
    flat areas; sharing the work between both sides keeps more of it
    (figures in ``benchmarks/RESULTS.md``).
    """

    def __init__(
        self, blend: float = DEFAULT_BLEND, denoise: float = DEFAULT_DENOISE, flow: FlowEstimator | None = None
    ) -> None:
        for name, value in (("blend", blend), ("denoise", denoise)):
            if not 0.0 <= value < 1.0:
                raise ValueError(f"{name} must be within [0, 1), got {value}")
        self.blend, self.denoise = blend, denoise
        self.flow = flow or FlowEstimator()
        self._frame: np.ndarray | None = None  # the last input frame, as decoded
        self._cleaned: np.ndarray | None = None  # the last frame painted
        self._result: np.ndarray | None = None
        self._motion: tuple[np.ndarray, np.ndarray] | None = None  # flow to the previous frame, and its trust

    def input(self, frame: np.ndarray) -> np.ndarray:
        """The frame to paint (uint8 H x W x 3): ``frame`` with its noise averaged along the motion."""
        previous, cleaned = self._frame, self._cleaned
        self._motion = None
        if previous is not None and cleaned is not None and previous.shape == frame.shape:
            if self.blend or self.denoise:
                flow = self.flow(frame, previous)
                self._motion = flow, trust(frame, previous, flow, self.flow(previous, frame))
        self._frame = frame
        if self._motion is not None and cleaned is not None and self.denoise:
            frame = self._mix(frame, cleaned, self.denoise)
        self._cleaned = frame
        return frame

    def output(self, painting: np.ndarray) -> np.ndarray:
        """The steadied result (uint8 H x W x 3) of the painting of the frame last given to :meth:`input`."""
        if self._cleaned is None or painting.shape != self._cleaned.shape:
            raise ValueError("give each frame to input() first, and paint it at its size")
        result = self._result
        if self._motion is None or result is None or not self.blend:
            self._result = painting
        else:
            self._result = self._mix(painting, result, self.blend)
        return self._result

    def _mix(self, image: np.ndarray, previous: np.ndarray, share: float) -> np.ndarray:
        """``image`` blended with ``previous`` warped to it: ``share`` times the trust, per pixel."""
        if self._motion is None:
            return image
        flow, trusted = self._motion
        weight = (share * trusted)[..., None]
        base = image.astype(np.float32)
        mixed = base + weight * (warp(previous, flow).astype(np.float32) - base)
        return np.clip(np.rint(mixed), 0, 255).astype(np.uint8)
