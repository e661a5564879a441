"""The plugin's ``*_impl`` methods called directly, without HTTP.

Each route is a thin wrapper (parse the query, respond) over an ``*_impl`` method that
returns data: the ``runs`` dict or the list of bundle records. These tests check what those
methods return and raise, and that the routes add nothing but the framing.
"""

from __future__ import annotations

import json
import urllib.parse
from pathlib import Path

import plugin_logs as logs
import pytest
from conftest import tb_provider
from tensorboard import context, errors
from tensorboard.plugins import base_plugin
from werkzeug import test as werkzeug_test

from tb_attrib.plugin import attributions_plugin
from tb_attrib.summary import codec

CTX = context.RequestContext()
EXP = ""
API = "/data/plugin/tb_attrib"


@pytest.fixture(scope="module")
def logdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("impl")
    logs.write_run(root / "main", range(6), ig_every=2)
    logs.write_run(root / "bare", range(2), labels=False, masks=False, feature_maps=False,
                   ig_every=0)  # fmt: skip
    return root


@pytest.fixture(scope="module")
def written(logdir: Path) -> dict[str, dict[int, list[bytes]]]:
    return logs.written_records(logdir / "main")


def make_plugin(provider: object) -> attributions_plugin.AttributionsPlugin:
    return attributions_plugin.AttributionsPlugin(
        base_plugin.TBContext(data_provider=provider, sampling_hints={})
    )


@pytest.fixture(scope="module")
def plugin(logdir: Path) -> attributions_plugin.AttributionsPlugin:
    return make_plugin(tb_provider(logdir))


def fields(record: bytes) -> dict:
    return codec.decode_record(record).fields


def test_runs_impl_returns_the_json_able_runs_dict(plugin) -> None:
    answer = plugin.runs_impl(CTX, EXP)
    assert answer["version"] == attributions_plugin.ROUTES_VERSION
    assert [run["run"] for run in answer["runs"]] == ["bare", "main"]
    assert json.loads(json.dumps(answer)) == answer
    main = answer["runs"][1]
    assert main["epochs"] == list(range(6)) and main["num_examples"] == 3


def test_probe_impl_returns_the_records_as_written(plugin, written) -> None:
    assert plugin.probe_impl(CTX, EXP, "main") == written[logs.PROBE_TAG][0]
    assert plugin.probe_impl(CTX, EXP, "main", logs.PROBE_TAG) == written[logs.PROBE_TAG][0]


def test_example_impl_every_epoch(plugin, written) -> None:
    records = plugin.example_impl(CTX, EXP, "main", 1)
    assert fields(records[0]) == {"epochs": list(range(6))}
    assert records[1::2] == [written[logs.SWEEP_TAG][e][2] for e in range(6)]
    assert records[2::2] == [written[logs.IG_TAG][e][2] if e % 2 == 0 else None for e in range(6)]


def test_example_impl_one_epoch_and_one_series(plugin, written) -> None:
    records = plugin.example_impl(CTX, EXP, "main", 0, epoch=3, sweep_tag=logs.SWEEP_TAG)
    assert fields(records[0]) == {"epochs": [3]}
    assert records[1:] == [written[logs.SWEEP_TAG][3][1], None]  # no IG at odd epochs


def test_gallery_impl_returns_the_digests(plugin, written) -> None:
    records = plugin.gallery_impl(CTX, EXP, "main")
    assert fields(records[0]) == {"epochs": list(range(6))}
    assert records[1::2] == [written[logs.SWEEP_TAG][e][0] for e in range(6)]
    assert records[2::2] == [written[logs.IG_TAG][e][0] if e % 2 == 0 else None for e in range(6)]
    bare = plugin.gallery_impl(CTX, EXP, "bare")
    assert fields(bare[0]) == {"epochs": [0, 1]} and bare[2::2] == [None, None]


def test_gallery_impl_of_one_epoch_is_that_epochs_slice_of_the_whole(plugin) -> None:
    """What a first render fetches: the index record and the two digests of one epoch."""
    whole = plugin.gallery_impl(CTX, EXP, "main")
    for epoch in (0, 3, 5):
        one = plugin.gallery_impl(CTX, EXP, "main", epoch=epoch)
        assert fields(one[0]) == {"epochs": [epoch]}
        assert one[1:] == whole[1 + 2 * epoch : 3 + 2 * epoch]
    with pytest.raises(errors.NotFoundError, match="epoch 6"):
        plugin.gallery_impl(CTX, EXP, "main", epoch=6)


def test_feature_maps_impl(plugin, written) -> None:
    records = plugin.feature_maps_impl(CTX, EXP, "main", logs.LAYER, 2)
    assert fields(records[0]) == {"epochs": list(range(6)), "layer": logs.LAYER}
    assert records[1:] == [written[logs.FM_TAG][e][3] for e in range(6)]
    one = plugin.feature_maps_impl(CTX, EXP, "main", logs.LAYER, 2, epoch=4)
    assert one[1:] == [written[logs.FM_TAG][4][3]]


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda p: p.probe_impl(CTX, EXP, "nope"), "no tb_attrib data for run 'nope'"),
        (lambda p: p.probe_impl(CTX, EXP, "main", logs.SWEEP_TAG), "has no probe series"),
        (lambda p: p.example_impl(CTX, EXP, "main", 3), "no example 3: the probe has 3"),
        (lambda p: p.example_impl(CTX, EXP, "main", 0, epoch=6), "no data for epoch 6"),
        (lambda p: p.example_impl(CTX, EXP, "bare", 0, ig_tag=logs.IG_TAG), "has no"),
        (lambda p: p.gallery_impl(CTX, EXP, "main", sweep_tag=logs.PROBE_TAG), "has no"),
        (lambda p: p.feature_maps_impl(CTX, EXP, "bare", logs.LAYER, 0), "no feature maps"),
        (lambda p: p.feature_maps_impl(CTX, EXP, "main", logs.LAYER, 9), "no example 9"),
        (lambda p: p.feature_maps_impl(CTX, EXP, "main", logs.LAYER, 0, 7), "no data for epoch"),
    ],
)
def test_impl_errors_are_not_found(plugin, call, message: str) -> None:
    with pytest.raises(errors.NotFoundError, match=message.replace("(", r"\(")):
        call(plugin)


class VanishingProvider:
    """A provider whose blobs of one step vanish after listing, as an evicted step's do."""

    def __init__(self, inner: object, step: int) -> None:
        self.inner, self.step, self.gone = inner, step, set()

    def __getattr__(self, name: str) -> object:
        return getattr(self.inner, name)

    def read_blob_sequences(self, ctx: object, **kwargs: object) -> dict:
        result = self.inner.read_blob_sequences(ctx, **kwargs)
        for tags in result.values():
            for datums in tags.values():
                for datum in datums:
                    if datum.step == self.step:
                        self.gone.update(ref.blob_key for ref in datum.values)
        return result

    def read_blob(self, ctx: object, *, blob_key: str) -> bytes:
        if blob_key in self.gone:
            raise errors.NotFoundError("evicted")
        return self.inner.read_blob(ctx, blob_key=blob_key)


@pytest.mark.parametrize(
    ("call", "per_epoch"),
    [
        (lambda p, epoch: p.example_impl(CTX, EXP, "main", 0, epoch), 2),
        (lambda p, epoch: p.gallery_impl(CTX, EXP, "main"), 2),
        (lambda p, epoch: p.feature_maps_impl(CTX, EXP, "main", logs.LAYER, 0, epoch), 1),
    ],
    ids=["example", "gallery", "feature_maps"],
)
def test_a_vanished_epoch_is_left_out_of_the_index(logdir: Path, call, per_epoch: int) -> None:
    """Listed, then unreadable (evicted or replaced): dropped, not served half-empty."""
    plugin = make_plugin(VanishingProvider(tb_provider(logdir), step=2))
    records = call(plugin, None)
    assert fields(records[0])["epochs"] == [0, 1, 3, 4, 5]
    assert len(records) == 1 + 5 * per_epoch and None not in records[1::per_epoch]


@pytest.mark.parametrize(
    "call",
    [
        lambda p: p.example_impl(CTX, EXP, "main", 0, 2),
        lambda p: p.feature_maps_impl(CTX, EXP, "main", logs.LAYER, 0, 2),
    ],
    ids=["example", "feature_maps"],
)
def test_a_requested_vanished_epoch_is_not_found(logdir: Path, call) -> None:
    plugin = make_plugin(VanishingProvider(tb_provider(logdir), step=2))
    with pytest.raises(errors.NotFoundError, match="no data for epoch 2"):
        call(plugin)


@pytest.mark.parametrize(
    ("query", "impl"),
    [
        ("probe?run=main", lambda p: p.probe_impl(CTX, EXP, "main")),
        ("example?run=main&index=2", lambda p: p.example_impl(CTX, EXP, "main", 2)),
        ("example?run=main&index=0&epoch=4", lambda p: p.example_impl(CTX, EXP, "main", 0, 4)),
        ("gallery?run=bare", lambda p: p.gallery_impl(CTX, EXP, "bare")),
        (
            f"feature_maps?run=main&layer={urllib.parse.quote(logs.LAYER)}&index=1",
            lambda p: p.feature_maps_impl(CTX, EXP, "main", logs.LAYER, 1),
        ),
    ],
)
def test_routes_answer_the_bundle_of_their_impl(logdir: Path, query: str, impl) -> None:
    app, plugin = logs.make_app(logdir)
    response = werkzeug_test.Client(app).get(f"{API}/{query}")
    assert response.status_code == 200
    assert response.get_data() == codec.encode_bundle(impl(plugin))


def test_runs_route_answers_its_impl(logdir: Path) -> None:
    app, plugin = logs.make_app(logdir)
    response = werkzeug_test.Client(app).get(f"{API}/runs")
    assert json.loads(response.get_data()) == plugin.runs_impl(CTX, EXP)
