"""What a probe digest says about a run's model inputs and head, with version-1 defaults.

Shared by the ``runs`` route (:mod:`tb_attrib.plugin.describe`) and :func:`tb_attrib.load`,
so that both read a log the same way:

- format version 2 lists one descriptor per model input in the probe digest's field
  ``inputs``; a version-1 log (which has none) reads as one image input named ``"input"``;
- the digest's field ``head`` names the head; where it is absent or null (version 1, or a
  probe written without ``head=``) the head is the documented default, multiclass over
  probabilities.

Names found in a log (input, feature, channel and token names) are user data: this module
passes them on as they are and never interprets them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

V1_INPUT_NAME = "input"
"""Name given to the one input of a version-1 log."""

DISPLAY_ARRAYS = {"image": "image", "sequence": "values", "tabular": "values", "tokens": "ids"}
"""Probe example array that shows each known modality (suffixed ``@j`` for input ``j > 0``).
An input of another modality (written by a newer tb_attrib) has no display here."""

NAME_LISTS = ("feature_names", "channel_names")


def suffix(j: int) -> str:
    """Suffix of input ``j``'s arrays and fields: ``""`` for the first input, else ``"@j"``."""
    return "" if j == 0 else f"@{j}"


def input_descriptors(fields: Mapping, problems: list[str] | None = None) -> list[dict] | None:
    """The input descriptors of a probe digest's ``fields``, one dict per model input.

    A digest without an ``inputs`` field (format version 1) gives one image input named
    :data:`V1_INPUT_NAME` of shape ``input_shape``. Each descriptor is returned as written
    (a shallow copy). None when the digest's ``inputs`` is malformed (reported in
    ``problems``, to be prefixed with the tag), or when a version-1 digest gives no input shape.
    """
    listed = fields.get("inputs")
    if listed is not None:
        if isinstance(listed, list) and listed and all(_descriptor_ok(d) for d in listed):
            return [dict(d) for d in listed]
        if problems is not None:
            problems.append("malformed 'inputs' field in the probe digest")
        return None
    shape = fields.get("input_shape")
    if not _shape_ok(shape):
        return None
    descriptor = {"name": V1_INPUT_NAME, "modality": "image", "shape": list(shape)}
    descriptor["attributed"] = True
    low_high = fields.get("display_range")
    if _range_ok(low_high):
        descriptor["display_range"] = list(low_high)
    return [descriptor]


def default_head(width: int | None) -> dict:
    """The head of a log that names none: multiclass over ``width`` class probabilities."""
    return {"kind": "multiclass", "width": width, "output_kind": "probabilities", "output": None}


def head(fields: Mapping | None, width: int | None) -> dict | None:
    """The probe digest's head, else :func:`default_head` (``width`` guessed by the caller,
    from the predictions or the class names); None without a probe digest."""
    if fields is None:
        return None
    written = fields.get("head")
    if isinstance(written, dict) and isinstance(written.get("kind"), str):
        return dict(written)
    return default_head(width)


def guess_width(predictions_width: int | None, class_names: object) -> int | None:
    """Width of an unnamed (multiclass) head: the predictions' columns, else the classes."""
    if predictions_width:
        return int(predictions_width)
    if isinstance(class_names, list) and class_names:
        return len(class_names)
    return None


def display_range(descriptor: Mapping) -> tuple[float, float] | None:
    """An image descriptor's ``display_range`` as a tuple, else None."""
    value = descriptor.get("display_range")
    if descriptor.get("modality") != "image" or not _range_ok(value):
        return None
    return float(value[0]), float(value[1])


def _descriptor_ok(value: object) -> bool:
    return (
        isinstance(value, dict)
        and isinstance(value.get("name"), str)
        and isinstance(value.get("modality"), str)
        and _shape_ok(value.get("shape"))
    )


def _shape_ok(value: object) -> bool:
    return isinstance(value, list) and all(
        isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in value
    )


def _range_ok(value: object) -> bool:
    return (
        isinstance(value, list | tuple)
        and len(value) == 2
        and all(
            isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)
            for v in value
        )
    )
