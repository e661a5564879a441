"""The ``Attributions`` callback: interior and integrated gradients of a probe, every epoch."""

from __future__ import annotations

import os
import warnings
from collections.abc import Sequence

import numpy as np
import tensorflow as tf

from tb_attrib.callbacks import base, dashboards
from tb_attrib.callbacks import probe as probe_lib
from tb_attrib.engine import (
    CLASSIC_ALPHAS,
    DEFAULT_MAX_STEPS,
    DEFAULT_METHOD,
    DEFAULT_STEPS,
    DEFAULT_TOLERANCE,
    AttributionEngine,
    model_output,
    quadrature,
    validate_alphas,
    validate_steps,
)
from tb_attrib.engine import baselines as baselines_lib
from tb_attrib.summary import metadata, summary_v2


class Attributions(base.RunCallback):
    """Writes interior gradients and integrated gradients of a fixed probe batch.

    At the first epoch it writes the probe (display images, labels, class names, masks); every
    ``freq`` epochs it writes, to ``log_dir/run_name``:

    - for the tb_attrib dashboard: the interior-gradient sweep (gradients and class
      probabilities at each alpha) and the integrated gradients with completeness deltas;
    - for TensorBoard's Scalars tab: ``attributions/completeness_delta_mean`` and
      ``.../completeness_delta_max`` (``|delta| / |F(x) - F(baseline)|``),
      ``attributions/ig_evaluations`` (mean gradient evaluations per example),
      ``interior_gradients/accuracy/alpha_<a>`` (probe accuracy at each alpha; agreement with
      the prediction at alpha 1 when the probe has no labels),
      ``interior_gradients/mean_abs_gradient/alpha_<a>`` (the saturation curve) and, with
      ``probe_masks``, ``attributions/localization`` (share of positive attribution inside the
      object masks).

    Example::

        model.fit(x, y, epochs=20, callbacks=[
            keras.callbacks.TensorBoard("logs"),
            tb_attrib.callbacks.Attributions("logs", x_val[:16], y_val[:16],
                                             class_names=["cat", "dog"]),
        ])

    Args:
      log_dir: Log directory (the same one ``keras.callbacks.TensorBoard`` gets is fine).
      probe_x: The probe: an array or tensor ``[N, ...]`` or a ``tf.data.Dataset`` of ``x`` or
        ``(x, y)`` elements, of which the first ``probe_size`` examples are taken.
      probe_y: Labels, sparse ``[N]`` or one-hot ``[N, C]`` (taken from the dataset if None).
      class_names: Names of the model's classes, for display.
      alphas: The interior-gradient sweep, numbers in (0, 1].
      ig_steps: Gradient evaluations per example for IG, or ``"auto"`` (see
        :func:`tb_attrib.integrated_gradients`).
      ig_method: Quadrature rule: ``riemann_left``, ``riemann_right``, ``riemann_middle``,
        ``riemann_trapezoid`` (default: nested, so ``"auto"`` reuses every evaluation),
        ``gausslegendre``, or ``adaptive_trapezoid`` (points placed per example where its
        gradient map bends; fewer evaluations for the same map error on ReLU networks).
      baseline: ``"black"``, ``"white"``, ``"uniform"``, ``"blur"``, a number or an array.
      target: Class to explain: None (the label when the probe has labels, else the predicted
        class), ``"predicted"``, an int, or one int per example.
      freq: Write every ``freq`` epochs (epoch numbers divisible by ``freq``).
      probe_masks: Optional object masks ``[N, H, W]`` for the localisation score.
      probe_size: Examples taken from a dataset probe.
      batch_size: Interpolated inputs per model call (None: a bound on memory).
      ig_tolerance: Completeness tolerance of ``ig_steps="auto"``.
      ig_max_steps: Most evaluations ``ig_steps="auto"`` may use.
      run_name: Sub-directory of ``log_dir`` to write to.
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
        target: object = None,
        freq: int = 1,
        probe_masks: object = None,
        probe_size: int = probe_lib.DEFAULT_DATASET_PROBE_SIZE,
        batch_size: int | None = None,
        ig_tolerance: float = DEFAULT_TOLERANCE,
        ig_max_steps: int = DEFAULT_MAX_STEPS,
        run_name: str = "probe",
    ) -> None:
        super().__init__(log_dir, run_name, freq)
        self.alphas = _named(validate_alphas, "alphas", alphas)
        self.ig_method = _named(quadrature.validate_method, "ig_method", ig_method)
        self._ig_auto = _named(validate_steps, "ig_steps", ig_steps, self.ig_method)
        self.ig_steps = ig_steps
        _named(baselines_lib.validate, "baseline", baseline)
        self.baseline = baseline
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
        self._probe_x, self._probe_y = probe_x, probe_y
        self.probe_size = probe_size
        self._target_arg = target
        self._masks_arg = probe_masks
        self._masks: np.ndarray | None = None
        if not isinstance(probe_x, tf.data.Dataset):
            # Everything that does not need the model is checked now.
            self._probe = probe_lib.make_probe(probe_x, probe_y)
            self._check_static()
        else:
            self._probe = None
        self._engine: AttributionEngine | None = None
        self._targets: np.ndarray | None = None
        self._probe_written = False
        self._warned: set[str] = set()

    # ---- checks --------------------------------------------------------------------------

    def _check_static(self) -> None:
        x = self._probe.x
        _named(baselines_lib.validate, "baseline", self.baseline, x.shape[1:])
        if self._masks_arg is not None:
            masks = np.asarray(self._masks_arg)
            spatial = x.shape[1:3] if x.ndim == 4 else x.shape[1:]
            if masks.shape != (x.shape[0], *spatial):
                raise ValueError(
                    f"probe_masks must have shape {(x.shape[0], *spatial)} (one [H, W] mask per "
                    f"probe example); got {masks.shape}"
                )
            self._masks = masks != 0
        target = self._target_arg
        if isinstance(target, str) and target != "predicted":
            raise ValueError(
                f"target must be None, 'predicted', an int or one int per example; got {target!r}"
            )

    def on_train_begin(self, logs: dict | None = None) -> None:
        if self._probe is None:
            rank = _input_rank(self.model)
            self._probe = probe_lib.make_probe(
                self._probe_x, self._probe_y, dataset_size=self.probe_size, model_input_rank=rank
            )
            self._check_static()
        x = self._probe.x
        num_classes = base.check_model(self.model, x)
        probe_lib.check_labels(self._probe.y, num_classes)
        if self.class_names is not None and len(self.class_names) != num_classes:
            raise ValueError(
                f"class_names has {len(self.class_names)} names but the model has "
                f"{num_classes} output classes"
            )
        target = self._target_arg
        if target is None or isinstance(target, str):
            target = self._probe.y if target is None else None
        if target is not None:
            try:
                self._targets = model_output.resolve_targets(target, x.shape[0], num_classes, None)
            except ValueError as e:
                raise ValueError(f"target: {e}") from None
        self._open_writer()
        if self.writes:
            self._engine = AttributionEngine(self.model, x.shape[1:])

    # ---- work ----------------------------------------------------------------------------

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        if self.writes and not self._probe_written:
            with self._writing(epoch):
                summary_v2.probe(
                    metadata.TAG_PROBE,
                    self._probe.x,
                    labels=self._probe.y,
                    class_names=self.class_names,
                    masks=self._masks,
                )
            self._probe_written = True

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if not self._due(epoch):
            return
        x = self._probe.x
        targets = self._targets
        sweep = self._engine.interior_gradients(
            x, self.alphas, target=targets, baseline=self.baseline, batch_size=self.batch_size
        )
        targets = sweep.target if targets is None else targets
        ig = self._engine.integrated_gradients(
            x,
            target=targets,
            baseline=self.baseline,
            steps=self.ig_steps,
            method=self.ig_method,
            batch_size=self.batch_size,
            tolerance=self.ig_tolerance,
            max_steps=self.ig_max_steps,
        )
        self._warn_about(sweep.finite and ig.finite, np.abs(sweep.gradients).max(), epoch)
        with self._writing(epoch):
            summary_v2.interior_gradients(
                metadata.TAG_INTERIOR_GRADIENTS,
                self.alphas,
                sweep.gradients,
                sweep.predictions,
                targets,
                baseline=sweep.baseline_name,
            )
            summary_v2.integrated_gradients(metadata.TAG_INTEGRATED_GRADIENTS, ig)
            self._write_scalars(sweep, ig)

    def _write_scalars(self, sweep, ig) -> None:
        relative = np.abs(ig.delta) / np.maximum(np.abs(ig.score_input - ig.score_baseline), 1e-12)
        scalars = {
            "attributions/completeness_delta_mean": np.mean(relative),
            "attributions/completeness_delta_max": np.max(relative),
            "attributions/ig_evaluations": np.mean(ig.example_evaluations),
        }
        predicted = sweep.predictions.argmax(axis=-1)  # [N, K]
        reference = self._probe.y if self._probe.y is not None else predicted[:, -1]
        correct = predicted == reference[:, None]
        abs_mean = np.abs(sweep.gradients).reshape(*sweep.gradients.shape[:2], -1).mean(axis=-1)
        for k, alpha in enumerate(self.alphas):
            label = f"alpha_{alpha:g}"
            scalars[f"interior_gradients/accuracy/{label}"] = correct[:, k].mean()
            scalars[f"interior_gradients/mean_abs_gradient/{label}"] = abs_mean[:, k].mean()
        if self._masks is not None:
            scalars["attributions/localization"] = localization(ig.attributions, self._masks)
        dashboards.write(scalars=scalars)

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


def localization(attributions: np.ndarray, masks: np.ndarray) -> float:
    """Mean over examples of the share of positive (channel-summed) attribution inside the mask.

    Examples with no positive attribution count as 0.
    """
    maps = attributions.sum(axis=-1) if attributions.ndim == 4 else attributions
    positive = np.maximum(np.nan_to_num(maps), 0.0)
    total = positive.reshape(positive.shape[0], -1).sum(axis=1)
    inside = (positive * masks).reshape(positive.shape[0], -1).sum(axis=1)
    share = np.where(total > 0, inside / np.where(total > 0, total, 1.0), 0.0)
    return float(share.mean())


def _input_rank(model) -> int | None:
    inputs = base.symbolic_tensors(model, "inputs")
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
