"""The data layer's caches: how many provider calls a request costs, and staleness bounds."""

from __future__ import annotations

import collections
import time

import plugin_logs as logs
import pytest
from tb_process import wait_until
from tensorboard import context
from tensorboard.backend.event_processing import data_provider as tb_data_provider
from tensorboard.backend.event_processing import plugin_event_multiplexer

from tb_attrib.plugin import data
from tb_attrib.summary import metadata


class CountingProvider:
    """Forwards to a real provider and counts calls per method."""

    def __init__(self, inner: object) -> None:
        self.inner = inner
        self.calls: collections.Counter[str] = collections.Counter()

    def __getattr__(self, name: str) -> object:
        method = getattr(self.inner, name)

        def counted(*args: object, **kwargs: object) -> object:
            self.calls[name] += 1
            return method(*args, **kwargs)

        return counted


@pytest.fixture(scope="module")
def provider_factory(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("data")
    logs.write_run(root / "main", range(3))
    multiplexer = plugin_event_multiplexer.EventMultiplexer(
        tensor_size_guidance={metadata.PLUGIN_NAME: 0}
    )
    multiplexer.AddRunsFromDirectory(str(root))
    multiplexer.Reload()
    inner = tb_data_provider.MultiplexerDataProvider(multiplexer, str(root))
    return lambda: CountingProvider(inner)


CTX = context.RequestContext()


def test_listing_is_reused_within_the_ttl(provider_factory) -> None:
    provider = provider_factory()
    reader = data.SeriesReader(provider, index_ttl=60)
    first = reader.run(CTX, "", "main")
    assert reader.run(CTX, "", "main") is first
    assert provider.calls == {"list_blob_sequences": 1, "read_blob_sequences": 1}


def test_a_run_comes_from_the_listing_of_every_run(provider_factory) -> None:
    """The ``runs`` route listed every run: a request for one of them lists nothing more."""
    provider = provider_factory()
    reader = data.SeriesReader(provider, index_ttl=60)
    every = reader.runs(CTX, "")
    assert reader.run(CTX, "", "main") is every["main"]
    assert provider.calls == {"list_blob_sequences": 1, "read_blob_sequences": 1}
    with pytest.raises(Exception, match="no tb_attrib data"):
        reader.run(CTX, "", "new")  # not in that listing: listed on its own
    assert provider.calls == {"list_blob_sequences": 2, "read_blob_sequences": 2}


def test_a_too_old_listing_of_every_run_is_not_used_for_one(provider_factory) -> None:
    provider = provider_factory()
    reader = data.SeriesReader(provider, index_ttl=0.01, index_max_age=0.02)
    every = reader.runs(CTX, "")
    time.sleep(0.05)
    assert reader.run(CTX, "", "main") is not every["main"]
    assert provider.calls == {"list_blob_sequences": 2, "read_blob_sequences": 2}


def test_stale_listing_is_served_while_refreshed_in_the_background(provider_factory) -> None:
    provider = provider_factory()
    reader = data.SeriesReader(provider, index_ttl=0.01, index_max_age=60)
    first = reader.run(CTX, "", "main")
    time.sleep(0.05)
    assert reader.run(CTX, "", "main") is first  # served at once, refresh started
    wait_until(lambda: provider.calls["read_blob_sequences"] == 2, timeout=10)
    wait_until(lambda: reader.run(CTX, "", "main") is not first, timeout=10)


def test_too_old_listing_is_refreshed_before_answering(provider_factory) -> None:
    provider = provider_factory()
    reader = data.SeriesReader(provider, index_ttl=0.01, index_max_age=0.02)
    first = reader.run(CTX, "", "main")
    time.sleep(0.05)
    assert reader.run(CTX, "", "main") is not first
    assert provider.calls["read_blob_sequences"] == 2


def test_unknown_runs_are_not_remembered(provider_factory) -> None:
    provider = provider_factory()
    reader = data.SeriesReader(provider, index_ttl=60)
    for name in ("a", "b", "a"):
        with pytest.raises(Exception, match="no tb_attrib data"):
            reader.run(CTX, "", name)
    assert provider.calls["list_blob_sequences"] == 3
    assert not reader._snapshots


def test_blobs_are_read_once_then_cached(provider_factory) -> None:
    provider = provider_factory()
    reader = data.SeriesReader(provider)
    sweep = reader.run(CTX, "", "main").get(metadata.KIND_INTERIOR_GRADIENTS)
    refs = [sweep.ref(e, 1) for e in sorted(sweep.steps)] + [None]
    first = reader.read_blobs(CTX, refs)
    assert provider.calls["read_blob"] == 3 and first[-1] is None
    assert reader.read_blobs(CTX, refs) == first
    assert provider.calls["read_blob"] == 3


def test_cache_budget_evicts_least_recently_used() -> None:
    cache = data._BlobCache(budget=80)
    refs = [data.BlobRef(f"k{i}", 1.0) for i in range(9)]
    for ref in refs[:8]:
        cache.put(ref, b"x" * 10)  # 80 bytes: all fit
    assert cache.get(refs[0]) is not None  # refs[0] is now the most recently used
    cache.put(refs[8], b"y" * 10)
    assert not cache.has(refs[1])  # the least recently used went
    assert all(cache.has(r) for r in (refs[0], *refs[2:]))
    cache.put(data.BlobRef("huge", 1.0), b"z" * 11)  # over budget / 8: never cached
    assert not cache.has(data.BlobRef("huge", 1.0))
    assert cache.get(data.BlobRef("k0", 2.0)) is None  # another write of the same key


def test_prefetch_fills_the_cache_once_per_key(provider_factory) -> None:
    provider = provider_factory()
    reader = data.SeriesReader(provider)
    sweep = reader.run(CTX, "", "main").get(metadata.KIND_INTERIOR_GRADIENTS)
    refs = [sweep.ref(e, i) for e in sorted(sweep.steps) for i in range(4)]
    assert reader.prefetch(CTX, lambda: iter(refs), key="k")
    wait_until(lambda: provider.calls["read_blob"] == len(refs), timeout=30)
    wait_until(lambda: "k" in reader._prefetched, timeout=10)
    assert not reader.prefetch(CTX, lambda: iter(refs), key="k")  # done once per key
    reader.read_blobs(CTX, refs)
    assert provider.calls["read_blob"] == len(refs)  # all served from the cache


def test_series_keep_the_newest_write_of_each_step() -> None:
    from tensorboard.data import provider

    def datum(step: int, wall_time: float, key: str) -> provider.BlobSequenceDatum:
        refs = (provider.BlobReference(key + "/0"), provider.BlobReference(key + "/1"))
        return provider.BlobSequenceDatum(step=step, wall_time=wall_time, values=refs)

    info = data.TagInfo("t", "interior_gradients", None, 2)
    series = data._newest_per_step(
        info, [datum(1, 10.0, "a"), datum(2, 11.0, "b"), datum(2, 20.0, "c"), datum(2, 15.0, "d")]
    )
    assert sorted(series.steps) == [1, 2]
    assert series.ref(2, 1) == data.BlobRef("c/1", 20.0)
    assert series.ref(2, 2) is None and series.ref(3, 0) is None
    assert series.newest_step() == 2
