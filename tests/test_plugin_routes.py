"""The plugin's routes, in process (werkzeug test client, Python loading path).

Every binary answer is compared byte for byte with the records in the event files, read
independently of TensorBoard (``plugin_logs.written_records``).
"""

from __future__ import annotations

import json
import sys
import urllib.parse
from pathlib import Path

import plugin_logs as logs
import pytest
from werkzeug import test as werkzeug_test

from tb_attrib.plugin import static
from tb_attrib.summary import codec

HTML_RUN = "<script>alert(1)</script>"
HTML_CLASS = '<img src=x onerror="alert(1)">'
API = "/data/plugin/tb_attrib"


@pytest.fixture(scope="module")
def logdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import tensorflow as tf

    root = tmp_path_factory.mktemp("routes")
    logs.write_run(root / "main", range(6), ig_every=2, class_names=["a", HTML_CLASS, "c&d"])
    logs.write_run(root / HTML_RUN, range(2))
    logs.write_run(root / "bare", range(2), labels=False, masks=False, feature_maps=False,
                   ig_every=0)  # fmt: skip
    logs.write_run(root / "restart", range(4), label="first-")
    logs.write_run(root / "restart", range(2, 5), label="second-", probe=False)
    logs.write_run(root / "noprobe", range(2), probe=False, feature_maps=False)
    logs.write_run(root / "future", range(2))
    logs.write_future_series(root / "future", "tb_attrib/new_sweep")
    logs.write_future_series(root / "future_only", "tb_attrib/newer", version=7)
    with tf.summary.create_file_writer(str(root / "scalars_only")).as_default(step=0):
        tf.summary.scalar("loss", 1.0)
    return root


@pytest.fixture(scope="module")
def client(logdir: Path) -> werkzeug_test.Client:
    app, _ = logs.make_app(logdir)
    return werkzeug_test.Client(app)


def get(client: werkzeug_test.Client, route: str, **params: object):
    query = urllib.parse.urlencode(params)
    return client.get(f"{API}/{route}" + (f"?{query}" if query else ""))


def bundle(response) -> list[bytes | None]:
    assert response.status_code == 200, response.get_data()
    assert response.headers["Content-Type"] == "application/octet-stream"
    return codec.decode_bundle(response.get_data())


def index_fields(record: bytes) -> dict:
    return codec.decode_record(record).fields


def runs_by_name(client: werkzeug_test.Client) -> dict[str, dict]:
    response = get(client, "runs")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    body = json.loads(response.get_data())
    assert body["version"] == 1
    return {run["run"]: run for run in body["runs"]}


def test_plugin_is_listed_active(client: werkzeug_test.Client) -> None:
    listing = json.loads(client.get("/data/plugins_listing").get_data())
    entry = listing["tb_attrib"]
    assert entry["enabled"] is True
    assert entry["tab_name"] == "Attributions"
    assert entry["loading_mechanism"] == {
        "type": "IFRAME",
        "module_path": "/data/plugin/tb_attrib/static/index.js",
    }


def test_plugin_is_inactive_without_tb_attrib_data(tmp_path: Path) -> None:
    import tensorflow as tf

    with tf.summary.create_file_writer(str(tmp_path / "run")).as_default(step=0):
        tf.summary.scalar("loss", 1.0)
    app, _ = logs.make_app(tmp_path)
    listing = json.loads(werkzeug_test.Client(app).get("/data/plugins_listing").get_data())
    assert listing["tb_attrib"]["enabled"] is False
    assert json.loads(get(werkzeug_test.Client(app), "runs").get_data())["runs"] == []


def test_runs_describes_a_full_run(client: werkzeug_test.Client) -> None:
    run = runs_by_name(client)["main"]
    digest = run.pop("probe_digest")  # the probe's identity: a SHA-256 (docs/format.md)
    assert isinstance(digest, str) and len(digest) == 64 and int(digest, 16) >= 0
    assert run == {
        "run": "main",
        "probe_tag": logs.PROBE_TAG,
        "num_examples": 3,
        "input_shape": [4, 4, 3],
        "image_shape": [4, 4, 3],
        "class_names": ["a", HTML_CLASS, "c&d"],
        "labels": [0, 1, 2],
        "has_masks": True,
        "sweep_tag": logs.SWEEP_TAG,
        "ig_tag": logs.IG_TAG,
        "alphas": list(logs.ALPHAS),
        "ig": {"method": "trapezoid", "steps": 8, "baseline": "e4"},
        "epochs": [0, 1, 2, 3, 4, 5],
        "methods": [{"name": "integrated_gradients", "tag": logs.IG_TAG, "epochs": [0, 2, 4]}],
        "feature_maps": [{"layer": logs.LAYER, "tag": logs.FM_TAG, "epochs": list(range(6))}],
        "inputs": [
            {
                "name": "input",
                "modality": "image",
                "shape": [4, 4, 3],
                "attributed": True,
                "display_range": [0.0, 1.0],
            }
        ],
        "head": {"kind": "multiclass", "width": 3, "output_kind": "probabilities", "output": None},
        "label_values": None,
        "format_version": 2,
        "warnings": [],
    }


def test_runs_lists_exactly_the_runs_with_tb_attrib_data(client: werkzeug_test.Client) -> None:
    assert set(runs_by_name(client)) == {
        "main", HTML_RUN, "bare", "noprobe", "restart", "future", "future_only"
    }  # fmt: skip


def test_unlabelled_run_without_ig_or_feature_maps(client: werkzeug_test.Client) -> None:
    run = runs_by_name(client)["bare"]
    assert run["labels"] is None and run["class_names"] is None
    assert run["has_masks"] is False
    assert run["ig_tag"] is None and run["ig"] is None
    assert run["feature_maps"] == []
    assert run["epochs"] == [0, 1]


def test_run_without_a_probe(client: werkzeug_test.Client) -> None:
    run = runs_by_name(client)["noprobe"]
    assert run["probe_tag"] is None and run["image_shape"] is None
    assert run["input_shape"] is None and run["labels"] is None and run["has_masks"] is False
    assert run["inputs"] is None and run["head"] is None and run["label_values"] is None
    assert run["format_version"] == 2  # of the sweep, without a probe
    assert run["num_examples"] == 3  # from the sweep's digest
    assert run["epochs"] == [0, 1] and run["sweep_tag"] == logs.SWEEP_TAG
    assert get(client, "probe", run="noprobe").status_code == 404
    assert len(bundle(get(client, "example", run="noprobe", index=2))) == 1 + 2 * 2


def test_html_in_names_comes_back_as_unaltered_json_data(client: werkzeug_test.Client) -> None:
    runs = runs_by_name(client)
    assert runs[HTML_RUN]["run"] == HTML_RUN
    assert runs["main"]["class_names"][1] == HTML_CLASS
    response = get(client, "example", run=HTML_RUN, index=0)
    assert len(bundle(response)) == 1 + 2 * 2
    missing = get(client, "example", run=HTML_RUN + "x", index=0)
    assert missing.status_code == 404
    assert missing.headers["Content-Type"].startswith("text/plain")


def test_future_format_versions_are_reported_not_read(client: werkzeug_test.Client) -> None:
    runs = runs_by_name(client)
    assert runs["future"]["warnings"] == [
        "tb_attrib/new_sweep: written by a newer tb_attrib (format version 99)"
    ]
    assert runs["future"]["sweep_tag"] == logs.SWEEP_TAG  # the readable series still serve
    only = runs["future_only"]
    assert only["warnings"] == ["tb_attrib/newer: written by a newer tb_attrib (format version 7)"]
    assert only["sweep_tag"] is None and only["probe_tag"] is None and only["epochs"] == []
    assert only["inputs"] is None and only["head"] is None and only["format_version"] is None
    response = get(client, "example", run="future", index=0, sweep_tag="tb_attrib/new_sweep")
    assert response.status_code == 404
    assert b"newer tb_attrib" in response.get_data()
    assert get(client, "gallery", run="future_only").status_code == 404


def test_probe_is_served_as_written(client: werkzeug_test.Client, logdir: Path) -> None:
    written = logs.written_records(logdir / "main")[logs.PROBE_TAG][0]
    assert bundle(get(client, "probe", run="main")) == written
    assert bundle(get(client, "probe", run="main", tag=logs.PROBE_TAG)) == written


@pytest.mark.parametrize("index", [0, 2])
def test_example_across_all_epochs(client: werkzeug_test.Client, logdir: Path, index) -> None:
    written = logs.written_records(logdir / "main")
    records = bundle(get(client, "example", run="main", index=index))
    assert index_fields(records[0]) == {"epochs": [0, 1, 2, 3, 4, 5]}
    for i, epoch in enumerate(range(6)):
        sweep, ig = records[1 + 2 * i], records[2 + 2 * i]
        assert sweep == written[logs.SWEEP_TAG][epoch][1 + index]
        if epoch % 2 == 0:
            assert ig == written[logs.IG_TAG][epoch][1 + index]
        else:
            assert ig is None  # this epoch has no integrated gradients
    assert codec.decode_record(records[1]).fields["index"] == index


def test_example_at_one_epoch(client: werkzeug_test.Client, logdir: Path) -> None:
    written = logs.written_records(logdir / "main")
    records = bundle(get(client, "example", run="main", index=1, epoch=4))
    assert index_fields(records[0]) == {"epochs": [4]}
    assert records[1:] == [written[logs.SWEEP_TAG][4][2], written[logs.IG_TAG][4][2]]
    explicit = get(
        client, "example", run="main", index=1, epoch=4,
        sweep_tag=logs.SWEEP_TAG, ig_tag=logs.IG_TAG,
    )  # fmt: skip
    assert bundle(explicit) == records


def test_gallery_holds_every_digest(client: werkzeug_test.Client, logdir: Path) -> None:
    written = logs.written_records(logdir / "main")
    records = bundle(get(client, "gallery", run="main"))
    assert index_fields(records[0]) == {"epochs": list(range(6))}
    for i, epoch in enumerate(range(6)):
        assert records[1 + 2 * i] == written[logs.SWEEP_TAG][epoch][0]
        expected_ig = written[logs.IG_TAG][epoch][0] if epoch % 2 == 0 else None
        assert records[2 + 2 * i] == expected_ig
    one = bundle(get(client, "gallery", run="main", epoch=3))
    assert index_fields(one[0]) == {"epochs": [3]}
    assert one[1:] == [written[logs.SWEEP_TAG][3][0], None]  # no IG at odd epochs


def test_feature_maps(client: werkzeug_test.Client, logdir: Path) -> None:
    written = logs.written_records(logdir / "main")[logs.FM_TAG]
    records = bundle(get(client, "feature_maps", run="main", layer=logs.LAYER, index=2))
    assert index_fields(records[0]) == {"epochs": list(range(6)), "layer": logs.LAYER}
    assert records[1:] == [written[epoch][3] for epoch in range(6)]
    one = bundle(get(client, "feature_maps", run="main", layer=logs.LAYER, index=2, epoch=3))
    assert one[1:] == [written[3][3]]
    scales = codec.decode_record(one[1]).arrays["scales"]
    assert scales.max() == pytest.approx(4.0)  # epoch 3 wrote activations up to 3 + 1


def test_restarted_run_serves_each_step_once(client: werkzeug_test.Client) -> None:
    """A step written twice is listed once and served from one whole write.

    Which write: TensorBoard's Python loading path (this in-process app) keeps the first
    write of a step; the Rust data server keeps the newest (``test_plugin_cli.py``).
    """
    assert runs_by_name(client)["restart"]["epochs"] == [0, 1, 2, 3, 4]
    records = bundle(get(client, "example", run="restart", index=0))
    assert index_fields(records[0]) == {"epochs": [0, 1, 2, 3, 4]}
    for epoch, sweep, ig in zip(range(5), records[1::2], records[2::2], strict=True):
        sweep_fields, ig_fields = codec.decode_record(sweep).fields, codec.decode_record(ig).fields
        assert sweep_fields["baseline"] == ig_fields["baseline"]
        assert sweep_fields["baseline"] in (f"first-e{epoch}", f"second-e{epoch}")


BAD_REQUESTS = [
    # (route, params, status)
    ("example", {}, 400),
    ("example", {"index": 0}, 400),
    ("example", {"run": "main"}, 400),
    ("example", {"run": "", "index": 0}, 400),
    ("example", {"run": "nope", "index": 0}, 404),
    ("example", {"run": "scalars_only", "index": 0}, 404),
    ("example", {"run": "main", "index": 3}, 404),
    ("example", {"run": "main", "index": 999999999}, 404),
    ("example", {"run": "main", "index": 0, "epoch": 6}, 404),
    ("example", {"run": "main", "index": 0, "sweep_tag": "nope"}, 404),
    ("example", {"run": "main", "index": 0, "ig_tag": logs.SWEEP_TAG}, 404),
    ("example", {"run": "bare", "index": 0, "ig_tag": logs.IG_TAG}, 404),
    ("gallery", {}, 400),
    ("gallery", {"run": "nope"}, 404),
    ("gallery", {"run": "main", "sweep_tag": logs.PROBE_TAG}, 404),
    ("gallery", {"run": "main", "epoch": 6}, 404),
    ("gallery", {"run": "main", "epoch": "-1"}, 400),
    ("gallery", {"run": "main", "epoch": "x"}, 400),
    ("probe", {}, 400),
    ("probe", {"run": "nope"}, 404),
    ("probe", {"run": "main", "tag": logs.SWEEP_TAG}, 404),
    ("probe", {"run": "future_only"}, 404),
    ("feature_maps", {"run": "main", "index": 0}, 400),
    ("feature_maps", {"run": "main", "layer": logs.LAYER}, 400),
    ("feature_maps", {"run": "main", "layer": "nope", "index": 0}, 404),
    ("feature_maps", {"run": "bare", "layer": logs.LAYER, "index": 0}, 404),
    ("feature_maps", {"run": "main", "layer": logs.LAYER, "index": 3}, 404),
    ("feature_maps", {"run": "main", "layer": logs.LAYER, "index": 0, "epoch": 9}, 404),
]
MALFORMED_INTEGERS = ["-1", "+1", " 1", "1 ", "1.0", "1e3", "0x1", "1_0", "\u0663", "", "x",
                      "1000000000", "99999999999999999999999"]  # fmt: skip


@pytest.mark.parametrize(("route", "params", "status"), BAD_REQUESTS)
def test_bad_requests_answer_short_plain_errors(
    client: werkzeug_test.Client, route: str, params: dict, status: int
) -> None:
    response = get(client, route, **params)
    assert response.status_code == status
    assert response.headers["Content-Type"].startswith("text/plain")
    body = response.get_data(as_text=True)
    assert 0 < len(body) < 300 and "Traceback" not in body


@pytest.mark.parametrize("value", MALFORMED_INTEGERS)
@pytest.mark.parametrize("name", ["index", "epoch"])
def test_malformed_integers_are_400(client: werkzeug_test.Client, name: str, value: str) -> None:
    params = {"run": "main", "index": 0, name: value}
    for route in ("example", "feature_maps"):
        response = get(client, route, layer=logs.LAYER, **params)
        assert response.status_code == 400, (route, value)
        assert response.headers["Content-Type"].startswith("text/plain")


def test_repeated_parameters_are_400(client: werkzeug_test.Client) -> None:
    response = client.get(f"{API}/example?run=main&run=main&index=0")
    assert response.status_code == 400
    assert b"more than once" in response.get_data()


def test_unknown_parameters_are_ignored(client: werkzeug_test.Client) -> None:
    assert get(client, "gallery", run="main", cache_buster=123).status_code == 200


@pytest.fixture
def frontend_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A stand-in frontend package beside a secret file, both outside the real package."""
    package = tmp_path / "fake_frontend_pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "index.js").write_text("export function render() {}\n")
    (package / "style.css").write_text("body { color: red; }\n")
    (package / "notes.txt").write_text("not servable\n")
    (package / ".hidden.js").write_text("hidden\n")
    (package / "sub").mkdir()
    (package / "sub" / "deep.js").write_text("deep\n")
    (tmp_path / "secret.js").write_text("SECRET\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(static, "FRONTEND_PACKAGE", "fake_frontend_pkg")
    yield package
    sys.modules.pop("fake_frontend_pkg", None)


def test_static_files_have_their_content_types(
    client: werkzeug_test.Client, frontend_package: Path
) -> None:
    js = client.get(f"{API}/static/index.js")
    assert js.status_code == 200
    assert js.headers["Content-Type"] == "text/javascript; charset=utf-8"
    assert js.get_data() == (frontend_package / "index.js").read_bytes()
    css = client.get(f"{API}/static/style.css")
    assert css.headers["Content-Type"] == "text/css; charset=utf-8"
    assert client.get(f"{API}/static/notes.txt").status_code == 404


TRAVERSALS = [
    "../secret.js",
    "..%2fsecret.js",
    "%2e%2e/secret.js",
    "%2e%2e%2fsecret.js",
    "%252e%252e%252fsecret.js",
    "..%5csecret.js",
    "..\\secret.js",
    "sub/deep.js",
    "sub%2fdeep.js",
    "./index.js",
    ".hidden.js",
    "/index.js",
    "//etc/passwd",
    "%2fetc%2fpasswd",
    "/etc/passwd",
    "C:\\Windows\\win.ini",
    "__init__.py",
    "index.js%00.css",
    "index.js/",
    "",
]


@pytest.mark.parametrize("path", TRAVERSALS)
def test_static_path_traversal_reads_nothing_else(
    client: werkzeug_test.Client, frontend_package: Path, path: str
) -> None:
    response = client.get(f"{API}/static/{path}")
    body = response.get_data()
    assert response.status_code == 404, path
    assert response.headers["Content-Type"].startswith("text/plain")
    for secret in (b"SECRET", b"deep", b"hidden", b"root:", b"export"):
        assert secret not in body


def test_real_frontend_files_are_served(client: werkzeug_test.Client) -> None:
    """Whatever the installed frontend package holds is served with its content type."""
    listing = static.list_files()
    for name, content_type in listing.items():
        response = client.get(f"{API}/static/{name}")
        assert response.status_code == 200, name
        assert response.headers["Content-Type"].split(";")[0] == content_type
    assert all(name.rsplit(".", 1)[-1] in ("js", "mjs", "css", "html", "json", "svg", "png")
               for name in listing)  # fmt: skip
