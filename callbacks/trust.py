"""Can the map be trusted? What ``Attributions`` adds to each written epoch's IG maps.

- Faithfulness (:mod:`tb_attrib.engine.faithfulness`): deletion, insertion and random-order
  curves of each example, every written epoch (``faithfulness_fraction``; None: off).
- Sanity check by model randomisation (:mod:`tb_attrib.engine.randomisation`): every
  ``sanity_freq``-th written epoch, IG at ``sanity_steps`` fixed points of the model
  whose top layer is re-initialised, and each example's Spearman correlation with its map.
- Stability: each example's Spearman correlation with its map of the previous written epoch
  of this ``fit`` (NaN at the first).

:class:`TrustChecks` holds the options (checked in the constructor) and the per-fit state
(reset by :meth:`TrustChecks.begin` in ``on_train_begin``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

import numpy as np

from tb_attrib.engine import AttributionEngine, faithfulness, quadrature, randomisation, rank
from tb_attrib.engine import baselines as baselines_lib
from tb_attrib.engine import forward as forward_lib

DEFAULT_SANITY_FREQ = 5
DEFAULT_SANITY_STEPS = 8
SANITY_METHOD = "riemann_trapezoid"


@dataclasses.dataclass
class TrustRecord:
    """One written epoch's checks: arrays by record name (``[N]`` or ``[N, S + 1]``) and
    fields (``sanity_layer``), as :func:`tb_attrib.summary.integrated_gradients` takes them as
    ``trust``, and the probe means for the Scalars tab."""

    values: dict
    scalars: dict


class TrustChecks:
    """Faithfulness, sanity check and stability of the IG maps of one callback.

    Args:
      fraction: ``faithfulness_fraction`` of ``Attributions`` (None: no curves).
      sanity_freq: Every how many written epochs the sanity check runs (None: never).
      sanity_layer: Name of the layer to re-initialise (None: the top layer).
      sanity_steps: Fixed points of the sanity check's IG.
      removal: ``faithfulness_baseline``: what removed units become (``"auto"``: see
        :func:`tb_attrib.engine.faithfulness.removal_baseline`).
    """

    def __init__(self, fraction, sanity_freq, sanity_layer, sanity_steps, removal="auto"):
        if not (isinstance(removal, str) and removal == "auto") and not isinstance(
            removal, Mapping | list | tuple
        ):
            _named("faithfulness_baseline", baselines_lib.validate, removal)
        if fraction is not None:
            fraction = _named("faithfulness_fraction", faithfulness.validate_fraction, fraction)
        if sanity_layer is not None and not isinstance(sanity_layer, str):
            raise ValueError(f"sanity_layer must be a layer name or None; got {sanity_layer!r}")
        self.removal = removal
        self.fraction = fraction
        self.sanity_freq = _check_sanity_freq(sanity_freq)
        self.sanity_layer = sanity_layer
        self.sanity_steps = _check_sanity_steps(sanity_steps)
        self._reset()

    def _reset(self) -> None:
        self._copy_engine: AttributionEngine | None = None
        self._removal: object = None  # what removed units become, made once per fit
        self._previous: np.ndarray | None = None
        self.layer_name: str | None = None

    def begin(self, model, engine: AttributionEngine) -> None:
        """Per ``fit``: forgets the previous maps and, with ``sanity_freq``, picks the layer
        (ValueError naming ``sanity_layer``) and sets up the randomised view of the model."""
        self._reset()
        if self.sanity_freq is None:
            return
        top = _output_layer(model, engine)
        layer = randomisation.choose_layer(model, self.sanity_layer, top)
        self.layer_name = layer.name
        self._copy_engine = engine.with_model(randomisation.RandomisedView(model, layer))

    def due(self, epoch: int, freq: int) -> bool:
        """Whether the sanity check runs at ``epoch``: every ``sanity_freq``-th written epoch
        counted from epoch 0 (the 5th, 10th, ... by default), so a resumed run keeps them."""
        every = self.sanity_freq if self._copy_engine is not None else None
        return every is not None and (epoch // freq + 1) % every == 0

    def epoch(self, epoch, freq, engine, x, ig, targets, baseline, batch_size):
        """The checks of one written epoch, from its IG result ``ig``."""
        attributed = [a for a in ig.attribution_list if a is not None]
        modalities = [
            m
            for m, name in zip(engine.modalities, engine.layout.names, strict=True)
            if name not in engine.fixed_inputs
        ]
        units = faithfulness.unit_maps(attributed, modalities)
        values, scalars = {}, {}
        if self.fraction is not None:
            curves = self.faithfulness(engine, x, attributed, targets, baseline, batch_size)
            values.update(_curve_values(curves, units.shape[0]))
            scalars.update(_curve_scalars(curves))
        values["stability"] = self.stability(units)
        if np.any(np.isfinite(values["stability"])):
            scalars["stability/spearman_previous_epoch"] = np.nanmean(values["stability"])
        if self.due(epoch, freq):
            values["sanity"] = self.sanity(x, units, modalities, targets, baseline, batch_size)
            values["sanity_layer"] = self.layer_name
            if np.any(np.isfinite(values["sanity"])):
                scalars["sanity/randomized_top_layer_spearman"] = np.nanmean(values["sanity"])
        return TrustRecord(values, scalars)

    def faithfulness(self, engine, x, attributed, targets, baseline, batch_size):
        """The curves of the maps ``attributed`` (:func:`faithfulness.evaluate`)."""
        if self._removal is None:  # the probe is fixed: a blurred copy is made once
            self._removal = faithfulness.removal_baseline(engine, x, baseline, self.removal)
        return faithfulness.evaluate(
            engine,
            x,
            attributed,
            targets,
            baseline=self._removal,
            fraction=self.fraction,
            batch_size=batch_size,
        )

    def stability(self, units: np.ndarray) -> np.ndarray:
        """Each map's Spearman rho with the previous written epoch's (NaN at the first)."""
        previous, self._previous = self._previous, units
        if previous is None or previous.shape != units.shape:
            return np.full(units.shape[0], np.nan, np.float32)
        return rank.spearman(units, previous)

    def sanity(self, x, units, modalities, targets, baseline, batch_size) -> np.ndarray:
        """Each map's Spearman rho with the map of the copy whose top layer is re-initialised."""
        result = self._copy_engine.integrated_gradients(
            x,
            target=targets,
            baseline=baseline,
            steps=self.sanity_steps,
            method=SANITY_METHOD,
            batch_size=batch_size,
        )
        attributed = [a for a in result.attribution_list if a is not None]
        return rank.spearman(faithfulness.unit_maps(attributed, modalities), units)


def _check_sanity_freq(value: object) -> int | None:
    if value is None:
        return value
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(
            "sanity_freq must be a positive int (check every sanity_freq-th written epoch) "
            f"or None (never); got {value!r}"
        )
    return value


def _check_sanity_steps(value: object) -> int:
    least = quadrature.min_steps(SANITY_METHOD)
    if isinstance(value, bool) or not isinstance(value, int) or value < least:
        raise ValueError(f"sanity_steps must be an int >= {least}; got {value!r}")
    return value


def _output_layer(model, engine: AttributionEngine) -> str | None:
    """Name of the layer that computes the explained output of a Functional model (the
    output a model of several outputs is explained by), else None (the last layer is used)."""
    try:
        output = forward_lib.pick_output(model.output, engine._setup.output_key)
        return output._keras_history.operation.name
    except (AttributeError, ValueError, KeyError, IndexError, TypeError):
        return None


def _curve_values(curves: faithfulness.FaithfulnessResult, n: int) -> dict:
    return {
        "fractions": np.broadcast_to(curves.fractions, (n, curves.fractions.shape[0])),
        "deletion": curves.deletion,
        "insertion": curves.insertion,
        "random_order": curves.random,
        "deletion_auc": curves.deletion_auc,
        "insertion_auc": curves.insertion_auc,
        "random_auc": curves.random_auc,
    }


def _curve_scalars(curves: faithfulness.FaithfulnessResult) -> dict:
    deletion = float(np.nanmean(curves.deletion_auc))
    insertion = float(np.nanmean(curves.insertion_auc))
    random = float(np.nanmean(curves.random_auc))
    return {
        "faithfulness/deletion_auc": deletion,
        "faithfulness/insertion_auc": insertion,
        "faithfulness/random_auc": random,
        "faithfulness/deletion_auc_minus_random": deletion - random,
        "faithfulness/insertion_auc_minus_random": insertion - random,
    }


def _named(argument: str, check, value):
    """Runs ``check`` and names ``argument`` in its ValueError."""
    try:
        return check(value)
    except ValueError as e:
        message = str(e)
        for word in ("fraction", "baseline"):
            if message.startswith(word):
                message = argument + message[len(word) :]
                break
        raise ValueError(
            message if message.startswith(argument) else f"{argument}: {message}"
        ) from None
