"""What the ``Attributions`` callback explains, settled in ``on_train_begin``: the inputs and
how each is shown, the head and its labels, the targets, and the ground-truth masks.

Everything here runs before the first epoch and raises ValueError naming the callback's
argument and what was expected, so that a wrong probe or option never costs an epoch.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence

import numpy as np

from tb_attrib.engine import AttributionEngine, heads
from tb_attrib.summary import modalities


@dataclasses.dataclass(frozen=True)
class DisplayOptions:
    """The constructor's display arguments, each one value or a dict by input name."""

    feature_names: object = None
    channel_names: object = None
    vocabulary: object = None
    padding_id: object = 0


def per_input(value: object, names: Sequence[str], argument: str) -> list:
    """One value per input from one value (single-input models, or the same for all) or a
    dict by input name."""
    if isinstance(value, Mapping):
        unknown = [k for k in value if k not in names]
        if unknown:
            raise ValueError(
                f"{argument} names inputs {unknown} that the model does not have; its inputs "
                f"are {list(names)}"
            )
        return [value.get(n) for n in names]
    return [value] * len(names)


def vocabulary_list(vocabulary: object) -> list[str] | None:
    """Token strings by id from a list or a ``keras.layers.TextVectorization`` layer."""
    if vocabulary is None:
        return None
    if hasattr(vocabulary, "get_vocabulary"):
        return [str(t) for t in vocabulary.get_vocabulary()]
    if isinstance(vocabulary, str) or not isinstance(vocabulary, Sequence | np.ndarray):
        raise ValueError(
            "vocabulary must be a list of token strings (index = id) or a "
            f"keras.layers.TextVectorization layer; got {type(vocabulary).__name__}"
        )
    return [str(t) for t in vocabulary]


def input_specs(
    engine: AttributionEngine, values: list[np.ndarray], options: DisplayOptions
) -> list[modalities.InputSpec]:
    """One display spec per model input, checked against the probe."""
    names = list(engine.layout.names)
    features = per_input(options.feature_names, names, "feature_names")
    channels = per_input(options.channel_names, names, "channel_names")
    vocabularies = per_input(options.vocabulary, names, "vocabulary")
    paddings = per_input(options.padding_id, names, "padding_id")
    found = list(engine.modalities)
    _check_applies(options.feature_names, "tabular", "feature_names", found)
    _check_applies(options.channel_names, "sequence", "channel_names", found)
    _check_applies(options.vocabulary, "tokens", "vocabulary", found)
    specs = []
    for j, (name, modality, value) in enumerate(zip(names, engine.modalities, values, strict=True)):
        _only_for(modality, "tabular", features[j], "feature_names", name, options.feature_names)
        _only_for(modality, "sequence", channels[j], "channel_names", name, options.channel_names)
        _only_for(modality, "tokens", vocabularies[j], "vocabulary", name, options.vocabulary)
        padding = paddings[j] if modality == "tokens" else None
        if padding is not None and (isinstance(padding, bool) or not isinstance(padding, int)):
            raise ValueError(f"padding_id must be an int token id or None; got {padding!r}")
        spec = modalities.InputSpec(
            name=name,
            modality=modality,
            feature_names=_names(features[j]) if modality == "tabular" else None,
            channel_names=_names(channels[j]) if modality == "sequence" else None,
            vocabulary=vocabulary_list(vocabularies[j]) if modality == "tokens" else None,
            padding_id=padding,
            attributed=name not in engine.fixed_inputs,
        )
        try:
            modalities.of(spec).check_names(spec, value)
        except ValueError as e:
            prefix = "" if len(names) == 1 else f"input {name!r}: "
            raise ValueError(f"{prefix}{e}") from None
        specs.append(spec)
    return specs


def _only_for(modality, wanted, value, argument, name, given) -> None:
    """A display argument named for an input of another modality is a mistake."""
    if isinstance(given, Mapping) and value is not None and modality != wanted:
        raise ValueError(f"{argument} is for {wanted} inputs, but input {name!r} is {modality!r}")


def _check_applies(given, wanted: str, argument: str, found: list[str]) -> None:
    """One value given for the whole model needs at least one input it fits."""
    if given is not None and not isinstance(given, Mapping) and wanted not in found:
        raise ValueError(
            f"{argument} is for {wanted} inputs, but the model's inputs are {found} "
            "(pass modality= if the detection is wrong)"
        )


def _names(names: object) -> list[str] | None:
    if names is None:
        return None
    if isinstance(names, str) or not isinstance(names, Sequence | np.ndarray):
        raise ValueError(f"names must be a list of strings; got {names!r}")
    return [str(n) for n in names]


def check_class_names(head: heads.Head, class_names: list[str] | None) -> None:
    if class_names is None:
        return
    expected = head.num_predictions
    if len(class_names) != expected:
        what = {
            "binary": "a binary model names its 2 classes (0 and 1)",
            "multiclass": f"the model has {expected} output classes",
        }.get(head.kind, f"the model has {expected} outputs")
        raise ValueError(f"class_names has {len(class_names)} names but {what}")


def check_masks(
    masks: object, specs: list[modalities.InputSpec], values: list[np.ndarray]
) -> list[np.ndarray | None]:
    """Ground-truth masks per input (one array for a single input, a list or dict by name
    for several), each ``[N, *positions]`` of its modality."""
    names = [s.name for s in specs]
    if masks is None:
        return [None] * len(specs)
    if isinstance(masks, Mapping):
        given = per_input(masks, names, "probe_masks")
    elif isinstance(masks, list | tuple) and len(specs) > 1:
        if len(masks) != len(specs):
            raise ValueError(f"probe_masks has {len(masks)} entries for {len(specs)} inputs")
        given = list(masks)
    else:
        given = [masks] + [None] * (len(specs) - 1)
    out = []
    for spec, value, mask in zip(specs, values, given, strict=True):
        if mask is None:
            out.append(None)
            continue
        modality = modalities.of(spec)
        want = (value.shape[0], *modality.positions(value.shape[1:]))
        array = np.asarray(mask)
        if array.shape != want:
            what = {
                "image": "one [H, W] mask per probe example",
                "sequence": "one [T] mask of time steps per probe example",
                "tabular": "one [F] mask of features per probe example",
                "tokens": "one [T] mask of tokens per probe example",
            }[spec.modality]
            raise ValueError(
                f"probe_masks must have shape {want} ({what}) for the {spec.modality} input "
                f"{spec.name!r}; got {array.shape}"
            )
        out.append(array != 0)
    return out


def localization(
    attributions: list, masks: list, specs: list[modalities.InputSpec]
) -> float | None:
    """Mean over examples of the share of positive attribution on the masked positions,
    over every input that has a mask; None when none has one. Examples with no positive
    attribution count as 0."""
    shares = []
    for a, mask, spec in zip(attributions, masks, specs, strict=True):
        if mask is None or a is None:
            continue
        maps = modalities.of(spec).to_positions(a)
        positive = np.maximum(np.nan_to_num(maps), 0.0).reshape(maps.shape[0], -1)
        total = positive.sum(axis=1)
        inside = (positive * mask.reshape(mask.shape[0], -1)).sum(axis=1)
        shares.append(np.where(total > 0, inside / np.where(total > 0, total, 1.0), 0.0))
    if not shares:
        return None
    return float(np.mean(np.concatenate(shares)))


def prediction_scalars(head: heads.Head, predictions, labels, alphas) -> dict[str, float]:
    """Per alpha: probe accuracy (classifiers: against the labels, else agreement with the
    prediction at the last alpha; multi-label: per output at 0.5) or, for regression, the mean
    absolute error against the labels (else against the prediction at the last alpha)."""
    out = {}
    if head.kind == "regression":
        reference = labels if labels is not None else predictions[:, -1]
        for k, alpha in enumerate(alphas):
            error = np.abs(predictions[:, k] - reference).mean()
            out[f"interior_gradients/mean_absolute_error/alpha_{alpha:g}"] = float(error)
        return out
    if head.kind == "multilabel":
        chosen = predictions >= 0.5  # [N, K, W]
        reference = labels >= 0.5 if labels is not None else chosen[:, -1]
        correct = (chosen == reference[:, None]).mean(axis=-1)
    else:
        predicted = predictions.argmax(axis=-1)
        reference = labels if labels is not None else predicted[:, -1]
        correct = predicted == reference[:, None]
    for k, alpha in enumerate(alphas):
        out[f"interior_gradients/accuracy/alpha_{alpha:g}"] = float(correct[:, k].mean())
    return out
