"""The ``Attributions`` callback: interior and integrated gradients of a probe, every epoch."""

from __future__ import annotations

import dataclasses
import os
import warnings
from collections.abc import Mapping, Sequence

import numpy as np

from tb_attrib.callbacks import base, dashboards, explained, trust
from tb_attrib.callbacks import methods as methods_lib
from tb_attrib.callbacks import probe as probe_lib
from tb_attrib.engine import (
    CLASSIC_ALPHAS,
    DEFAULT_MAP_TOLERANCE,
    DEFAULT_MAX_STEPS,
    DEFAULT_METHOD,
    DEFAULT_STEPS,
    DEFAULT_TOLERANCE,
    AttributionEngine,
    heads,
    quadrature,
    validate_alphas,
    validate_steps,
)
from tb_attrib.engine import baselines as baselines_lib
from tb_attrib.engine import faithfulness as faithfulness_lib
from tb_attrib.engine import inputs as inputs_lib
from tb_attrib.engine import kernel as kernel_lib
from tb_attrib.summary import metadata, summary_v2


class Attributions(base.RunCallback):
    """Writes interior gradients and integrated gradients of a fixed probe batch.

    At the first epoch of each ``fit`` it writes the probe (inputs as their modality shows
    them, labels, class names, masks); every ``freq`` epochs it writes, to
    ``log_dir/run_name``:

    - for the tb_attrib dashboard: the interior-gradient sweep (gradients and predictions at
      each alpha) and the integrated gradients with completeness deltas;
    - for TensorBoard's Scalars tab: ``attributions/completeness_delta_mean`` and
      ``.../completeness_delta_max`` (relative completeness, see
      :mod:`tb_attrib.engine.completeness`), ``attributions/ig_evaluations`` (mean gradient
      evaluations per example), ``attributions/ig_map_error_max`` (the largest estimated
      relative error of an IG map, with ``ig_steps="auto"``),
      ``interior_gradients/accuracy/alpha_<a>`` (probe accuracy at each alpha; agreement
      with the prediction at the last alpha when the probe has no labels;
      ``interior_gradients/mean_absolute_error/alpha_<a>`` for regression),
      ``interior_gradients/mean_abs_gradient/alpha_<a>`` (the saturation curve), the
      baseline's health (``attributions/baseline_top_probability``,
      ``.../baseline_top_class``, ``.../baseline_affected``; ``attributions/baseline_value``
      for regression; see :mod:`tb_attrib.engine.baseline_health`) and, with
      ``probe_masks``, ``attributions/localization`` (share of positive attribution on the
      masked positions); with ``methods``, ``attributions/methods/<name>/seconds`` (what
      each extra method took);
    - whether the maps can be trusted (:mod:`tb_attrib.callbacks.trust`), in the IG records
      and as scalars: ``faithfulness/deletion_auc``, ``.../insertion_auc``,
      ``.../random_auc`` and each against random (``..._minus_random``: deletion below 0 and
      insertion above 0 mean more faithful than a random order);
      ``stability/spearman_previous_epoch``; and at sanity epochs
      ``sanity/randomized_top_layer_spearman`` (high: the maps do not depend on what the top
      layer learned).

    When the model classifies the baseline as an example's explained class at 90% or more,
    that example's map explains a change near zero: the records flag it (the dashboard says
    so on the example and in the run's notice) and a warning says so once per fit.

    Any Keras model: multiclass, binary, multi-label and regression heads
    (:mod:`tb_attrib.engine.heads`); image, sequence, tabular and token inputs, one or several
    (:mod:`tb_attrib.engine.inputs`); one output or, with ``output=``, one of several.

    Example::

        model.fit(x, y, epochs=20, callbacks=[
            keras.callbacks.TensorBoard("logs"),
            tb_attrib.callbacks.Attributions("logs", x_val[:16], y_val[:16],
                                             class_names=["cat", "dog"]),
        ])

    Args:
      log_dir: Log directory (the same one ``keras.callbacks.TensorBoard`` gets is fine).
      probe_x: The probe, in any form ``model.fit`` takes ``x``: an array or tensor
        ``[N, ...]``, a list or dict of them for several inputs, or a ``tf.data.Dataset`` of
        ``x`` or ``(x, y)`` elements, of which the first ``probe_size`` examples are taken.
      probe_y: Labels (default None; taken from a dataset probe): class ids ``[N]`` or one-hot
        rows for a multiclass model, 0/1 for a binary one, multi-hot ``[N, K]`` rows for a
        multi-label one, target values for a regression.
      class_names: Names of the model's classes (default None): ``C`` names (multiclass),
        2 (binary: class 0, class 1), or one per output (multi-label, regression).
      alphas: The interior-gradient sweep, numbers in (0, 1] (default the classic sweep
        0.01, 0.02, 0.03, 0.04, 0.1, 0.5, 0.6, 0.7, 0.8, 1.0).
      ig_steps: Gradient evaluations per example for IG, or ``"auto"`` (default; see
        :func:`tb_attrib.integrated_gradients`): each example refined until its completeness
        and its map's estimated error are within ``ig_tolerance`` and ``ig_map_tolerance``.
      ig_method: Quadrature rule: ``adaptive_trapezoid`` (default: points placed where each
        example's gradient map bends, the sweep's gradients reused as points),
        ``riemann_left``, ``riemann_right``, ``riemann_middle``, ``riemann_trapezoid`` or
        ``gausslegendre``.
      baseline: ``"black"`` (default), ``"white"``, ``"uniform"``, ``"blur"``, ``"expected"``
        (expected gradients: the average over baselines drawn from ``background``), a number
        or an array; for token inputs ``"black"`` (zero embeddings), a token id or
        ``"expected"``. With several inputs, one value for all or a dict by input name.
      background: What ``baseline="expected"`` draws from (default None: the probe's own
        examples, never the example itself): inputs in the structure of ``probe_x``, or a
        ``tf.data.Dataset`` of ``x`` or ``(x, y)`` elements, of which the first
        :data:`DATASET_BACKGROUND_SIZE` examples are taken. Draws are seeded, the same every
        epoch.
      num_baseline_samples: Baselines per example for ``"expected"`` (default None: 8) and
        ``"uniform"`` (default None: 4).
      target: What to explain (default None: the label where the probe has class labels, else
        the head's default: the predicted class, the highest-scoring output, output 0):
        ``"predicted"``, an int, one int per example, or ``"label_and_predicted"``: the label,
        plus a second map for the predicted class of each misclassified example.
      freq: Write every ``freq`` epochs (epoch numbers divisible by ``freq``; default 1).
      probe_masks: Optional ground truth of where the signal is (default None), non-zero
        inside: ``[N, H, W]`` for images, ``[N, T]`` time steps for a sequence, ``[N, F]``
        features for tabular, ``[N, T]`` tokens; a dict by input name for several inputs.
        Adds the localisation score.
      probe_size: Examples taken from a dataset probe (default 16).
      batch_size: Interpolated inputs per model call (default None: a bound on memory).
      ig_tolerance: Completeness tolerance of ``ig_steps="auto"`` (default 0.01).
      ig_max_steps: Most evaluations ``ig_steps="auto"`` may use (default 512).
      ig_map_tolerance: Largest estimated relative L2 error of each example's IG map that
        ``ig_steps="auto"`` accepts (default 0.02; None: completeness alone).
      output: The output to explain, by name or index, for a model with several outputs
        (default None: the model must have one).
      head: ``"auto"`` (default), ``"multiclass"``, ``"binary"``, ``"multilabel"`` or
        ``"regression"``: what the output is, when the compiled loss and the final
        activation do not tell.
      modality: Override of each input's detected modality (default None): ``"image"``,
        ``"sequence"``, ``"tabular"`` or ``"tokens"``, or a dict by input name.
      feature_names: Names of a tabular input's features (default None).
      channel_names: Names of a sequence input's channels (default None).
      vocabulary: Token strings of a token input: a list indexed by id or a
        ``keras.layers.TextVectorization`` layer (default None: ids are shown).
      padding_id: Token id that is padding and not drawn (default 0; None: none).
      embedding_layer: Name of a token input's embedding layer, when it does not reach
        exactly one (default None).
      fixed_inputs: Names of inputs held fixed along the path and not attributed, such as a
        mask input (default None).
      methods: Attribution methods to write (default ``("integrated_gradients",)``): any of
        ``"integrated_gradients"`` (always written), ``"smoothgrad"`` (noise-averaged
        gradients), ``"smoothgrad_ig"`` (SmoothGrad on IG) and ``"guided_ig"`` (Guided IG);
        each extra one is its own series ``tb_attrib/methods/<name>`` and costs several IG
        calls per written epoch (README, "More methods").
      method_options: Options of the extra methods by name (default None: their defaults,
        :data:`tb_attrib.engine.methods.OPTIONS`), e.g. ``{"smoothgrad": {"samples": 50,
        "noise_level": 0.1}, "guided_ig": {"steps": 100}}``.
      run_name: Sub-directory of ``log_dir`` to write to (default ``"probe"``).
      faithfulness_fraction: Share of an input's units (pixels, time steps, features, tokens)
        replaced by the baseline per step of the deletion and insertion curves, in (0, 1)
        (default 0.2: 5 steps, 14 forward passes per example per written epoch; see
        :mod:`tb_attrib.engine.faithfulness`); None: no curves.
      sanity_freq: Run the sanity check by model randomisation every ``sanity_freq``-th
        written epoch (default 5: the 5th, 10th, ...; see
        :mod:`tb_attrib.engine.randomisation`); None: never.
      sanity_layer: Name of the layer the sanity check re-initialises (default None: the
        layer computing the explained output, which must hold weights: a model ending in a
        weightless ``Activation`` or ``Softmax`` layer names the one below).
      sanity_steps: Fixed points of the sanity check's IG (default 8, trapezoid rule).
      faithfulness_baseline: What the curves replace a unit with (default ``"auto"``:
        ``"blur"`` for image inputs, ``baseline`` for the others; or any ``baseline`` value).
    """

    def __init__(
        self,
        log_dir: str | os.PathLike,
        probe_x: object,
        probe_y: object = None,
        *,
        class_names: Sequence[str] | None = None,
        alphas: Sequence[float] = CLASSIC_ALPHAS,
        ig_steps: int | str = DEFAULT_STEPS,
        ig_method: str = DEFAULT_METHOD,
        baseline: object = "black",
        background: object = None,
        num_baseline_samples: int | None = None,
        target: object = None,
        freq: int = 1,
        probe_masks: object = None,
        probe_size: int = probe_lib.DEFAULT_DATASET_PROBE_SIZE,
        batch_size: int | None = None,
        ig_tolerance: float = DEFAULT_TOLERANCE,
        ig_max_steps: int = DEFAULT_MAX_STEPS,
        ig_map_tolerance: float | None = DEFAULT_MAP_TOLERANCE,
        output: str | int | None = None,
        head: str = "auto",
        modality: object = None,
        feature_names: object = None,
        channel_names: object = None,
        vocabulary: object = None,
        padding_id: object = 0,
        embedding_layer: object = None,
        fixed_inputs: Sequence[str] | None = None,
        methods: Sequence[str] = ("integrated_gradients",),
        method_options: Mapping[str, Mapping] | None = None,
        run_name: str = "probe",
        faithfulness_fraction: float | None = faithfulness_lib.DEFAULT_FRACTION,
        sanity_freq: int | None = trust.DEFAULT_SANITY_FREQ,
        sanity_layer: str | None = None,
        sanity_steps: int = trust.DEFAULT_SANITY_STEPS,
        faithfulness_baseline: object = "auto",
    ) -> None:
        super().__init__(log_dir, run_name, freq)
        self._trust = trust.TrustChecks(
            faithfulness_fraction, sanity_freq, sanity_layer, sanity_steps, faithfulness_baseline
        )
        kernel_lib.check_backend()
        self.methods, self._method_options = methods_lib.check(methods, method_options)
        self.alphas = _named(validate_alphas, "alphas", alphas)
        self.ig_method = _named(quadrature.validate_method, "ig_method", ig_method)
        self._ig_auto = _named(validate_steps, "ig_steps", ig_steps, self.ig_method)
        self.ig_steps = ig_steps
        if not isinstance(baseline, Mapping | list | tuple) or _numeric(baseline):
            _named(baselines_lib.validate, "baseline", baseline)
        self.baseline = baseline
        _check_background(baseline, background, num_baseline_samples)
        self.num_baseline_samples = num_baseline_samples
        self._background_arg = background
        self.class_names = None if class_names is None else [str(c) for c in class_names]
        if batch_size is not None and (not isinstance(batch_size, int) or batch_size < 1):
            raise ValueError(f"batch_size must be a positive int or None; got {batch_size!r}")
        self.batch_size = batch_size
        self.ig_tolerance = ig_tolerance
        self.ig_max_steps = ig_max_steps
        if self._ig_auto:
            if not (isinstance(ig_tolerance, int | float) and 0 < ig_tolerance < 1):
                raise ValueError(f"ig_tolerance must be a number in (0, 1); got {ig_tolerance!r}")
            if not isinstance(ig_max_steps, int) or ig_max_steps < 2:
                raise ValueError(f"ig_max_steps must be an int >= 2; got {ig_max_steps!r}")
            if ig_map_tolerance is not None and not (
                isinstance(ig_map_tolerance, int | float) and 0 < ig_map_tolerance < 1
            ):
                raise ValueError(
                    f"ig_map_tolerance must be a number in (0, 1) or None; got {ig_map_tolerance!r}"
                )
        self.ig_map_tolerance = ig_map_tolerance
        _named(heads.validate, "head", head)
        self._check_target(target)
        self._engine_options = dict(
            output=output,
            head=head,
            modality=modality,
            embedding_layer=embedding_layer,
            fixed_inputs=fixed_inputs,
        )
        self._display = explained.DisplayOptions(
            feature_names=feature_names,
            channel_names=channel_names,
            vocabulary=vocabulary,
            padding_id=padding_id,
        )
        self._probe_x, self._probe_y = probe_x, probe_y
        self.probe_size = probe_size
        self._target_arg = target
        self._masks_arg = probe_masks
        if not probe_lib.is_dataset(probe_x):
            # Everything that does not need the model is checked now.
            self._probe = probe_lib.make_probe(probe_x, probe_y)
            self._check_static()
        else:
            self._probe = None
        self._reset()

    def _reset(self) -> None:
        """Per-fit state (``on_train_begin`` calls it: a second ``fit`` starts afresh)."""
        self._engine: AttributionEngine | None = None
        self._head: heads.Head | None = None
        self._labels: object = None
        self._targets: heads.Targets | None = None
        self._specs: list = []
        self._masks: list = []
        self._values: list = []
        self._probe_written = False
        self._warned: set[str] = set()
        self._background: object = None

    # ---- checks --------------------------------------------------------------------------

    @staticmethod
    def _check_target(target: object) -> None:
        if isinstance(target, str) and target not in ("predicted", "label_and_predicted"):
            raise ValueError(
                "target must be None, 'predicted', 'label_and_predicted', an int or one int "
                f"per example; got {target!r}"
            )

    def _check_static(self) -> None:
        """What can be checked without the model: an array baseline against an array probe,
        and the masks of a probe that can only be images ([N, H, W, C])."""
        x = self._probe.x
        if isinstance(x, np.ndarray):
            _named(baselines_lib.validate, "baseline", self.baseline, x.shape[1:])
            masks = self._masks_arg
            if masks is not None and x.ndim == 4 and np.shape(masks) != x.shape[:3]:
                raise ValueError(
                    f"probe_masks must have shape {x.shape[:3]} (one [H, W] mask per probe "
                    f"example); got {np.shape(masks)}"
                )

    def _begin_fit(self) -> None:
        self._reset()
        if self._probe is None:
            rank = _input_rank(self.model)
            self._probe = probe_lib.make_probe(
                self._probe_x, self._probe_y, dataset_size=self.probe_size, model_input_rank=rank
            )
            self._check_static()
        engine = AttributionEngine(self.model, **self._engine_options)
        self._values = self._prepare(engine)
        outputs = engine.outputs(self._probe.x, self.batch_size)
        self._head = engine.head(self._probe.x, labels=self._probe.y)
        self._labels = heads.check_labels(self._head, self._probe.y, self._probe.size)
        explained.check_class_names(self._head, self.class_names)
        self._background = self._fit_background()
        _checked_baseline(engine, self._probe.x, self.baseline, self._background)
        self._specs = explained.input_specs(engine, self._values, self._display)
        self._masks = explained.check_masks(self._masks_arg, self._specs, self._values)
        target = self._target_arg
        fixed = target is None and self._labels is not None and self._head.is_classifier
        if target == "label_and_predicted":
            if self._labels is None or not self._head.is_classifier:
                raise ValueError(
                    "target='label_and_predicted' needs class labels (probe_y) and a "
                    "multiclass or binary model"
                )
            fixed = True
        if fixed or (target is not None and not isinstance(target, str)):
            try:
                explicit = None if fixed else target
                self._targets = heads.resolve_targets(self._head, explicit, outputs, self._labels)
            except ValueError as e:
                raise ValueError(f"target: {e}") from None
        self._trust.begin(self.model, engine)
        self._open_writer()
        if self.writes:
            self._engine = engine

    def _fit_background(self) -> object:
        """The background of ``baseline="expected"`` (the probe itself by default, passed as
        such so that a subset of the probe draws from all of it); None for other baselines."""
        if not _uses_expected(self.baseline):
            return None
        background = self._background_arg
        if background is None:
            return self._probe.x
        if probe_lib.is_dataset(background):
            rank = _input_rank(self.model)
            size = DATASET_BACKGROUND_SIZE
            return probe_lib.from_dataset(background, size, rank, "background")[0]
        return background

    def _prepare(self, engine: AttributionEngine) -> list[np.ndarray]:
        """The probe checked against the model's inputs (structure, shapes, modality)."""
        base.check_probe(self.model, self._probe.x)
        try:
            return engine.prepare(self._probe.x)
        except ValueError as e:
            message = str(e)
            raise ValueError(
                message if message.startswith("probe") else f"probe_x: {message}"
            ) from None

    # ---- work ----------------------------------------------------------------------------

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        super().on_epoch_begin(epoch, logs)
        if self.writes and not self._probe_written:
            with self._writing(epoch):
                summary_v2.probe(
                    metadata.TAG_PROBE,
                    self._values,
                    labels=self._labels,
                    class_names=self.class_names,
                    masks=self._masks,
                    input_specs=self._specs,
                    head={**self._head.to_json(), "output": _output_name(self._engine)},
                )
            self._probe_written = True

    def _write_epoch(self, epoch: int, logs: dict | None) -> None:
        self._engine.model = self.model  # on JAX, reading self.model syncs the training state
        x = self._probe.x
        targets = self._targets
        if targets is None:  # the prediction of this epoch's weights
            targets = self._engine.targets(self._target_arg, x)
        sweep, ig = self._engine.sweep_and_integrate(
            x, self.alphas, target=targets, **self._ig_options()
        )
        health = self._engine.baseline_health(ig)
        self._warn_baseline(health, ig.baseline_name, epoch)
        predicted = (
            self._predicted_class_maps(sweep)
            if self._target_arg == ("label_and_predicted")
            else None
        )
        checks = self._trust.epoch(
            epoch,
            self.freq,
            self._engine,
            x,
            ig,
            targets,
            self.baseline,
            self.batch_size,
        )
        largest = max(float(np.abs(g).max()) for g in sweep.gradient_list if g is not None)
        self._warn_about(sweep.finite and ig.finite, largest, epoch)
        self._warn_unconverged(ig, epoch)
        with self._writing(epoch):
            summary_v2.interior_gradients(
                metadata.TAG_INTERIOR_GRADIENTS,
                self.alphas,
                sweep.gradient_list,
                sweep.predictions,
                sweep.target,
                baseline=sweep.baseline_name,
                input_specs=self._specs,
            )
            summary_v2.integrated_gradients(
                metadata.TAG_INTEGRATED_GRADIENTS,
                ig,
                attributions=ig.attribution_list,
                input_specs=self._specs,
                predicted=predicted,
                baseline_health=health,
                trust=checks.values,
            )
            self._write_scalars(sweep, ig, checks.scalars, health)
            if self._method_options:
                seconds = methods_lib.write_all(
                    self._engine, x, targets, self.baseline, self.batch_size,
                    self._method_options, self._specs,
                )  # fmt: skip
                dashboards.write(scalars=seconds)

    def _ig_options(self) -> dict:
        return dict(
            baseline=self.baseline,
            steps=self.ig_steps,
            method=self.ig_method,
            batch_size=self.batch_size,
            tolerance=self.ig_tolerance,
            max_steps=self.ig_max_steps,
            map_tolerance=self.ig_map_tolerance,
            num_baseline_samples=self.num_baseline_samples,
            background=self._background,
        )

    def _integrated(self, x: object, targets: object):
        return self._engine.integrated_gradients(x, target=targets, **self._ig_options())

    def _predicted_class_maps(self, sweep) -> tuple | None:
        """IG of the predicted class for the examples predicted wrongly at alpha 1."""
        predicted = sweep.predictions[:, -1].argmax(axis=-1).astype(np.int32)
        rows = np.flatnonzero(predicted != self._targets.classes)
        if rows.size == 0:
            return None
        subset = self._probe.take(rows)
        head = self._head
        outputs = self._engine.outputs(subset, self.batch_size)
        chosen = heads.resolve_targets(head, predicted[rows], outputs)
        result = self._integrated(subset, chosen)
        return rows, dataclasses.replace(result, attributions=result.attribution_list)

    def _write_scalars(self, sweep, ig, extra: dict, health=None) -> None:
        relative = ig.relative_delta
        scalars = {
            **extra,
            "attributions/completeness_delta_mean": np.mean(relative),
            "attributions/completeness_delta_max": np.max(relative),
            "attributions/ig_evaluations": np.mean(ig.example_evaluations),
        }
        estimated = ig.map_error
        if estimated is not None and not np.all(np.isnan(estimated)):
            scalars["attributions/ig_map_error_max"] = np.nanmax(estimated)
        scalars.update(
            explained.prediction_scalars(self._head, sweep.predictions, self._labels, self.alphas)
        )
        present = [g for g in sweep.gradient_list if g is not None]
        n, k = sweep.predictions.shape[:2]
        total = sum(np.abs(g).reshape(n, k, -1).sum(axis=-1) for g in present)
        abs_mean = total / sum(g[0, 0].size for g in present)
        for k, alpha in enumerate(self.alphas):
            scalars[f"interior_gradients/mean_abs_gradient/alpha_{alpha:g}"] = abs_mean[:, k].mean()
        share = explained.localization(ig.attribution_list, self._masks, self._specs)
        if share is not None:
            scalars["attributions/localization"] = share
        if health is not None:
            scalars.update(health.scalars())
        dashboards.write(scalars=scalars)

    def _warn_baseline(self, health, baseline: str, epoch: int) -> None:
        if "baseline" in self._warned:
            return
        message = health.message(self.class_names, baseline, epoch)
        if message is not None:
            self._warned.add("baseline")
            warnings.warn(message, RuntimeWarning, stacklevel=3)

    def _warn_unconverged(self, ig, epoch: int) -> None:
        # With several baseline draws one draw may miss its bound while the mean is within.
        outside = np.any(ig.relative_delta > self.ig_tolerance)
        if (
            self._ig_auto
            and not ig.converged
            and ig.finite
            and outside
            and "cap" not in self._warned
        ):
            self._warned.add("cap")
            message = _unconverged_message(ig, epoch, self.ig_tolerance, self.ig_max_steps)
            warnings.warn(message, RuntimeWarning, stacklevel=3)

    def _warn_about(self, finite: bool, largest: float, epoch: int) -> None:
        if not finite and "nonfinite" not in self._warned:
            self._warned.add("nonfinite")
            warnings.warn(
                f"tb_attrib: NaN or infinite gradients at epoch {epoch}; they are recorded as "
                "such (NaN in the maps and deltas) and training goes on",
                RuntimeWarning,
                stacklevel=2,
            )
        elif finite and largest == 0.0 and "zero" not in self._warned:
            self._warned.add("zero")
            warnings.warn(
                f"tb_attrib: all gradients are zero at epoch {epoch}: the target score does not "
                "depend on the input (a dead network, or a constant output)",
                RuntimeWarning,
                stacklevel=2,
            )


def _unconverged_message(ig, epoch: int, tolerance: float, max_steps: int) -> str:
    worst = float(np.nanmax(ig.relative_delta))
    count = int(np.sum(ig.relative_delta > tolerance))
    return (
        f"tb_attrib: at epoch {epoch}, ig_steps='auto' reached ig_max_steps={max_steps} with "
        f"{count} probe example(s) still outside ig_tolerance={tolerance:g} (worst relative "
        f"completeness {worst:.3g}); raise ig_max_steps or try ig_method='adaptive_trapezoid'. "
        "The attributions are written as they are (the Scalars tab shows "
        "attributions/completeness_delta_max every epoch); this is said once per fit"
    )


DATASET_BACKGROUND_SIZE = 128
"""Examples taken from a ``tf.data.Dataset`` given as ``background``."""


def _uses_expected(baseline: object) -> bool:
    specs = baseline.values() if isinstance(baseline, Mapping) else [baseline]
    if isinstance(baseline, list | tuple) and not _numeric(baseline):
        specs = baseline
    return any(isinstance(s, str) and s == baselines_lib.EXPECTED for s in specs)


def _check_background(baseline: object, background: object, samples: object) -> None:
    if background is not None and not _uses_expected(baseline):
        raise ValueError(
            f"background is used by baseline='expected' only; got baseline={baseline!r}"
        )
    if samples is not None and (
        isinstance(samples, bool) or not isinstance(samples, int) or samples < 1
    ):
        raise ValueError(f"num_baseline_samples must be a positive int or None; got {samples!r}")


def _checked_baseline(engine, x: object, baseline: object, background: object) -> None:
    """The baseline (and background) against the probe; errors name the argument."""
    try:
        engine.check_baseline(x, baseline, background)
    except ValueError as e:
        message = str(e)
        if message.startswith(("background", "baseline")):
            raise
        raise ValueError(f"baseline: {message}") from None


def _numeric(value: object) -> bool:
    try:
        return np.asarray(value).dtype.kind in "fiub"
    except (TypeError, ValueError):
        return False


def _output_name(engine: AttributionEngine | None) -> str | None:
    if engine is None or engine._setup is None or engine._setup.output_key is None:
        return None
    return str(engine._setup.output_key)


def _input_rank(model) -> int | None:
    inputs = inputs_lib.symbolic_tensors(model, "inputs")
    return len(inputs[0].shape) if inputs else None


def _named(check, argument: str, value, *args):
    """Runs ``check`` and prefixes its ValueError with the constructor argument's name."""
    try:
        return check(value, *args)
    except ValueError as e:
        message = str(e)
        raise ValueError(
            message if message.startswith(argument) else f"{argument}: {message}"
        ) from None
