"""The plugin inside the real ``tensorboard`` CLI, on both loading paths.

One TensorBoard process per loading path serves one log directory for the whole module:
the Rust data server (TensorBoard's default) and ``--load_fast=false`` (Python loading).
Records must come back byte for byte as the event files hold them
(``plugin_logs.written_records``), every epoch of a 300-epoch run included.
"""

from __future__ import annotations

import http.client
import re
import threading
import time
import urllib.parse
from pathlib import Path

import plugin_logs as logs
import pytest
from tb_process import Response, http_get, tensorboard_process, wait_until

from tb_attrib.plugin import static
from tb_attrib.summary import codec

pytestmark = pytest.mark.slow

HTML_RUN = "<b>run</b> & <script>alert(1)</script>"
HTML_CLASS = "<img src=x onerror=alert(1)>"
LONG_EPOCHS = 300
LIVE_EPOCHS = 30
API = "/data/plugin/tb_attrib"
V2_RUNS = {"v2_tokens": "tokens", "v2_two": ["sequence", "tabular"]}


@pytest.fixture(scope="module")
def logdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("cli")
    logs.write_run(root / "main", range(5), ig_every=2, class_names=["a", HTML_CLASS, "c"])
    logs.write_run(root / "long", range(LONG_EPOCHS), examples=1, size=2, feature_maps=False)
    logs.write_run(root / HTML_RUN, range(2), feature_maps=False)
    logs.write_run(root / "restart", range(4), label="first-", feature_maps=False)
    logs.write_run(root / "restart", range(2, 5), label="second-", probe=False, feature_maps=False)
    logs.write_future_series(root / "main", "tb_attrib/from_the_future")
    for name in ("truncated", "corrupt"):
        logs.write_run(root / name, range(10), feature_maps=False)
    _truncate(root / "truncated", 0.7)
    _overwrite_middle(root / "corrupt")
    for name, modality in V2_RUNS.items():
        logs.write_modality_log(root / name, modality, epochs=3, label_and_predicted=True)
    return root


def _event_file(run_dir: Path) -> Path:
    (path,) = run_dir.glob("*tfevents*")
    return path


def _truncate(run_dir: Path, fraction: float) -> None:
    path = _event_file(run_dir)
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * fraction)])


def _overwrite_middle(run_dir: Path) -> None:
    path = _event_file(run_dir)
    data = bytearray(path.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 64] = b"\xff" * 64
    path.write_bytes(bytes(data))


@pytest.fixture(scope="module", params=["auto", "false"], ids=["rust", "python"])
def server(request: pytest.FixtureRequest, logdir: Path) -> tuple[str, str]:
    """``(base_url, load_fast)`` of a TensorBoard that has loaded every written epoch."""
    load_fast = request.param
    with tensorboard_process(logdir, f"--load_fast={load_fast}", "--reload_interval=1") as url:

        def loaded() -> bool:
            runs = {r["run"]: r for r in _json(http_get(f"{url}{API}/runs"))["runs"]}
            return (
                len(runs.get("long", {}).get("epochs", ())) == LONG_EPOCHS
                and len(runs.get("main", {}).get("epochs", ())) == 5
                and len(runs.get("restart", {}).get("epochs", ())) == 5
                and {HTML_RUN, "truncated", "corrupt"} <= set(runs)
                and all(len(runs.get(name, {}).get("epochs", ())) == 3 for name in V2_RUNS)
            )

        wait_until(loaded, timeout=120, what="TensorBoard to load the test logs")
        yield url, load_fast


def _json(response: Response) -> dict:
    assert response.status == 200, response.body[:300]
    assert response.header("Content-Type") == "application/json"
    return response.json()


def _get(base: str, route: str, **params: object) -> Response:
    return http_get(f"{base}{API}/{route}?{urllib.parse.urlencode(params)}")


def _bundle(response: Response) -> list[bytes | None]:
    assert response.status == 200, response.body[:300]
    assert response.header("Content-Type") == "application/octet-stream"
    return codec.decode_bundle(response.body)


def _runs(base: str) -> dict[str, dict]:
    body = _json(http_get(f"{base}{API}/runs"))
    return {run["run"]: run for run in body["runs"]}


def test_plugin_is_listed_in_plugins_listing(server: tuple[str, str]) -> None:
    base, _ = server
    entry = http_get(f"{base}/data/plugins_listing").json()["tb_attrib"]
    assert entry["enabled"] is True
    assert entry["tab_name"] == "Attributions"
    assert entry["loading_mechanism"]["type"] == "IFRAME"
    assert entry["loading_mechanism"]["module_path"] == f"{API}/static/index.js"


def test_es_module_and_its_imports_load(server: tuple[str, str]) -> None:
    """The module TensorBoard loads, and every relative module it imports, transitively."""
    base, _ = server
    module_path = http_get(f"{base}/data/plugins_listing").json()["tb_attrib"]["loading_mechanism"][
        "module_path"
    ]
    pending, seen = [module_path], set()
    while pending:
        path = pending.pop()
        if path in seen:
            continue
        seen.add(path)
        response = http_get(base + path)
        assert response.status == 200, path
        assert response.header("Content-Type") == "text/javascript; charset=utf-8", path
        name = path.rsplit("/", 1)[1]
        assert response.body == static.read_file(name)[0]
        source = response.body.decode("utf-8")
        for target in re.findall(r"""(?:from|import)\s*\(?\s*["'](\./[^"']+)["']""", source):
            pending.append(urllib.parse.urljoin(path, target))
    assert f"{API}/static/index.js" in seen


def test_every_route_returns_what_was_written(server: tuple[str, str], logdir: Path) -> None:
    base, _ = server
    written = logs.written_records(logdir / "main")
    run = _runs(base)["main"]
    assert run["num_examples"] == 3 and run["labels"] == [0, 1, 2]
    assert run["class_names"] == ["a", HTML_CLASS, "c"]
    assert run["epochs"] == list(range(5)) and run["alphas"] == list(logs.ALPHAS)
    assert run["ig"] == {"method": "trapezoid", "steps": 8, "baseline": "e4"}
    assert run["feature_maps"] == [
        {"layer": logs.LAYER, "tag": logs.FM_TAG, "epochs": list(range(5))}
    ]
    assert run["warnings"] == [
        "tb_attrib/from_the_future: written by a newer tb_attrib (format version 99)"
    ]

    assert _bundle(_get(base, "probe", run="main")) == written[logs.PROBE_TAG][0]

    sweep, ig, fm = written[logs.SWEEP_TAG], written[logs.IG_TAG], written[logs.FM_TAG]
    for index in range(3):
        records = _bundle(_get(base, "example", run="main", index=index))
        assert codec.decode_record(records[0]).fields == {"epochs": list(range(5))}
        expected = []
        for epoch in range(5):
            expected += [sweep[epoch][1 + index], ig[epoch][1 + index] if epoch in ig else None]
        assert records[1:] == expected
    one = _bundle(_get(base, "example", run="main", index=2, epoch=3))
    assert one[1:] == [sweep[3][3], None]

    gallery = _bundle(_get(base, "gallery", run="main"))
    expected = []
    for epoch in range(5):
        expected += [sweep[epoch][0], ig[epoch][0] if epoch in ig else None]
    assert gallery[1:] == expected

    maps = _bundle(_get(base, "feature_maps", run="main", layer=logs.LAYER, index=1))
    assert codec.decode_record(maps[0]).fields == {"epochs": list(range(5)), "layer": logs.LAYER}
    assert maps[1:] == [fm[epoch][2] for epoch in range(5)]


@pytest.mark.parametrize("name", list(V2_RUNS))
def test_v2_runs_of_other_modalities(server: tuple[str, str], logdir: Path, name: str) -> None:
    """Format v2 (tokens; a sequence beside a table): described, and served as written."""
    base, _ = server
    written = logs.written_records(logdir / name)
    digest = codec.decode_record(written[logs.PROBE_TAG][0][0])
    run = _runs(base)[name]
    assert run["inputs"] == digest.fields["inputs"] and run["head"] == digest.fields["head"]
    assert run["format_version"] == 2 and run["label_values"] is None
    assert _bundle(_get(base, "probe", run=name)) == written[logs.PROBE_TAG][0]
    sweep, ig = written[logs.SWEEP_TAG], written[logs.IG_TAG]
    for index in (0, 1):  # example 1 has predicted-class maps in the first epochs
        records = _bundle(_get(base, "example", run=name, index=index))
        assert records[1::2] == [sweep[e][1 + index] for e in range(3)]
        assert records[2::2] == [ig[e][1 + index] for e in range(3)]
    gallery = _bundle(_get(base, "gallery", run=name))
    assert gallery[1:] == [r for e in range(3) for r in (sweep[e][0], ig[e][0])]


def test_a_300_epoch_run_keeps_every_epoch(server: tuple[str, str], logdir: Path) -> None:
    base, _ = server
    written = logs.written_records(logdir / "long")
    assert _runs(base)["long"]["epochs"] == list(range(LONG_EPOCHS))
    records = _bundle(_get(base, "example", run="long", index=0))
    assert codec.decode_record(records[0]).fields["epochs"] == list(range(LONG_EPOCHS))
    assert records[1::2] == [written[logs.SWEEP_TAG][e][1] for e in range(LONG_EPOCHS)]
    assert records[2::2] == [written[logs.IG_TAG][e][1] for e in range(LONG_EPOCHS)]
    gallery = _bundle(_get(base, "gallery", run="long"))
    assert len(gallery) == 1 + 2 * LONG_EPOCHS


def test_html_names_are_returned_as_json_data(server: tuple[str, str]) -> None:
    base, _ = server
    runs = _runs(base)
    assert runs[HTML_RUN]["run"] == HTML_RUN
    assert runs["main"]["class_names"][1] == HTML_CLASS
    records = _bundle(_get(base, "example", run=HTML_RUN, index=0))
    assert codec.decode_record(records[0]).fields == {"epochs": [0, 1]}


def test_restarted_run_lists_each_step_once(server: tuple[str, str]) -> None:
    base, _ = server
    records = _bundle(_get(base, "example", run="restart", index=0))
    assert codec.decode_record(records[0]).fields == {"epochs": [0, 1, 2, 3, 4]}
    baselines = [codec.decode_record(r).fields["baseline"] for r in records[1::2]]
    # Newest write wins on both loading paths (the Python one through NewestWritePerStep).
    assert baselines == ["first-e0", "first-e1", "second-e2", "second-e3", "second-e4"]


@pytest.mark.parametrize("run", ["truncated", "corrupt"])
def test_damaged_event_files_serve_their_readable_prefix(
    server: tuple[str, str], logdir: Path, run: str
) -> None:
    base, _ = server
    readable = logs.written_records(logdir / run)[logs.SWEEP_TAG]
    prefix = sorted(readable)
    assert 0 < len(prefix) < 10  # the damage did cut the file short
    served = _runs(base)[run]["epochs"]
    assert set(prefix) <= set(served)  # the Rust loader may also resync after the damage
    records = _bundle(_get(base, "example", run=run, index=1))
    epochs = codec.decode_record(records[0]).fields["epochs"]
    assert epochs == served
    for epoch, sweep in zip(epochs, records[1::2], strict=True):
        assert codec.decode_record(sweep).fields["baseline"] == f"e{epoch}"
        if epoch in readable:
            assert sweep == readable[epoch][2]
    assert _runs(base)["main"]["epochs"] == list(range(5))  # other runs are unaffected


def test_a_run_being_written_is_served_without_torn_payloads(
    server: tuple[str, str], logdir: Path
) -> None:
    base, load_fast = server
    run = f"live-{load_fast}"
    errors: list[BaseException] = []

    def write() -> None:
        try:
            live = logs.RunWriter(logdir / run, feature_maps=False)
            for epoch in range(LIVE_EPOCHS):
                live.write(epoch, probe=epoch == 0)
                live.flush()
                time.sleep(0.05)
            live.close()
        except BaseException as e:  # reported by the main thread
            errors.append(e)

    writer = threading.Thread(target=write, name="live-writer", daemon=True)
    writer.start()
    seen_epochs: set[int] = set()
    checked = 0
    deadline = time.monotonic() + 90
    while len(seen_epochs) < LIVE_EPOCHS and time.monotonic() < deadline:
        for route, params in (("example", {"index": 2}), ("gallery", {})):
            response = _get(base, route, run=run, **params)
            if response.status == 404:  # the run has not appeared yet
                continue
            records = _bundle(response)
            epochs = codec.decode_record(records[0]).fields["epochs"]
            assert epochs == sorted(set(epochs))
            assert len(records) == 1 + 2 * len(epochs)
            for i, epoch in enumerate(epochs):
                for record in records[1 + 2 * i : 3 + 2 * i]:
                    fields = codec.decode_record(record).fields
                    assert fields["baseline"] == f"e{epoch}"
                    assert fields.get("index", 2) == 2
            seen_epochs.update(epochs)
            checked += 1
        time.sleep(0.1)
    writer.join(timeout=60)
    assert not errors, errors
    assert seen_epochs == set(range(LIVE_EPOCHS))
    assert checked >= 3


@pytest.mark.parametrize(
    ("route", "params", "status"),
    [
        ("example", {"run": "main"}, 400),
        ("example", {"run": "main", "index": "-1"}, 400),
        ("example", {"run": "nope", "index": 0}, 404),
        ("example", {"run": "main", "index": 0, "epoch": 77}, 404),
        ("feature_maps", {"run": "main", "layer": "nope", "index": 0}, 404),
        ("gallery", {"run": "main", "sweep_tag": "tb_attrib/from_the_future"}, 404),
        ("probe", {}, 400),
    ],
)
def test_bad_requests_over_http(
    server: tuple[str, str], route: str, params: dict, status: int
) -> None:
    base, _ = server
    response = _get(base, route, **params)
    assert response.status == status
    assert response.header("Content-Type").startswith("text/plain")
    assert len(response.body) < 300 and b"Traceback" not in response.body


@pytest.mark.parametrize(
    "raw_path",
    [
        "static/../../../../etc/passwd",
        "static/..%2f..%2f..%2f..%2fetc%2fpasswd",
        "static/%2e%2e/%2e%2e/%2e%2e/setup.py",
        "static/..%5c..%5csetup.py",
        "static//etc/passwd",
        "static/__init__.py",
    ],
)
def test_static_traversal_over_raw_http(server: tuple[str, str], raw_path: str) -> None:
    """Raw request lines (no client-side normalisation) cannot read files outside."""
    base, _ = server
    host, port = urllib.parse.urlsplit(base).netloc.split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    try:
        connection.putrequest("GET", f"{API}/{raw_path}", skip_accept_encoding=True)
        connection.endheaders()
        response = connection.getresponse()
        body = response.read()
    finally:
        connection.close()
    assert response.status in (400, 404)
    assert b"root:" not in body and b"setup(" not in body and b"import" not in body


def test_every_route_answers_for_the_demo_logs(demo_logdir: Path) -> None:
    """The real demo's logs, on the default loading path: every route, every run."""
    written = {
        path.parent: logs.written_records(path.parent)
        for path in sorted(demo_logdir.rglob("*tfevents*"))
    }
    written = {
        str(run_dir.relative_to(demo_logdir)): series
        for run_dir, series in written.items()
        if series
    }
    assert written, "the demo wrote no tb_attrib series"
    with tensorboard_process(demo_logdir) as base:

        def loaded() -> dict[str, dict] | None:
            runs = _runs(base)
            ready = set(written) <= set(runs) and all(
                set(runs[name]["epochs"])
                == {e for tag, steps in series.items() if "gradients" in tag for e in steps}
                for name, series in written.items()
            )
            return runs if ready else None

        runs = wait_until(loaded, timeout=120, what="TensorBoard to load the demo logs")
        for name, series in written.items():
            run = runs[name]
            assert run["warnings"] == []
            probe = series[run["probe_tag"]]
            assert _bundle(_get(base, "probe", run=name)) == probe[max(probe)]
            sweep, ig = series[run["sweep_tag"]], series[run["ig_tag"]]
            epochs = run["epochs"]

            def element(steps: dict, epoch: int, i: int) -> bytes | None:
                return steps[epoch][i] if epoch in steps else None

            gallery = _bundle(_get(base, "gallery", run=name))
            assert gallery[1:] == [
                r for e in epochs for r in (element(sweep, e, 0), element(ig, e, 0))
            ]
            for i in range(1, 1 + run["num_examples"]):
                records = _bundle(_get(base, "example", run=name, index=i - 1))
                expected = [r for e in epochs for r in (element(sweep, e, i), element(ig, e, i))]
                assert records[1:] == expected
            assert run["feature_maps"], "the demo writes feature maps"
            for layer in run["feature_maps"]:
                maps = series[layer["tag"]]
                records = _bundle(
                    _get(base, "feature_maps", run=name, layer=layer["layer"], index=0)
                )
                assert records[1:] == [maps[e][1] for e in layer["epochs"]]


def test_routes_and_page_work_behind_a_path_prefix(logdir: Path) -> None:
    """``--path_prefix`` (TensorBoard behind a reverse proxy): the plugin is listed, its data
    routes and its module answer under the prefix and not without it."""
    with tensorboard_process(logdir, "--path_prefix=/proxy/tb") as base:
        assert base.endswith("/proxy/tb")
        wait_until(lambda: "tb_attrib" in _json(http_get(base + "/data/plugins_listing")))
        origin = base.rsplit("/proxy/tb", 1)[0]
        listing = _json(http_get(base + "/data/plugins_listing"))["tb_attrib"]
        # TensorBoard puts its prefix in front of the module path it lists.
        module_path = listing["loading_mechanism"]["module_path"]
        assert module_path == f"/proxy/tb{API}/static/index.js"
        module = http_get(origin + module_path)
        assert module.status == 200, module_path
        assert module.header("Content-Type") == "text/javascript; charset=utf-8"
        wait_until(lambda: "main" in _runs(base))
        assert _runs(base)["main"]["epochs"] == list(range(5))
        assert _get(base, "probe", run="main").status == 200
        assert http_get(origin + API + "/runs").status == 404
