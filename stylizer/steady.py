"""Steadying a clip's stylized frames: less flicker, no ghosts.

The style transfer network paints each frame on its own, and it amplifies
what changes between frames: sensor noise on a still shot becomes brush work
that shimmers. :class:`Steadier` blends each stylized frame with the previous
*result*, warped to the current frame by dense optical flow, wherever the
warp is trustworthy (outside occlusions and scene cuts); elsewhere the frame
keeps its own stylization. This is the output-side temporal blending of Lai
et al., "Learning Blind Video Temporal Consistency" (ECCV 2018), which warps
the previous output by flow and masks occlusions by the warped input's
error, done here as a fixed filter rather than a trained network; the
real-time recursive form follows Shekhar, Reimann et al., "Interactive
Control over Temporal Consistency while Stylizing Video Streams" (EGSR 2023).

Per pixel, with ``w`` the warp of the previous result by the flow from the
current frame to the previous one::

    result = painting + blend * trust * (w - painting)

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

#: The previous result's share where the warp is trusted (0: no steadying).
DEFAULT_BLEND = 0.85
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
    """Steadies a stream of stylized frames, one at a time, in display order.

    ``steadier(frame, painting)`` returns the steadied result of one frame:
    ``frame`` is the input frame and ``painting`` its own stylization, both
    uint8 H x W x 3 RGB of one size for the whole clip. The first frame's
    result is its painting. ``blend`` 0 turns steadying off.
    """

    def __init__(self, blend: float = DEFAULT_BLEND, flow: FlowEstimator | None = None) -> None:
        if not 0.0 <= blend < 1.0:
            raise ValueError(f"blend must be within [0, 1), got {blend}")
        self.blend = blend
        self.flow = flow or FlowEstimator()
        self._frame: np.ndarray | None = None
        self._result: np.ndarray | None = None

    def __call__(self, frame: np.ndarray, painting: np.ndarray) -> np.ndarray:
        if frame.shape != painting.shape:
            raise ValueError(f"frame {frame.shape} and painting {painting.shape} differ in size")
        previous, result = self._frame, self._result
        if previous is None or result is None or previous.shape != frame.shape or self.blend == 0.0:
            steadied = painting
        else:
            flow = self.flow(frame, previous)
            backward = self.flow(previous, frame)
            weight = (self.blend * trust(frame, previous, flow, backward))[..., None]
            base = painting.astype(np.float32)
            mixed = base + weight * (warp(result, flow).astype(np.float32) - base)
            steadied = np.clip(np.rint(mixed), 0, 255).astype(np.uint8)
        self._frame, self._result = frame, steadied
        return steadied
