"""What every stylization engine offers, and the errors engines raise.

Every engine keeps one contract::

    engine.stylize(content, style) -> image

where ``content`` is a uint8 array H x W x 3 (RGB, 0-255), ``style`` is a
uint8 array of any size h x w x 3, and the result is a uint8 array H x W x 3,
the content's own size.
"""

from __future__ import annotations

from typing import Any, Protocol, TypeGuard

import numpy as np
from numpy.typing import NDArray

#: An RGB image: uint8 array H x W x 3, values 0-255.
RGBImage = NDArray[np.uint8]
#: A float32 array (network inputs and outputs, bottlenecks).
Float32Array = NDArray[np.float32]


class EngineUnavailable(RuntimeError):
    """The engine's model cannot be loaded; the message says how to provide it."""


class UnsupportedControl(ValueError):
    """The engine cannot offer a requested control (strength, style mixing)."""


class StylizationEngine(Protocol):
    """A stylization engine (see the module's docstring for the contract)."""

    name: str
    #: Whether the engine exposes the style bottleneck (strength and style mixing).
    supports_bottleneck: bool

    def stylize(self, content: RGBImage, style: RGBImage) -> RGBImage:
        """Render uint8 H x W x 3 ``content`` in the style of uint8 h x w x 3 ``style``; uint8 H x W x 3 out."""
        ...

    def release_memory(self) -> None:
        """Hand buffers kept from the last call back to the system, where the engine can."""
        ...


class BottleneckEngine(StylizationEngine, Protocol):
    """An engine that exposes the style bottleneck (``supports_bottleneck`` is True): the two
    networks one by one, so that styles can be mixed and the strength set (Ghiasi et al. 2017, 3.1)."""

    def style_bottleneck(self, style: RGBImage) -> Float32Array:
        """The style prediction network: uint8 h x w x 3 style image -> float32 bottleneck (100 values)."""
        ...

    def transfer(self, content: RGBImage, bottleneck: NDArray[Any]) -> RGBImage:
        """The style transfer network: uint8 H x W x 3 content and a bottleneck -> uint8 H x W x 3."""
        ...


def has_bottleneck(engine: StylizationEngine) -> TypeGuard[BottleneckEngine]:
    """Whether ``engine`` offers :class:`BottleneckEngine`'s methods (its ``supports_bottleneck``)."""
    return engine.supports_bottleneck
