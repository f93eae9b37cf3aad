"""Rewrites of the transfer graph's size: any input size, and smooth upsampling."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from onnx import ModelProto


def make_resolution_independent(model: ModelProto) -> ModelProto:
    """Give the transfer graph symbolic height and width, in place.

    The graph is fully convolutional (its ``Resize`` ops use scales), but its
    declared input and output are 384 x 384. Naming those dims and dropping
    the stale ``value_info`` shapes lets onnxruntime run it at any size.

    Args:
        model: an ``onnx.ModelProto`` of ``arbitrary_transform.onnx``.

    Returns:
        The same ``ModelProto``.
    """
    for value in [model.graph.input[0], model.graph.output[0]]:
        dims = value.type.tensor_type.shape.dim
        dims[1].dim_param = "height"
        dims[2].dim_param = "width"
    del model.graph.value_info[:]
    return model


def smooth_upsampling(model: ModelProto) -> ModelProto:
    """Make the transfer network's upsampling bilinear instead of nearest-neighbour, in place.

    The decoder doubles the resolution twice with nearest-neighbour
    ``Resize`` ops (Ghiasi et al. 2017 follow Dumoulin et al.'s
    resize-convolution). On this int8 network that leaves a 4 px grid in flat
    areas, visible at 4x zoom: in the flattest 64 px blocks of the test
    photos the grid frequencies hold up to 10x the share of the
    luminance power they hold in the photo. Bilinear upsampling with
    half-pixel centres (``mode="linear"``, ``coordinate_transformation_mode=
    "half_pixel"``; Odena, Dumoulin, Olah, "Deconvolution and Checkerboard
    Artifacts", Distill 2016) brings it to the photo's own level; the
    strokes and colours stay (figures in QUALITY.md).

    Args:
        model: an ``onnx.ModelProto`` of the style transfer network.

    Returns:
        The same ``ModelProto``.
    """
    from onnx import helper  # lazy import of an optional heavy library

    for node in model.graph.node:
        if node.op_type != "Resize":
            continue
        kept = [a for a in node.attribute if a.name not in ("mode", "coordinate_transformation_mode", "nearest_mode")]
        del node.attribute[:]
        node.attribute.extend(kept)
        node.attribute.append(helper.make_attribute("mode", "linear"))
        node.attribute.append(helper.make_attribute("coordinate_transformation_mode", "half_pixel"))
    return model
