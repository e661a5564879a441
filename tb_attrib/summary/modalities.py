"""How each input modality becomes display records: the one place on the write side that
knows a modality (``frontend/views.js`` and its ``view_*.js`` modules are its counterpart on
the show side).

For every input a :class:`InputSpec` names the modality and its display options, and the
modality turns

- a probe batch into per-example display arrays (:meth:`Modality.example_arrays`), and
- an attribution or gradient batch into *maps* (:meth:`Modality.to_maps`), the signed values
  the dashboard colours, quantised by :func:`tb_attrib.summary.codec.quantize_maps`.

============ ===================== ============================ =========================
modality     example input         probe arrays per example     map per example
============ ===================== ============================ =========================
``image``    ``[H, W, C]``/``[H, W]`` ``image`` u1 ``[H, W, 1|3]``  ``[H, W]``, channel sum
``sequence`` ``[T, C]``            ``values`` f4 ``[T, C]``     ``[T, C]``
``tabular``  ``[F]``               ``values`` f4 ``[F]``        ``[F]``
``tokens``   ``[T]`` ids           ``ids`` i4 ``[T]``, strings  ``[T]`` (engine sums ``E``)
============ ===================== ============================ =========================

Arrays of the model's input ``j > 0`` carry the suffix ``@j`` (``values@1``, ``maps@1``), so
that a single-input record keeps the names of format version 1.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np

from tb_attrib.summary import codec

MODALITIES = ("image", "sequence", "tabular", "tokens")


@dataclasses.dataclass(frozen=True)
class InputSpec:
    """One model input as the dashboard shows it.

    Attributes:
      name: The model's name for the input.
      modality: One of :data:`MODALITIES`.
      feature_names: Names of a tabular input's features (``[F]``), or None.
      channel_names: Names of a sequence's channels (``[C]``), or None.
      vocabulary: Token strings by id for a token input, or None (ids are shown).
      padding_id: Token id that is padding and not drawn (tokens; None: nothing is padding).
      attributed: False for an input held fixed along the path (no maps are written for it).
    """

    name: str = "input"
    modality: str = "image"
    feature_names: Sequence[str] | None = None
    channel_names: Sequence[str] | None = None
    vocabulary: Sequence[str] | None = None
    padding_id: int | None = None
    attributed: bool = True

    def __post_init__(self) -> None:
        if self.modality not in MODALITIES:
            raise ValueError(
                f"modality must be one of {', '.join(MODALITIES)}; got {self.modality!r}"
            )


def default_spec(example_shape: Sequence[int], name: str = "input", dtype=None) -> InputSpec:
    """The spec of an input known only by its shape: rank 1 is tabular (integer: tokens),
    rank 2 and 3 an image (as format version 1 drew them)."""
    integer = dtype is not None and np.dtype(dtype).kind in "iu"
    if len(example_shape) == 1:
        return InputSpec(name, "tokens" if integer else "tabular")
    return InputSpec(name, "image")


def suffix(j: int) -> str:
    """Name suffix of model input ``j``'s arrays and fields ("" for the first input)."""
    return "" if j == 0 else f"@{j}"


class Modality:
    """Display conversions of one modality (see the module table)."""

    name = ""
    map_ndim = 1

    def digest_fields(self, spec: InputSpec, values: np.ndarray) -> dict:
        """JSON fields of the probe digest's descriptor of this input."""
        return {}

    def example_arrays(self, spec: InputSpec, values: np.ndarray) -> list[dict]:
        """Per example: the arrays (and, under ``"fields"``, JSON fields) to store."""
        return [{"values": v} for v in np.asarray(values, np.float32)]

    def to_maps(self, values: np.ndarray, leading: int) -> np.ndarray:
        """``[*lead, *example_shape]`` attributions to ``[*lead, *map_shape]`` maps."""
        return np.asarray(values, np.float32)

    def check_names(self, spec: InputSpec, values: np.ndarray) -> None:
        """Raises ValueError when the spec's names do not fit the input."""

    def positions(self, example_shape: Sequence[int]) -> tuple[int, ...]:
        """Shape of one example's *positions*: what a ground-truth mask marks and what the
        localisation score sums over (pixels, time steps, features, tokens)."""
        return tuple(int(d) for d in example_shape)

    def to_positions(self, values: np.ndarray) -> np.ndarray:
        """``[N, *example_shape]`` attributions summed to ``[N, *positions]``."""
        return np.asarray(values, np.float32)


class Image(Modality):
    name = "image"
    map_ndim = 2

    def positions(self, example_shape):
        return tuple(int(d) for d in example_shape[:2])

    def to_positions(self, values):
        values = np.asarray(values, np.float32)
        return values.sum(axis=-1) if values.ndim == 4 else values

    def digest_fields(self, spec, values):
        return {"display_range": list(codec.display_images(np.asarray(values))[1])}

    def example_arrays(self, spec, values):
        display, _ = codec.display_images(np.asarray(values))
        return [{"image": image} for image in display]

    def to_maps(self, values, leading):
        values = np.asarray(values, np.float32)
        example_ndim = values.ndim - leading
        if example_ndim == 3:
            return values.sum(axis=-1)
        if example_ndim == 2:
            return values
        if example_ndim == 1:
            return values[..., None, :]
        raise ValueError(f"image examples must have 2 or 3 axes, got {values.shape[leading:]}")


class SequenceModality(Modality):
    name = "sequence"
    map_ndim = 2

    def positions(self, example_shape):
        return (int(example_shape[0]),)

    def to_positions(self, values):
        return np.asarray(values, np.float32).sum(axis=-1)

    def digest_fields(self, spec, values):
        values = np.asarray(values, np.float32)
        finite = values[np.isfinite(values)]
        low, high = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
        return {"channel_names": _names(spec.channel_names), "value_range": [low, high]}

    def check_names(self, spec, values):
        _check_length(spec.channel_names, np.shape(values)[-1], "channel_names", "channels")


class Tabular(Modality):
    name = "tabular"
    map_ndim = 1

    def digest_fields(self, spec, values):
        return {"feature_names": _names(spec.feature_names)}

    def check_names(self, spec, values):
        _check_length(spec.feature_names, np.shape(values)[-1], "feature_names", "features")


class Tokens(Modality):
    name = "tokens"
    map_ndim = 1

    def positions(self, example_shape):
        return (int(example_shape[0]),)

    def digest_fields(self, spec, values):
        return {"padding_id": spec.padding_id, "has_vocabulary": spec.vocabulary is not None}

    def example_arrays(self, spec, values):
        ids = np.asarray(values).astype(np.int32)
        out = []
        for row in ids:
            tokens = None
            if spec.vocabulary is not None:
                tokens = [str(spec.vocabulary[int(i)]) for i in row]
            out.append({"ids": row, "fields": {"tokens": tokens}})
        return out

    def check_names(self, spec, values):
        if spec.vocabulary is None:
            return
        ids = np.asarray(values)
        largest = int(ids.max()) if ids.size else -1
        if largest >= len(spec.vocabulary) or (ids.size and int(ids.min()) < 0):
            raise ValueError(
                f"vocabulary has {len(spec.vocabulary)} tokens but input {spec.name!r} holds "
                f"ids from {int(ids.min())} to {largest}: every id needs a token string"
            )


_MODALITIES = {m.name: m for m in (Image(), SequenceModality(), Tabular(), Tokens())}


def of(spec: InputSpec) -> Modality:
    return _MODALITIES[spec.modality]


def _names(names: Sequence[str] | None) -> list[str] | None:
    return None if names is None else [str(n) for n in names]


def _check_length(names, count: int, argument: str, what: str) -> None:
    if names is not None and len(names) != count:
        raise ValueError(f"{argument} has {len(names)} names but the input has {count} {what}")


def descriptor(spec: InputSpec, values: np.ndarray) -> dict:
    """The probe digest's JSON descriptor of one input."""
    return {
        "name": spec.name,
        "modality": spec.modality,
        "shape": [int(d) for d in np.shape(values)[1:]],
        "attributed": bool(spec.attributed),
        **of(spec).digest_fields(spec, values),
    }
