#!/usr/bin/env python3
"""Serving benchmark: tb_attrib's routes against TensorBoard's own images plugin.

    .venv/bin/python bench/serve.py                      # every log below, default path
    .venv/bin/python bench/serve.py --sizes 32 --modalities none --load-fast false
    .venv/bin/python bench/serve.py --sizes none --modalities text --epochs 50

For each size, writes one log directory (with the public write ops, no training) holding two
runs, then serves it with the real ``tensorboard`` CLI:

- ``attrib``: ``--epochs`` epochs x ``--examples`` probe examples x ``--alphas`` alphas of
  interior gradients plus integrated gradients, at SIZE x SIZE;
- ``images``: the anchor. At each epoch, one image per probe example whose PNG (random
  noise, so incompressible) has the bytes of that example's sweep + IG records at that
  epoch. "One example across all epochs" is then the same number of images and the same
  bytes on both sides. The PNGs are encoded once and written every epoch as exactly the
  tensor ``tf.summary.image`` writes (``[width, height, png, ...]`` with the images
  plugin's metadata): encoding 200 x 16 noise PNGs again would take most of the run.

and for each of ``--modalities`` (``tabular``: 100 features, ``sequence``: 1000 steps x 3
channels, ``text``: 256 tokens) one ``attrib`` run of the same epochs and examples with the
classic ten alphas, written by the shared ``tests/plugin_logs.write_modality_log`` at its
realistic sizes (no images anchor for these: TensorBoard has no dashboard of their kind).

Measured, side by side, from the same TensorBoard process (milliseconds to the last byte;
the body is read in pieces and dropped, on both sides alike):

- tb_attrib ``example`` (``/data/plugin/tb_attrib/example?run=attrib&index=i``: every epoch
  in one request). *first*: example 0, nothing cached; *other examples*: 1 to 15, one per
  ``--pause`` seconds, as a user clicking through (the plugin prefetches the rest of a run
  that fits half its cache); *same again*: example 0 repeated.
- the images plugin for one sample, as its dashboard fetches it: ``images?sample=i`` then
  every ``individualImage``, 6 at a time like a browser; same phases (it has no cache).
- tb_attrib ``gallery`` (every epoch's digests), repeated.
- resident memory of TensorBoard and its data server child (psutil), after the runs.

Prints a Markdown table; ``docs/benchmarks.md`` ("Serving") records a run of it.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import contextlib
import os
import shutil
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

import numpy as np
import psutil

_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from plugin_logs import write_modality_log  # noqa: E402
from tb_process import http_get, tensorboard_process, wait_until  # noqa: E402

RUN_ATTRIB = "attrib"
RUN_IMAGES = "images"
BROWSER_CONNECTIONS = 6
MODALITIES = {"tabular": "tabular", "sequence": "sequence", "text": "tokens"}
LABELS = {"tabular": "tabular 100", "sequence": "sequence 1000x3", "text": "text 256"}


def generate(logdir: Path, size: int, epochs: int, examples: int, alphas: int) -> None:
    """Writes the ``attrib`` and ``images`` runs of one size."""
    import tensorflow as tf
    from tensorboard.plugins.image import metadata as image_metadata

    import tb_attrib.summary as tbs

    rng = np.random.default_rng(size)
    classes = 10
    alpha_values = np.linspace(1.0 / alphas, 1.0, alphas)
    targets = np.arange(examples) % classes
    # One channel: maps are channel-summed before storage, so the stored bytes are the same
    # as for RGB inputs while the generation does a third of the arithmetic.
    base_grad = rng.normal(size=(examples, alphas, size, size, 1)).astype(np.float32)
    base_ig = rng.normal(size=(examples, size, size, 1)).astype(np.float32)
    probe_x = rng.random((examples, size, size, 3)).astype(np.float32)
    anchor = None
    anchor_metadata = image_metadata.create_summary_metadata(display_name=None, description=None)
    attrib_writer = tf.summary.create_file_writer(str(logdir / RUN_ATTRIB))
    images_writer = tf.summary.create_file_writer(str(logdir / RUN_IMAGES))
    for epoch in range(epochs):
        factor = np.float32(1.0 + 0.01 * epoch)
        predictions = rng.random((examples, alphas, classes)).astype(np.float32)
        with attrib_writer.as_default(step=epoch):
            if epoch == 0:
                tbs.probe(
                    "tb_attrib/probe",
                    probe_x,
                    labels=targets,
                    class_names=[f"class {c}" for c in range(classes)],
                )
            tbs.interior_gradients(
                "tb_attrib/interior_gradients",
                alpha_values,
                base_grad * factor,
                predictions,
                targets,
                baseline="black",
            )
            tbs.integrated_gradients(
                "tb_attrib/integrated_gradients",
                attributions=base_ig * factor,
                delta=rng.normal(size=examples) * 1e-3,
                targets=targets,
                score_input=rng.random(examples),
                score_baseline=rng.random(examples),
                method="gausslegendre",
                steps=32,
                baseline="black",
            )
        if anchor is None:
            anchor = _anchor_images(rng, examples, size, record_bytes=(alphas + 1) * size * size)
        with images_writer.as_default(step=epoch):
            tf.summary.write("anchor", anchor, metadata=anchor_metadata)
    attrib_writer.close()
    images_writer.close()


def _anchor_images(rng, examples: int, size: int, record_bytes: int):
    """``tf.summary.image``'s tensor for ``examples`` noise PNGs of about ``record_bytes``."""
    import tensorflow as tf

    width = max(1, round(record_bytes / (3 * size)))
    noise = rng.integers(0, 256, size=(examples, size, width, 3), dtype=np.uint8)
    pngs = [tf.io.encode_png(image) for image in noise]
    return tf.stack([tf.as_string(width), tf.as_string(size), *pngs])


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q))


def timed_get(url: str) -> tuple[float, int]:
    """Seconds until the last byte of ``url`` arrived, and the byte count.

    The body is read in 1 MiB pieces and dropped, so that the client's own copying does not
    count against the server (for both sides of the comparison alike).
    """
    request = urllib.request.Request(url, headers={"Accept-Encoding": "identity"})
    start = time.perf_counter()
    size = 0
    with _OPENER.open(request, timeout=120) as answer:
        if answer.status != 200:
            raise RuntimeError(f"{url}: HTTP {answer.status}")
        while chunk := answer.read(1 << 20):
            size += len(chunk)
    return time.perf_counter() - start, size


def images_for_sample(base: str, tag: str, sample: int, pool) -> tuple[float, int]:
    """The images dashboard's requests for one sample across every step."""
    start = time.perf_counter()
    query = urllib.parse.urlencode({"run": RUN_IMAGES, "tag": tag, "sample": sample})
    listing = http_get(f"{base}/data/plugin/images/images?{query}").json()
    urls = [f"{base}/data/plugin/images/individualImage?{e['query']}" for e in listing]
    sizes = list(pool.map(lambda u: timed_get(u)[1], urls))
    return time.perf_counter() - start, sum(sizes)


def tensorboard_memory(port: int) -> float:
    """Resident MiB of the process listening on ``port`` plus all its children."""
    for conn in psutil.net_connections(kind="tcp"):
        if conn.status == psutil.CONN_LISTEN and conn.laddr.port == port and conn.pid:
            process = psutil.Process(conn.pid)
            total = process.memory_info().rss
            for child in process.children(recursive=True):
                with contextlib.suppress(psutil.Error):
                    total += child.memory_info().rss
            return total / 2**20
    return float("nan")


def _write_once(logdir: Path, write) -> None:
    if not (logdir / ".complete").exists():
        shutil.rmtree(logdir, ignore_errors=True)
        start = time.perf_counter()
        write()
        (logdir / ".complete").write_text("ok")
        print(f"# wrote {logdir} in {time.perf_counter() - start:.0f} s", file=sys.stderr)


def bench_size(args: argparse.Namespace, size: int, workdir: Path) -> dict[str, object]:
    logdir = workdir / f"size{size}"
    _write_once(logdir, lambda: generate(logdir, size, args.epochs, args.examples, args.alphas))
    return bench_log(args, f"{size}x{size}", logdir, images=True)


def bench_modality(args: argparse.Namespace, name: str, workdir: Path) -> dict[str, object]:
    logdir = workdir / f"{name}-{args.epochs}x{args.examples}"
    _write_once(
        logdir,
        lambda: write_modality_log(
            logdir / RUN_ATTRIB,
            MODALITIES[name],
            realistic=True,
            epochs=args.epochs,
            examples=args.examples,
        ),
    )
    return bench_log(args, LABELS[name], logdir, images=False)


def bench_log(args: argparse.Namespace, label: str, logdir: Path, images: bool) -> dict:
    disk = sum(f.stat().st_size for f in logdir.rglob("*tfevents*")) / 2**20
    flags = [f"--load_fast={args.load_fast}", "--samples_per_plugin", "images=100000"]
    with tensorboard_process(logdir, *flags, timeout=300) as base:
        port = int(base.rsplit(":", 1)[1])
        api = f"{base}/data/plugin/tb_attrib"

        def loaded() -> bool:
            runs = http_get(f"{api}/runs").json()["runs"]
            if not images:
                return any(len(r["epochs"]) == args.epochs for r in runs)
            tags = http_get(f"{base}/data/plugin/images/tags").json()
            return (
                any(len(r["epochs"]) == args.epochs for r in runs)
                and RUN_IMAGES in tags
                and len(
                    http_get(
                        f"{base}/data/plugin/images/images?"
                        + urllib.parse.urlencode({"run": RUN_IMAGES, "tag": "anchor"})
                    ).json()
                )
                == args.epochs
            )

        start = time.perf_counter()
        wait_until(loaded, timeout=900, interval=1.0, what="TensorBoard to load every epoch")
        load_seconds = time.perf_counter() - start
        tag = "anchor"
        result: dict[str, object] = {"label": label, "disk_mib": disk, "load_s": load_seconds}
        example = f"{api}/example?run={RUN_ATTRIB}&index="
        with concurrent.futures.ThreadPoolExecutor(BROWSER_CONNECTIONS) as pool:
            first = timed_get(example + "0")
            switch = []
            for i in range(1, 16):  # a user picking other examples, a second apart
                time.sleep(args.pause)
                switch.append(timed_get(example + str(i)))
            timed_get(example + "0")  # back to example 0: from here on it is cached
            repeat = [timed_get(example + "0") for _ in range(args.n)]
            gallery = [timed_get(f"{api}/gallery?run={RUN_ATTRIB}") for _ in range(args.n)]
            img_first, img_switch, img_repeat = (None, 0), [], []
            if images:
                img_first = images_for_sample(base, tag, 0, pool)
                for i in range(1, 16):
                    time.sleep(args.pause)
                    img_switch.append(images_for_sample(base, tag, i, pool))
                img_repeat = [
                    images_for_sample(base, tag, 0, pool) for _ in range(max(5, args.n // 3))
                ]
        result.update(
            example_bytes=first[1],
            image_bytes=img_first[1],
            example_first=[first[0]],
            example_switch=[t for t, _ in switch],
            example_repeat=[t for t, _ in repeat],
            gallery=[t for t, _ in gallery],
            images_first=[img_first[0]] if images else [],
            images_switch=[t for t, _ in img_switch],
            images_repeat=[t for t, _ in img_repeat],
            rss_mib=tensorboard_memory(port),
        )
    return result


def report(args: argparse.Namespace, results: list[dict[str, object]]) -> str:
    def ms(values: list[float]) -> str:
        if not values:
            return ""
        if len(values) == 1:
            return f"{values[0] * 1e3:.0f}"
        return f"{percentile(values, 50) * 1e3:.0f} / {percentile(values, 95) * 1e3:.0f}"

    lines = [
        f"`tensorboard` CLI, `--load_fast={args.load_fast}`; {args.epochs} epochs x "
        f"{args.examples} examples x {args.alphas} alphas; {os.cpu_count()} cores. "
        "Milliseconds to the last byte; p50 / p95.",
        "",
        "| size | route | first request | other examples, 1 s apart | same again | "
        "bytes | TB RSS MiB |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in results:
        size = r["label"]
        lines.append(
            f"| {size} | tb_attrib `example` (all epochs) | {ms(r['example_first'])} | "
            f"{ms(r['example_switch'])} | {ms(r['example_repeat'])} | "
            f"{r['example_bytes'] / 2**20:.1f} MiB | {r['rss_mib']:.0f} |"
        )
        if r["images_first"]:
            lines.append(
                f"| {size} | images plugin, same images (6 at a time) | {ms(r['images_first'])} "
                f"| {ms(r['images_switch'])} | {ms(r['images_repeat'])} | "
                f"{r['image_bytes'] / 2**20:.1f} MiB | |"
            )
        lines.append(f"| {size} | tb_attrib `gallery` | | | {ms(r['gallery'])} | | |")
    lines.append("")
    lines += [
        f"{r['label']}: event files {r['disk_mib']:.0f} MiB, loaded in "
        f"{r['load_s']:.0f} s after TensorBoard answered."
        for r in results
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes", default="32,224", help="comma-separated image sizes ('none': no image log)"
    )
    parser.add_argument(
        "--modalities",
        default=",".join(MODALITIES),
        help=f"comma-separated modality logs among {', '.join(MODALITIES)} ('none': none)",
    )
    parser.add_argument("--epochs", type=int, default=200)
    parser.add_argument("--examples", type=int, default=16)
    parser.add_argument("--alphas", type=int, default=10)
    parser.add_argument("-n", type=int, default=30, help="repeats of each warm request")
    parser.add_argument("--pause", type=float, default=1.0, help="seconds between examples")
    parser.add_argument("--load-fast", default="auto", choices=["auto", "true", "false"])
    parser.add_argument("--workdir", help="keep generated logs here (reused when complete)")
    args = parser.parse_args()
    if args.examples < 16:
        parser.error("--examples must be at least 16")
    with contextlib.ExitStack() as stack:
        if args.workdir:
            workdir = Path(args.workdir)
            workdir.mkdir(parents=True, exist_ok=True)
        else:
            workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="tbab_")))
        results = [bench_size(args, int(s), workdir) for s in args.sizes.split(",") if s != "none"]
        results += [
            bench_modality(args, m, workdir) for m in args.modalities.split(",") if m != "none"
        ]
    print(report(args, results))


if __name__ == "__main__":
    main()
