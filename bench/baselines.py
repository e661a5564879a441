#!/usr/bin/env python3
"""Which baseline explains the demo: the named baselines and expected gradients, measured.

    .venv/bin/python bench/baselines.py            # the demo network and its GELU twin (~10 min)
    .venv/bin/python bench/baselines.py --quick    # fewer examples and epochs (a smoke test)
    .venv/bin/python bench/baselines.py --networks relu

Each network is trained as ``demo_train.py`` trains it (``bench/engine.py``'s ``build_network``
and ``fit``: the demo's ``build_model``, its ``make_shapes`` data, Adam 2e-3, batch 64, 6000
examples, 10 epochs, seed 0); ``gelu`` is the same network with GELU, the second network of
``bench/engine.py`` (b). Then, on the demo's 16 class-balanced probe examples, target = label,
each baseline is run exactly as the ``Attributions`` callback runs it at its defaults (the
interior-gradient sweep, integrated gradients at ``steps="auto"``, the baseline health), and
the table gives per baseline:

- what the model predicts on the baseline (its top class and probability; for per-example
  baselines the most confident one), and how many examples it flags;
- the localisation score per class and overall: the share of each example's positive
  attribution (summed over channels) that falls on the object's mask, the callback's
  ``attributions/localization``;
- how many probe examples explain a change ``|F(x) - F(baseline)|`` below 0.1 (maps of
  almost nothing);
- the cost of one epoch's work (sweep + IG + health), median of interleaved rounds, as a
  ratio to the default baseline's, and the mean gradient evaluations per example.

The machine is shared and noisy: read times as ratios measured side by side; nothing here
asserts a time. ``docs/benchmarks.md`` ("Baselines") and the README record a run.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

BASELINES = ("black", "white", "uniform", "blur", "expected")
SMALL_CHANGE = 0.1


def localisation(attributions: np.ndarray, masks: np.ndarray) -> np.ndarray:
    """``[N]`` share of positive channel-summed attribution inside each example's mask."""
    positive = np.maximum(np.nan_to_num(attributions.sum(axis=-1)), 0.0)
    total = positive.reshape(len(positive), -1).sum(axis=1)
    inside = (positive * masks).reshape(len(positive), -1).sum(axis=1)
    return np.where(total > 0, inside / np.where(total > 0, total, 1.0), 0.0)


def epoch_work(engine, x, y, baseline: str):
    """What ``Attributions`` computes in one epoch at its defaults, for ``baseline``."""
    from tb_attrib.engine import CLASSIC_ALPHAS

    engine.interior_gradients(x, CLASSIC_ALPHAS, target=y, baseline=baseline)
    ig = engine.integrated_gradients(x, target=y, baseline=baseline)
    return ig, engine.baseline_health(ig)


def measure(model, data, rounds: int) -> list[list[object]]:
    """One table row per baseline on a trained network."""
    from tb_attrib.engine import AttributionEngine

    engine = AttributionEngine(model)
    x, y, masks = data.probe_x, data.probe_y, data.probe_masks.astype(np.float32)
    results = {b: epoch_work(engine, x, y, b) for b in BASELINES}  # also warms every trace
    times = {b: [] for b in BASELINES}
    for r in range(rounds):
        order = BASELINES[r % len(BASELINES) :] + BASELINES[: r % len(BASELINES)]
        for b in order:
            start = time.perf_counter()
            epoch_work(engine, x, y, b)
            times[b].append(time.perf_counter() - start)
    reference = statistics.median(times["black"])
    rows = []
    for b in BASELINES:
        ig, health = results[b]
        share = localisation(ig.attributions, masks)
        per_class = [share[y == c].mean() for c in range(len(data.class_names))]
        change = ig.score_input - ig.score_baseline
        worst = health.worst
        top = f"{data.class_names[health.top_class[worst]]} {health.top_probability[worst]:.2f}"
        cost = statistics.median(times[b])
        rows.append(
            [
                b,
                top,
                int(health.affected.sum()),
                *(f"{v:.2f}" for v in per_class),
                f"**{share.mean():.2f}**",
                int(np.sum(np.abs(change) < SMALL_CHANGE)),
                f"{float(np.abs(ig.relative_delta).max()):.3f}",
                f"{np.mean(ig.example_evaluations):.0f}",
                f"{cost:.2f} s ({cost / reference:.1f}x)",
            ]
        )
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="1500 examples, 3 epochs")
    parser.add_argument("--networks", default="relu,gelu", help="relu,gelu (default both)")
    parser.add_argument("--rounds", type=int, default=3, help="timed rounds (default 3)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    import engine as engine_bench  # bench/engine.py: the demo's data, network and training

    config = engine_bench.QUICK if args.quick else engine_bench.FULL
    epochs = config.demo_epochs
    data = engine_bench.load_demo_data(config, args.seed, config.demo_train_size)
    print(f"# Baselines on the demo network{' (--quick)' if args.quick else ''}\n")
    print(engine_bench.describe_machine())
    header = [
        "baseline",
        "baseline's top class",
        "flagged",
        *data.class_names,
        "localisation",
        f"|F(x) - F(b)| < {SMALL_CHANGE}",
        "worst completeness",
        "evaluations / example",
        "cost / epoch",
    ]
    for name in [n.strip() for n in args.networks.split(",") if n.strip()]:
        model = engine_bench.build_network(name, len(data.class_names), args.seed)
        accuracy = engine_bench.fit(model, data, epochs)
        print(
            f"\n## {name} network: {len(data.x_train)} examples, {epochs} epochs, probe "
            f"accuracy {accuracy:.2f}, {len(data.probe_y)} probe examples\n"
        )
        print(engine_bench.markdown_table(header, measure(model, data, args.rounds)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
