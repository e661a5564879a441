"""The Attributions dashboard's backend: a ``TBPlugin`` and its HTTP routes.

Routes live under ``data/plugin/tb_attrib/``; ``docs/format.md`` is their contract. As in
TensorBoard's own plugins (``histograms_plugin.py``), each route is a thin ``*_route``
wrapper that parses the query and turns the answer of a ``*_impl`` method into the HTTP
response; the ``*_impl`` methods take ``(ctx, experiment, ...)`` and return data: the
``runs`` dict, or the list of records of a bundle. Binary routes answer
:func:`tb_attrib.summary.codec.encode_bundle` bundles of records passed through exactly as
written (streamed in pieces by :mod:`tb_attrib.plugin.bundles`). Every client error raises
``tensorboard.errors.InvalidArgumentError`` (400) or ``NotFoundError`` (404), which
TensorBoard turns into a short ``text/plain`` answer; nothing a client sends can produce a
500.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

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

Records = list[bytes | None]
"""The records of one bundle, in order; None is an absent record (length 0 in the bundle)."""


class AttributionsPlugin(base_plugin.TBPlugin):
    """Serves interior and integrated gradients, feature maps and probes of every run."""

    plugin_name = metadata.PLUGIN_NAME

    def __init__(self, context: base_plugin.TBContext) -> None:
        self._reader = data.SeriesReader(data.provider_for(context))

    def get_plugin_apps(self) -> dict[str, object]:
        return {
            "/static/*": self.static_route,
            "/runs": self.runs_route,
            "/probe": self.probe_route,
            "/example": self.example_route,
            "/gallery": self.gallery_route,
            "/feature_maps": self.feature_maps_route,
            "/attribution": self.attribution_route,
        }

    def is_active(self) -> bool:
        """False: TensorBoard core activates the plugin when a run holds tb_attrib data."""
        return False

    def data_plugin_names(self) -> tuple[str, ...]:
        return (metadata.PLUGIN_NAME,)

    def frontend_metadata(self) -> base_plugin.FrontendMetadata:
        return base_plugin.FrontendMetadata(es_module_path=ES_MODULE_PATH, tab_name=TAB_NAME)

    # Data: what each route answers, as Python values. Raise errors.PublicError subclasses.

    def runs_impl(self, ctx: object, experiment: str) -> dict[str, object]:
        """The ``runs`` answer: ``{"version": ROUTES_VERSION, "runs": [RUN, ...]}``."""
        return {
            "version": ROUTES_VERSION,
            "runs": describe.describe_runs(self._reader, ctx, experiment),
        }

    def probe_impl(self, ctx: object, experiment: str, run: str, tag: str | None = None) -> Records:
        """The probe's digest then its example records, from the newest write.

        Raises:
          NotFoundError: No such run or probe series, or its records are not readable.
        """
        series = self._reader.run(ctx, experiment, run).get(metadata.KIND_PROBE, tag)
        if series is None:
            raise errors.NotFoundError(f"run {run!r} has no probe")
        step = series.newest_step()
        refs = list(series.steps[step]) if step is not None else []
        blobs = self._reader.read_blobs(ctx, refs)
        if not blobs or any(b is None for b in blobs):
            raise errors.NotFoundError(f"the probe of run {run!r} is not readable yet")
        return blobs

    def example_impl(
        self,
        ctx: object,
        experiment: str,
        run: str,
        index: int,
        epoch: int | None = None,
        sweep_tag: str | None = None,
        ig_tag: str | None = None,
    ) -> Records:
        """The ``example`` bundle's records: sweep and IG records of example ``index``.

        Index record ``{"epochs": [...]}``, then per epoch the interior-gradient and the
        integrated-gradient record. Without ``epoch``, every epoch; the other examples of
        the run are then prefetched into the cache.

        Raises:
          NotFoundError: No such run, series, example or epoch.
        """
        sweep, ig = self._sweep_and_ig(ctx, experiment, run, sweep_tag, ig_tag)
        _check_example(index, sweep, ig)
        epochs, records = self._epoch_records(ctx, (sweep, ig), 1 + index, epoch)
        if epoch is None:
            self._prefetch_other_examples(ctx, experiment, run, index, epochs, records, sweep, ig)
        return records

    def gallery_impl(
        self,
        ctx: object,
        experiment: str,
        run: str,
        sweep_tag: str | None = None,
        ig_tag: str | None = None,
        epoch: int | None = None,
    ) -> Records:
        """The ``gallery`` bundle's records: index record, then per epoch both digests.

        Without ``epoch``, every epoch; with it, that epoch alone (what a first render
        shows: two reads instead of two per epoch).

        Raises:
          NotFoundError: No such run, series or epoch.
        """
        sweep, ig = self._sweep_and_ig(ctx, experiment, run, sweep_tag, ig_tag)
        _, records = self._epoch_records(ctx, (sweep, ig), 0, epoch)
        return records

    def feature_maps_impl(
        self,
        ctx: object,
        experiment: str,
        run: str,
        layer: str,
        index: int,
        epoch: int | None = None,
    ) -> Records:
        """The ``feature_maps`` bundle's records: ``layer``'s maps of example ``index``.

        Index record ``{"epochs": [...], "layer": layer}``, then one record per epoch.

        Raises:
          NotFoundError: No such run, layer, example or epoch.
        """
        series = self._reader.run(ctx, experiment, run).feature_layers().get(layer)
        if series is None:
            raise errors.NotFoundError(f"run {run!r} has no feature maps of layer {layer!r}")
        _check_example(index, series, None)
        _, records = self._epoch_records(
            ctx, (series,), 1 + index, epoch, index_fields={"layer": layer}
        )
        return records

    def attribution_impl(
        self,
        ctx: object,
        experiment: str,
        run: str,
        tag: str,
        index: int,
        epoch: int | None = None,
    ) -> Records:
        """The ``attribution`` bundle's records: one integrated-gradients series (IG's own or
        another method's, by ``tag``) of example ``index``, without the sweep.

        Index record ``{"epochs": [...]}``, then one record per epoch.

        Raises:
          NotFoundError: No such run, series (of the integrated-gradients kind), example or
            epoch.
        """
        series = self._reader.run(ctx, experiment, run).get(metadata.KIND_INTEGRATED_GRADIENTS, tag)
        if series is None:
            raise errors.NotFoundError(f"run {run!r} has no series {tag!r}")
        _check_example(index, series, None)
        _, records = self._epoch_records(ctx, (series,), 1 + index, epoch)
        return records

    # Routes: parse the query, call the *_impl method, respond.

    @wrappers.Request.application
    def static_route(self, request: wrappers.Request) -> wrappers.Response:
        prefix = f"/data/plugin/{metadata.PLUGIN_NAME}/static/"
        path = request.path
        name = path[path.find(prefix) + len(prefix) :] if prefix in path else ""
        body, content_type = static.read_file(name)
        return http_util.Respond(request, body, content_type)

    @wrappers.Request.application
    def runs_route(self, request: wrappers.Request) -> wrappers.Response:
        ctx, experiment = _context(request)
        return http_util.Respond(request, self.runs_impl(ctx, experiment), "application/json")

    @wrappers.Request.application
    def probe_route(self, request: wrappers.Request) -> wrappers.Response:
        ctx, experiment = _context(request)
        run = params.string(request.args, "run", required=True)
        tag = params.string(request.args, "tag", required=False)
        return bundles.respond(request, self.probe_impl(ctx, experiment, run, tag))

    @wrappers.Request.application
    def example_route(self, request: wrappers.Request) -> wrappers.Response:
        ctx, experiment = _context(request)
        run = params.string(request.args, "run", required=True)
        index = params.non_negative_int(request.args, "index", required=True)
        epoch = params.non_negative_int(request.args, "epoch", required=False)
        sweep_tag = params.string(request.args, "sweep_tag", required=False)
        ig_tag = params.string(request.args, "ig_tag", required=False)
        records = self.example_impl(ctx, experiment, run, index, epoch, sweep_tag, ig_tag)
        return bundles.respond(request, records)

    @wrappers.Request.application
    def gallery_route(self, request: wrappers.Request) -> wrappers.Response:
        ctx, experiment = _context(request)
        run = params.string(request.args, "run", required=True)
        sweep_tag = params.string(request.args, "sweep_tag", required=False)
        ig_tag = params.string(request.args, "ig_tag", required=False)
        epoch = params.non_negative_int(request.args, "epoch", required=False)
        records = self.gallery_impl(ctx, experiment, run, sweep_tag, ig_tag, epoch)
        return bundles.respond(request, records)

    @wrappers.Request.application
    def feature_maps_route(self, request: wrappers.Request) -> wrappers.Response:
        ctx, experiment = _context(request)
        run = params.string(request.args, "run", required=True)
        layer = params.string(request.args, "layer", required=True)
        index = params.non_negative_int(request.args, "index", required=True)
        epoch = params.non_negative_int(request.args, "epoch", required=False)
        records = self.feature_maps_impl(ctx, experiment, run, layer, index, epoch)
        return bundles.respond(request, records)

    @wrappers.Request.application
    def attribution_route(self, request: wrappers.Request) -> wrappers.Response:
        ctx, experiment = _context(request)
        run = params.string(request.args, "run", required=True)
        tag = params.string(request.args, "tag", required=True)
        index = params.non_negative_int(request.args, "index", required=True)
        epoch = params.non_negative_int(request.args, "epoch", required=False)
        records = self.attribution_impl(ctx, experiment, run, tag, index, epoch)
        return bundles.respond(request, records)

    # Helpers.

    def _epoch_records(
        self,
        ctx: object,
        series: Sequence[data.Series | None],
        element: int,
        epoch: int | None,
        *,
        index_fields: dict[str, object] | None = None,
    ) -> tuple[list[int], Records]:
        """The records of an epoch bundle: element ``element`` of each series, per epoch.

        Selects the epochs (the union of the series' steps, or just ``epoch``), reads
        element ``element`` of every series at each (None where a series is None or lacks
        that step), and returns ``(selected epochs, records)`` where ``records`` is the
        index record ``{"epochs": [...], **index_fields}`` followed by ``len(series)``
        records per epoch still readable. An epoch whose records all vanished between
        listing and reading (TensorBoard's reservoir evicted it, or a restarted run replaced
        it) is dropped from the index record instead of being served as a torn, half-empty
        entry.

        Raises:
          NotFoundError: ``epoch`` is given and no series holds it (or it is unreadable).
        """
        epochs = _select_epochs(epoch, *series)
        refs = [s.ref(e, element) if s is not None else None for e in epochs for s in series]
        blobs = self._reader.read_blobs(ctx, refs)
        per_epoch = len(series)
        kept_epochs = []
        kept_blobs: Records = []
        for i, e in enumerate(epochs):
            group = blobs[i * per_epoch : (i + 1) * per_epoch]
            if any(b is not None for b in group):
                kept_epochs.append(e)
                kept_blobs.extend(group)
        if epoch is not None and not kept_epochs:
            raise errors.NotFoundError(f"no data for epoch {epoch}")
        index_record = codec.encode_record({"epochs": kept_epochs, **(index_fields or {})}, {})
        return epochs, [index_record, *kept_blobs]

    def _prefetch_other_examples(
        self,
        ctx: object,
        experiment: str,
        run: str,
        example: int,
        epochs: list[int],
        records: Records,
        sweep: data.Series | None,
        ig: data.Series | None,
    ) -> None:
        """Warms the cache with every other example of the run, when they all fit in half.

        ``records`` is the answer for ``example`` (its size, index record aside, estimates
        each other example's). A client that played one example back will likely pick
        another: with the records cached, switching examples costs a few milliseconds
        instead of a cold read.
        """
        count = max((s.num_examples() for s in (sweep, ig) if s is not None), default=0)
        estimate = sum(len(b) for b in records[1:] if b is not None) * count
        if count < 2 or estimate > self._reader.cache_bytes // 2:
            return

        def refs() -> Iterator[data.BlobRef | None]:
            for i in range(count):
                if i != example:
                    for e in epochs:
                        for s in (sweep, ig):
                            if s is not None:
                                yield s.ref(e, 1 + i)

        key = (experiment, run, sweep and sweep.info.tag, ig and ig.info.tag, len(epochs))
        self._reader.prefetch(ctx, refs, key)

    def _sweep_and_ig(
        self, ctx: object, experiment: str, run: str, sweep_tag: str | None, ig_tag: str | None
    ) -> tuple[data.Series | None, data.Series | None]:
        """The chosen interior-gradient and integrated-gradient series of ``run``."""
        run_data = self._reader.run(ctx, experiment, run)
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
