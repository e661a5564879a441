"""Finding tb_attrib series and reading their records through TensorBoard's data provider.

Everything goes through ``context.data_provider`` (``list_blob_sequences`` /
``read_blob_sequences`` / ``read_blob``), so the Rust data server (TensorBoard's default),
``--load_fast=false`` and remote log directories behave alike. The same class serves the
notebook reader (:mod:`tb_attrib.reader`) over a ``MultiplexerDataProvider``.

Series are identified by the ``kind`` in their metadata, never by tag name. Where a step was
written twice (a restarted run), the write with the newest wall time is the step's value.
Records are bytes as written; this module never re-encodes them.
"""

from __future__ import annotations

import collections
import concurrent.futures
import dataclasses
import logging
import math
import threading
import time
from collections.abc import Callable, Hashable, Iterable, Sequence

from tensorboard import errors
from tensorboard.data import provider

from tb_attrib.summary import metadata

logger = logging.getLogger(__name__)

READ_ALL = 1_000_000_000
"""``downsample`` passed to ``read_blob_sequences``: serve every step TensorBoard kept.

How many steps are kept is decided once, at load time, by ``--samples_per_plugin`` (raised
by :class:`tb_attrib.plugin.loader.AttributionsLoader`); sampling again here would only hide
epochs the user asked TensorBoard to keep.
"""

DEFAULT_CACHE_BYTES = 256 * 1024 * 1024
"""Budget of the in-memory cache of blobs already read (least recently used evicted first).

Enough for every record of a 32x32 probe of 16 examples over 1000 epochs, or for two
examples of a 224x224 probe across 200 epochs (110 MB each).
"""

DEFAULT_INDEX_TTL = 1.0
"""Seconds a run's listing and step lists are reused as they are (see :class:`SeriesReader`)."""

DEFAULT_INDEX_MAX_AGE = 10.0
"""Up to this age a listing is still served, while a fresh one is fetched in the background."""

_MAX_SNAPSHOTS = 256

DEFAULT_READ_THREADS = 8

PREFETCH_THREADS = 4
"""Concurrent reads of one background prefetch (see :meth:`SeriesReader.prefetch`)."""
"""Concurrent ``read_blob`` calls; each is a round trip to the data server on the default path."""


@dataclasses.dataclass(frozen=True)
class BlobRef:
    """One record of one step: the provider's blob key and the wall time of its write.

    The wall time is part of the cache key: a step rewritten by a restarted run keeps its
    blob key on some providers, but never its wall time.
    """

    key: str
    wall_time: float


@dataclasses.dataclass(frozen=True)
class TagInfo:
    """A readable tb_attrib series of one run, as listed (no data read yet)."""

    tag: str
    kind: str
    metadata: metadata.SeriesMetadata
    max_length: int

    @property
    def layer(self) -> str:
        """The layer of a feature-map series (from its metadata, else from its tag)."""
        layer = self.metadata.extra.get("layer")
        if isinstance(layer, str) and layer:
            return layer
        return self.tag.removeprefix(metadata.TAG_FEATURE_MAPS_PREFIX)

    @property
    def method(self) -> str | None:
        """The attribution method of an ``integrated_gradients`` series other than IG's own
        (SmoothGrad, Guided IG: its metadata's ``attribution_method``), else None."""
        name = self.metadata.extra.get("attribution_method")
        return name if isinstance(name, str) and name else None


_DEFAULT_TAGS = {
    metadata.KIND_PROBE: metadata.TAG_PROBE,
    metadata.KIND_INTERIOR_GRADIENTS: metadata.TAG_INTERIOR_GRADIENTS,
    metadata.KIND_INTEGRATED_GRADIENTS: metadata.TAG_INTEGRATED_GRADIENTS,
}


@dataclasses.dataclass
class RunIndex:
    """The tb_attrib series of one run: readable ones by tag, and what could not be read."""

    run: str
    tags: dict[str, TagInfo]
    warnings: list[str]

    def of_kind(self, kind: str) -> list[TagInfo]:
        """Series of ``kind``: the callbacks' default tag first, then by tag name (for
        integrated gradients, the series of other methods after IG's own)."""
        default = _DEFAULT_TAGS.get(kind)
        found = [info for info in self.tags.values() if info.kind == kind]
        return sorted(found, key=lambda info: (info.tag != default, bool(info.method), info.tag))

    def methods(self) -> dict[str, TagInfo]:
        """The series of each attribution method beside IG, by method name (the first tag
        by name where a method was written under two)."""
        found: dict[str, TagInfo] = {}
        for info in self.of_kind(metadata.KIND_INTEGRATED_GRADIENTS):
            if info.method:
                found.setdefault(info.method, info)
        return dict(sorted(found.items()))

    def choose(self, kind: str, tag: str | None = None) -> TagInfo | None:
        """The series of ``kind`` named ``tag``, or the preferred one when ``tag`` is None.

        Raises:
          NotFoundError: ``tag`` is given but is not a readable series of that kind.
        """
        if tag is None:
            candidates = self.of_kind(kind)
            return candidates[0] if candidates else None
        info = self.tags.get(tag)
        if info is None or info.kind != kind:
            problem = next((w for w in self.warnings if w.startswith(f"{tag}: ")), None)
            raise errors.NotFoundError(
                problem or f"run {self.run!r} has no {kind} series with tag {tag!r}"
            )
        return info

    def feature_layers(self) -> dict[str, TagInfo]:
        """Feature-map series by layer name; for a layer written under two tags, the first."""
        layers: dict[str, TagInfo] = {}
        for info in self.of_kind(metadata.KIND_FEATURE_MAPS):
            layers.setdefault(info.layer, info)
        return layers


@dataclasses.dataclass(frozen=True)
class Series:
    """The data of one series: for each step, the element blobs of its newest write."""

    info: TagInfo
    steps: dict[int, tuple[BlobRef, ...]]
    wall_times: dict[int, float]

    def ref(self, step: int, element: int) -> BlobRef | None:
        """Element ``element`` of step ``step``, or None when the step or element is absent."""
        values = self.steps.get(step)
        if values is None or not 0 <= element < len(values):
            return None
        return values[element]

    def newest_step(self) -> int | None:
        """The step written last (by wall time), or None for an empty series."""
        if not self.wall_times:
            return None
        return max(self.wall_times, key=lambda s: (self.wall_times[s], s))

    def num_examples(self) -> int:
        """Probe examples in the longest step (elements after the digest)."""
        return max((len(v) - 1 for v in self.steps.values()), default=0)


@dataclasses.dataclass
class RunData:
    """One run's tb_attrib series: the listing, and the step data of each readable series."""

    index: RunIndex
    series: dict[str, Series]

    @property
    def run(self) -> str:
        return self.index.run

    def get(self, kind: str, tag: str | None = None) -> Series | None:
        """The series of ``kind`` named ``tag`` (or the preferred one), None if there is none.

        Raises:
          NotFoundError: ``tag`` is given but is not a readable series of that kind.
        """
        info = self.index.choose(kind, tag)
        if info is None:
            return None
        series = self.series.get(info.tag)
        if series is None and tag is not None:
            raise errors.NotFoundError(f"run {self.run!r} has no data in series {tag!r}")
        return series

    def methods(self) -> dict[str, Series]:
        """The series of the methods beside IG by name (see :meth:`RunIndex.methods`)."""
        found = self.index.methods().items()
        return {name: self.series[info.tag] for name, info in found if info.tag in self.series}

    def feature_layers(self) -> dict[str, Series]:
        """Feature-map series by layer name (see :meth:`RunIndex.feature_layers`)."""
        return {
            layer: self.series[info.tag]
            for layer, info in self.index.feature_layers().items()
            if info.tag in self.series
        }


class SeriesReader:
    """Lists and reads tb_attrib series of one data provider.

    Thread-safe: the plugin shares one instance across TensorBoard's request threads.

    Two caches keep the number of provider calls per request small. On the default loading
    path every provider call is a gRPC round trip to the Rust data server, and on this
    platform each costs about 40 ms whatever its size:

    - the listing and step lists of a run (two calls, made concurrently) are reused for
      ``index_ttl`` seconds; up to ``index_max_age`` seconds one is still served while a
      fresh one is fetched in the background, so a client clicking through examples never
      waits for it. TensorBoard itself reloads event files only every ``--reload_interval``
      (5 s by default); answers trail those reloads by at most ``index_ttl`` seconds or
      one request;
    - blobs already read are kept in a byte-budgeted LRU keyed by blob key and wall time.
    """

    def __init__(
        self,
        data_provider: provider.DataProvider,
        *,
        cache_bytes: int = DEFAULT_CACHE_BYTES,
        read_threads: int = DEFAULT_READ_THREADS,
        index_ttl: float = DEFAULT_INDEX_TTL,
        index_max_age: float = DEFAULT_INDEX_MAX_AGE,
    ) -> None:
        self._provider = data_provider
        self._cache = _BlobCache(cache_bytes)
        self._read_threads = read_threads
        self._index_ttl = index_ttl
        self._index_max_age = max(index_ttl, index_max_age)
        self._executor: concurrent.futures.ThreadPoolExecutor | None = None
        self._executor_lock = threading.Lock()
        self._prefetch_executor: concurrent.futures.ThreadPoolExecutor | None = None
        self._index_executor: concurrent.futures.ThreadPoolExecutor | None = None
        self._prefetching: set[Hashable] = set()
        self._prefetched: collections.OrderedDict[Hashable, bool] = collections.OrderedDict()
        self._snapshots: collections.OrderedDict[
            tuple[str, str | None], tuple[float, dict[str, RunData]]
        ] = collections.OrderedDict()
        self._inflight: dict[tuple[str, str | None], concurrent.futures.Future] = {}
        self._snapshots_lock = threading.Lock()

    def runs(self, ctx: object, experiment_id: str, run: str | None = None) -> dict[str, RunData]:
        """Returns ``{run: RunData}`` for every run (or just ``run``) holding tb_attrib series.

        Series whose metadata cannot be parsed, or that a newer tb_attrib wrote, are left
        out of ``RunIndex.tags`` and described in ``RunIndex.warnings`` instead.
        """
        key = (experiment_id, run)
        with self._snapshots_lock:
            cached = self._snapshots.get(key)
            age = time.monotonic() - cached[0] if cached is not None else math.inf
            if age < self._index_ttl:
                return cached[1]
            if age < self._index_max_age:
                # Serve this answer and refresh for the next one (stale-while-revalidate).
                if key not in self._inflight:
                    self._inflight[key] = concurrent.futures.Future()
                    threading.Thread(
                        target=self._refresh,
                        args=(ctx, experiment_id, run, True),
                        name="tb_attrib_index_refresh",
                        daemon=True,
                    ).start()
                return cached[1]
            future = self._inflight.get(key)
            owner = future is None
            if owner:  # one fetch per key at a time; concurrent requests share its result
                future = self._inflight[key] = concurrent.futures.Future()
        if not owner:
            return future.result()
        return self._refresh(ctx, experiment_id, run)

    def _refresh(
        self, ctx: object, experiment_id: str, run: str | None, background: bool = False
    ) -> dict[str, RunData]:
        """Fetches and caches one snapshot, completing the in-flight future of its key."""
        key = (experiment_id, run)
        future = self._inflight[key]
        fetched_at = time.monotonic()
        try:
            result = self._fetch_runs(ctx, experiment_id, run)
        except BaseException as e:
            with self._snapshots_lock:
                del self._inflight[key]
            future.set_exception(e)
            if background:  # the next request retries, in the foreground once too old
                logger.debug("tb_attrib index refresh failed", exc_info=True)
                return {}
            raise
        with self._snapshots_lock:
            del self._inflight[key]
            if self._index_ttl > 0 and result:  # unknown runs are not remembered
                self._snapshots[key] = (fetched_at, result)
                self._snapshots.move_to_end(key)
                while len(self._snapshots) > _MAX_SNAPSHOTS:
                    self._snapshots.popitem(last=False)
        future.set_result(result)
        return result

    def run(self, ctx: object, experiment_id: str, run: str) -> RunData:
        """The :class:`RunData` of one run.

        Taken from the snapshot of every run while that one may still be served (the
        ``runs`` route made it, and a client asks for a run it listed): the first request
        for a run then waits for no listing of its own. Otherwise the run alone is listed.

        Raises:
          NotFoundError: The run does not exist or holds no tb_attrib series.
        """
        if self._servable((experiment_id, None)):
            data = self.runs(ctx, experiment_id).get(run)
            if data is not None:
                return data
        data = self.runs(ctx, experiment_id, run).get(run)
        if data is None:
            raise errors.NotFoundError(f"no tb_attrib data for run {run!r}")
        return data

    def _servable(self, key: tuple[str, str | None]) -> bool:
        """Whether the snapshot of ``key`` is young enough to be served without waiting."""
        with self._snapshots_lock:
            cached = self._snapshots.get(key)
        return cached is not None and time.monotonic() - cached[0] < self._index_max_age

    def _fetch_runs(self, ctx: object, experiment_id: str, run: str | None) -> dict[str, RunData]:
        rtf = provider.RunTagFilter(runs=[run]) if run is not None else None
        common = {"experiment_id": experiment_id, "plugin_name": metadata.PLUGIN_NAME}
        # The two calls run concurrently; the listing on its own small pool, so that it never
        # queues behind another request's blob reads.
        with self._executor_lock:
            if self._index_executor is None:
                self._index_executor = concurrent.futures.ThreadPoolExecutor(
                    max_workers=4, thread_name_prefix="tb_attrib_index"
                )
            listed = self._index_executor.submit(
                self._provider.list_blob_sequences, ctx, run_tag_filter=rtf, **common
            )
        data = self._provider.read_blob_sequences(
            ctx, downsample=READ_ALL, run_tag_filter=rtf, **common
        )
        listing = listed.result()
        result = {}
        for run_name, tags in listing.items():
            index = _index_run(run_name, tags)
            run_data = data.get(run_name, {})
            series = {
                tag: _newest_per_step(info, run_data[tag])
                for tag, info in index.tags.items()
                if tag in run_data
            }
            result[run_name] = RunData(index, series)
        return result

    def read_blobs(self, ctx: object, refs: Sequence[BlobRef | None]) -> list[bytes | None]:
        """Reads many blobs, concurrently and through the cache; None stays None.

        A blob that vanished between listing and reading (evicted by TensorBoard's
        sampling, or discarded by a restarted run) comes back as None.
        """
        out: list[bytes | None] = [None] * len(refs)
        missing: dict[BlobRef, list[int]] = collections.defaultdict(list)
        for i, ref in enumerate(refs):
            if ref is None:
                continue
            cached = self._cache.get(ref)
            if cached is not None:
                out[i] = cached
            else:
                missing[ref].append(i)
        if not missing:
            return out
        todo = list(missing)
        if len(todo) == 1:
            results = [self._read_one(ctx, todo[0])]
        else:
            results = list(self._pool().map(lambda ref: self._read_one(ctx, ref), todo))
        for ref, data in zip(todo, results, strict=True):
            for i in missing[ref]:
                out[i] = data
        return out

    @property
    def cache_bytes(self) -> int:
        """Budget of the blob cache."""
        return self._cache.budget

    def prefetch(
        self, ctx: object, refs: Callable[[], Iterable[BlobRef | None]], key: Hashable
    ) -> bool:
        """Reads the blobs ``refs()`` lists into the cache, in the background, once per key.

        For the records a client will likely ask for next (the other examples of the run it
        is looking at): on the default loading path a cold read of one example across 200
        epochs is 400 gRPC calls. ``refs`` is called on the background thread, so the
        request that triggers the prefetch does not pay for listing them. Uses its own small
        pool, so requests never queue behind a prefetch. Returns whether a job was started.
        """
        with self._executor_lock:
            if key in self._prefetching or key in self._prefetched:
                return False
            self._prefetching.add(key)
            if self._prefetch_executor is None:
                self._prefetch_executor = concurrent.futures.ThreadPoolExecutor(
                    max_workers=PREFETCH_THREADS, thread_name_prefix="tb_attrib_prefetch"
                )
            executor = self._prefetch_executor

        def job() -> None:
            done = False
            try:
                todo = [
                    r for r in dict.fromkeys(refs()) if r is not None and not self._cache.has(r)
                ]
                # Several reads at a time: one call at a time stalls ~40 ms per call on the
                # Rust data server's gRPC channel.
                chunk = max(1, len(todo) // PREFETCH_THREADS + 1)
                parts = [todo[i : i + chunk] for i in range(0, len(todo), chunk)]
                for future in [executor.submit(self._read_all, ctx, part) for part in parts]:
                    future.result()
                done = True
            except Exception:
                logger.debug("tb_attrib prefetch failed", exc_info=True)
            finally:
                with self._executor_lock:
                    self._prefetching.discard(key)
                    if done:
                        self._prefetched[key] = True
                        while len(self._prefetched) > _MAX_SNAPSHOTS:
                            self._prefetched.popitem(last=False)

        threading.Thread(target=job, name="tb_attrib_prefetch_job", daemon=True).start()
        return True

    def _read_all(self, ctx: object, refs: Sequence[BlobRef]) -> None:
        for ref in refs:
            if not self._cache.has(ref):
                self._read_one(ctx, ref)

    def _read_one(self, ctx: object, ref: BlobRef) -> bytes | None:
        try:
            data = self._provider.read_blob(ctx, blob_key=ref.key)
        except errors.NotFoundError:
            return None
        data = bytes(data)
        self._cache.put(ref, data)
        return data

    def _pool(self) -> concurrent.futures.ThreadPoolExecutor:
        with self._executor_lock:
            if self._executor is None:
                self._executor = concurrent.futures.ThreadPoolExecutor(
                    max_workers=self._read_threads, thread_name_prefix="tb_attrib_read"
                )
            return self._executor


def _index_run(run: str, tags: dict) -> RunIndex:
    """Sorts one run's listed series into readable ones and warnings."""
    index = RunIndex(run=run, tags={}, warnings=[])
    for tag in sorted(tags):
        series = tags[tag]
        try:
            meta = metadata.parse_plugin_content(series.plugin_content)
        except metadata.MetadataError as e:
            index.warnings.append(f"{tag}: unreadable metadata ({e})")
            continue
        if meta.version > metadata.FORMAT_VERSION:
            index.warnings.append(
                f"{tag}: written by a newer tb_attrib (format version {meta.version})"
            )
            continue
        if not meta.readable:
            index.warnings.append(f"{tag}: unknown series kind {meta.kind!r}")
            continue
        index.tags[tag] = TagInfo(tag, meta.kind, meta, int(series.max_length))
    return index


def _newest_per_step(info: TagInfo, datums: Iterable[provider.BlobSequenceDatum]) -> Series:
    steps: dict[int, tuple[BlobRef, ...]] = {}
    wall_times: dict[int, float] = {}
    for datum in datums:
        step = int(datum.step)
        wall_time = float(datum.wall_time)
        if step in wall_times and wall_times[step] > wall_time:
            continue
        wall_times[step] = wall_time
        steps[step] = tuple(BlobRef(ref.blob_key, wall_time) for ref in datum.values)
    return Series(info=info, steps=steps, wall_times=wall_times)


class _BlobCache:
    """A byte-budgeted LRU of blobs; blobs are immutable per (blob key, wall time)."""

    def __init__(self, budget: int) -> None:
        self.budget = budget
        self._size = 0
        self._entries: collections.OrderedDict[BlobRef, bytes] = collections.OrderedDict()
        self._lock = threading.Lock()

    def get(self, ref: BlobRef) -> bytes | None:
        with self._lock:
            data = self._entries.get(ref)
            if data is not None:
                self._entries.move_to_end(ref)
            return data

    def has(self, ref: BlobRef) -> bool:
        with self._lock:
            return ref in self._entries

    def put(self, ref: BlobRef, data: bytes) -> None:
        if len(data) > self.budget // 8:
            return  # one huge blob must not flush everything else
        with self._lock:
            if ref in self._entries:
                return
            self._entries[ref] = data
            self._size += len(data)
            while self._size > self.budget:
                _, evicted = self._entries.popitem(last=False)
                self._size -= len(evicted)


class NewestWritePerStep:
    """An ``EventMultiplexer`` view whose ``Tensors`` keep only the newest write of each step.

    TensorBoard's ``MultiplexerDataProvider`` (the ``--load_fast=false`` path, and
    :func:`tb_attrib.load`) keeps the *first* event of a step, so a step written again by a
    restarted run (``initial_epoch``) would show the crashed run's values; the Rust data server
    keeps the newest. Wrapping the multiplexer makes both paths agree. Everything else is
    delegated unchanged.
    """

    def __init__(self, multiplexer: object) -> None:
        self._multiplexer = multiplexer

    def __getattr__(self, name: str) -> object:
        return getattr(self._multiplexer, name)

    def Tensors(self, run: str, tag: str) -> list:  # noqa: N802 (TensorBoard's name)
        newest: dict[int, object] = {}
        for event in self._multiplexer.Tensors(run, tag):
            kept = newest.get(event.step)
            if kept is None or event.wall_time >= kept.wall_time:
                newest[event.step] = event
        return [newest[step] for step in sorted(newest)]


def provider_for(context: object) -> object:
    """The data provider the plugin reads through.

    ``context.data_provider`` as it is, except on the Python loading path (a multiplexer is
    present), where the same ``MultiplexerDataProvider`` is built over
    :class:`NewestWritePerStep` so that a rewritten step shows its newest values there too.
    """
    multiplexer = getattr(context, "multiplexer", None)
    if multiplexer is None:
        return context.data_provider
    from tensorboard.backend.event_processing import data_provider as tb_data_provider

    return tb_data_provider.MultiplexerDataProvider(
        NewestWritePerStep(multiplexer), getattr(context, "logdir", "") or ""
    )
