"""The Attributions dashboard's backend: a ``TBPlugin`` and its HTTP routes.

Routes live under ``data/plugin/tb_attrib/``; ``docs/format.md`` is their contract. Binary
routes answer :func:`tb_attrib.summary.codec.encode_bundle` bundles of records passed through
exactly as written (streamed in pieces by :mod:`tb_attrib.plugin.bundles`). Every client
error raises ``tensorboard.errors.InvalidArgumentError`` (400) or ``NotFoundError`` (404),
which TensorBoard turns into a short ``text/plain`` answer; nothing a client sends can
produce a 500.
"""

from __future__ import annotations

from collections.abc import Iterator

from tensorboard import errors, plugin_util
from tensorboard.backend import http_util
from tensorboard.plugins import base_plugin
from werkzeug import wrappers

from tb_attrib.plugin import bundles, data, describe, params, static
from tb_attrib.summary import codec, metadata

ES_MODULE_PATH = "/static/index.js"
TAB_NAME = "Attributions"
ROUTES_VERSION = 1
"""``version`` of the ``runs`` answer; raised when a route's answer changes incompatibly."""


class AttributionsPlugin(base_plugin.TBPlugin):
    """Serves interior and integrated gradients, feature maps and probes of every run."""

    plugin_name = metadata.PLUGIN_NAME

    def __init__(self, context: base_plugin.TBContext) -> None:
        self._reader = data.SeriesReader(data.provider_for(context))

    def get_plugin_apps(self) -> dict[str, object]:
        return {
            "/static/*": self._serve_static,
            "/runs": self._serve_runs,
            "/probe": self._serve_probe,
            "/example": self._serve_example,
            "/gallery": self._serve_gallery,
            "/feature_maps": self._serve_feature_maps,
        }

    def is_active(self) -> bool:
        """False: TensorBoard core activates the plugin when a run holds tb_attrib data."""
        return False

    def data_plugin_names(self) -> tuple[str, ...]:
        return (metadata.PLUGIN_NAME,)

    def frontend_metadata(self) -> base_plugin.FrontendMetadata:
        return base_plugin.FrontendMetadata(es_module_path=ES_MODULE_PATH, tab_name=TAB_NAME)

    @wrappers.Request.application
    def _serve_static(self, request: wrappers.Request) -> wrappers.Response:
        prefix = f"/data/plugin/{metadata.PLUGIN_NAME}/static/"
        path = request.path
        name = path[path.find(prefix) + len(prefix) :] if prefix in path else ""
        body, content_type = static.read_file(name)
        return http_util.Respond(request, body, content_type)

    @wrappers.Request.application
    def _serve_runs(self, request: wrappers.Request) -> wrappers.Response:
        ctx, eid = _context(request)
        runs = describe.describe_runs(self._reader, ctx, eid)
        return http_util.Respond(
            request, {"version": ROUTES_VERSION, "runs": runs}, "application/json"
        )

    @wrappers.Request.application
    def _serve_probe(self, request: wrappers.Request) -> wrappers.Response:
        ctx, eid = _context(request)
        run = params.string(request.args, "run", required=True)
        tag = params.string(request.args, "tag", required=False)
        series = self._reader.run(ctx, eid, run).get(metadata.KIND_PROBE, tag)
        if series is None:
            raise errors.NotFoundError(f"run {run!r} has no probe")
        step = series.newest_step()
        refs = list(series.steps[step]) if step is not None else []
        blobs = self._reader.read_blobs(ctx, refs)
        if not blobs or any(b is None for b in blobs):
            raise errors.NotFoundError(f"the probe of run {run!r} is not readable yet")
        return bundles.respond(request, blobs)

    @wrappers.Request.application
    def _serve_example(self, request: wrappers.Request) -> wrappers.Response:
        ctx, eid = _context(request)
        run = params.string(request.args, "run", required=True)
        example = params.non_negative_int(request.args, "index", required=True)
        epoch = params.non_negative_int(request.args, "epoch", required=False)
        sweep_tag = params.string(request.args, "sweep_tag", required=False)
        ig_tag = params.string(request.args, "ig_tag", required=False)
        sweep, ig = self._sweep_and_ig(ctx, eid, run, sweep_tag, ig_tag)
        _check_example(example, sweep, ig)
        epochs = _select_epochs(epoch, sweep, ig)
        refs = []
        for e in epochs:
            refs.append(sweep.ref(e, 1 + example) if sweep else None)
            refs.append(ig.ref(e, 1 + example) if ig else None)
        blobs = self._reader.read_blobs(ctx, refs)
        if epoch is None:
            self._prefetch_other_examples(ctx, eid, run, example, epochs, blobs, sweep, ig)
        return _epoch_bundle(request, epochs, blobs, per_epoch=2, requested=epoch)

    def _prefetch_other_examples(
        self,
        ctx: object,
        eid: str,
        run: str,
        example: int,
        epochs: list[int],
        blobs: list[bytes | None],
        sweep: data.Series | None,
        ig: data.Series | None,
    ) -> None:
        """Warms the cache with every other example of the run, when they all fit in half.

        A client that played one example back will likely pick another: with the records
        cached, switching examples costs a few milliseconds instead of a cold read.
        """
        count = max((s.num_examples() for s in (sweep, ig) if s is not None), default=0)
        estimate = sum(len(b) for b in blobs if b is not None) * count
        if count < 2 or estimate > self._reader.cache_bytes // 2:
            return

        def refs() -> Iterator[data.BlobRef | None]:
            for i in range(count):
                if i != example:
                    for e in epochs:
                        for s in (sweep, ig):
                            if s is not None:
                                yield s.ref(e, 1 + i)

        key = (eid, run, sweep and sweep.info.tag, ig and ig.info.tag, len(epochs))
        self._reader.prefetch(ctx, refs, key)

    @wrappers.Request.application
    def _serve_gallery(self, request: wrappers.Request) -> wrappers.Response:
        ctx, eid = _context(request)
        run = params.string(request.args, "run", required=True)
        sweep_tag = params.string(request.args, "sweep_tag", required=False)
        ig_tag = params.string(request.args, "ig_tag", required=False)
        sweep, ig = self._sweep_and_ig(ctx, eid, run, sweep_tag, ig_tag)
        epochs = _select_epochs(None, sweep, ig)
        refs = []
        for e in epochs:
            refs.append(sweep.ref(e, 0) if sweep else None)
            refs.append(ig.ref(e, 0) if ig else None)
        blobs = self._reader.read_blobs(ctx, refs)
        return _epoch_bundle(request, epochs, blobs, per_epoch=2, requested=None)

    @wrappers.Request.application
    def _serve_feature_maps(self, request: wrappers.Request) -> wrappers.Response:
        ctx, eid = _context(request)
        run = params.string(request.args, "run", required=True)
        layer = params.string(request.args, "layer", required=True)
        example = params.non_negative_int(request.args, "index", required=True)
        epoch = params.non_negative_int(request.args, "epoch", required=False)
        series = self._reader.run(ctx, eid, run).feature_layers().get(layer)
        if series is None:
            raise errors.NotFoundError(f"run {run!r} has no feature maps of layer {layer!r}")
        _check_example(example, series, None)
        epochs = _select_epochs(epoch, series, None)
        blobs = self._reader.read_blobs(ctx, [series.ref(e, 1 + example) for e in epochs])
        return _epoch_bundle(
            request, epochs, blobs, per_epoch=1, requested=epoch, index_fields={"layer": layer}
        )

    def _sweep_and_ig(
        self, ctx: object, eid: str, run: str, sweep_tag: str | None, ig_tag: str | None
    ) -> tuple[data.Series | None, data.Series | None]:
        """The chosen interior-gradient and integrated-gradient series of ``run``."""
        run_data = self._reader.run(ctx, eid, run)
        sweep = run_data.get(metadata.KIND_INTERIOR_GRADIENTS, sweep_tag)
        ig = run_data.get(metadata.KIND_INTEGRATED_GRADIENTS, ig_tag)
        if sweep is None and ig is None:
            raise errors.NotFoundError(f"run {run!r} has no interior or integrated gradients")
        return sweep, ig


def _context(request: wrappers.Request) -> tuple[object, str]:
    return plugin_util.context(request.environ), plugin_util.experiment_id(request.environ)


def _check_example(example: int, *series: data.Series | None) -> None:
    count = max((s.num_examples() for s in series if s is not None), default=0)
    if example >= count:
        raise errors.NotFoundError(f"no example {example}: the probe has {count} examples")


def _select_epochs(epoch: int | None, *series: data.Series | None) -> list[int]:
    """The sorted union of the series' steps, or just ``epoch`` when one is requested."""
    epochs = set()
    for s in series:
        if s is not None:
            epochs.update(s.steps)
    if epoch is None:
        return sorted(epochs)
    if epoch not in epochs:
        raise errors.NotFoundError(f"no data for epoch {epoch}")
    return [epoch]


def _epoch_bundle(
    request: wrappers.Request,
    epochs: list[int],
    blobs: list[bytes | None],
    *,
    per_epoch: int,
    requested: int | None,
    index_fields: dict[str, object] | None = None,
) -> wrappers.Response:
    """Index record then ``per_epoch`` records per epoch, leaving out epochs now unreadable.

    An epoch whose records all vanished between listing and reading (TensorBoard's
    reservoir evicted it, or a restarted run replaced it) is dropped from the index record
    instead of being served as a torn, half-empty entry.
    """
    kept_epochs = []
    kept_blobs: list[bytes | None] = []
    for i, e in enumerate(epochs):
        group = blobs[i * per_epoch : (i + 1) * per_epoch]
        if any(b is not None for b in group):
            kept_epochs.append(e)
            kept_blobs.extend(group)
    if requested is not None and not kept_epochs:
        raise errors.NotFoundError(f"no data for epoch {requested}")
    index_record = codec.encode_record({"epochs": kept_epochs, **(index_fields or {})}, {})
    return bundles.respond(request, [index_record, *kept_blobs])
