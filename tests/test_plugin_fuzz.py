"""Property test: no request to the plugin, however malformed, gets a 5xx.

Over 1000 generated requests go through TensorBoard's full WSGI stack (routing, error
handling, security headers) in process, against a real ``MultiplexerDataProvider``.
"""

from __future__ import annotations

import json
import urllib.parse
from pathlib import Path

import plugin_logs as logs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug import test as werkzeug_test

API = "/data/plugin/tb_attrib"
ROUTES = ["runs", "probe", "example", "gallery", "feature_maps", "static/index.js", "nope", ""]
NAMES = ["run", "tag", "index", "epoch", "sweep_tag", "ig_tag", "layer", "other"]
KNOWN = [
    "main", "bare", "nope", "", logs.PROBE_TAG, logs.SWEEP_TAG, logs.IG_TAG, logs.FM_TAG,
    logs.LAYER, "0", "1", "2", "3", "-1", "01", "1.5", "1e2", " 1", "999999999", "1000000000",
]  # fmt: skip
VALUES = st.one_of(
    st.sampled_from(KNOWN),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.text(max_size=24),
    st.binary(max_size=12).map(lambda b: b.decode("latin-1")),
)
QUERIES = st.lists(st.tuples(st.sampled_from(NAMES), VALUES), max_size=7)
PATH_PIECES = st.lists(
    st.one_of(
        st.sampled_from(
            [
                "..",
                ".",
                "/",
                "%2e",
                "%2f",
                "%5c",
                "\\",
                "%00",
                "%252e",
                "index.js",
                "static",
                "codec.js",
                "etc",
                "passwd",
                "__init__.py",
                "%",
                "%zz",
                "~",
            ]
        ),
        st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=0x2FF), max_size=6),
    ),
    max_size=8,
)
OK_TYPES = {
    "application/json",
    "application/octet-stream",
    "text/javascript; charset=utf-8",
    "text/css; charset=utf-8",
    "text/html; charset=utf-8",
}


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> werkzeug_test.Client:
    root: Path = tmp_path_factory.mktemp("fuzz")
    logs.write_run(root / "main", range(3), ig_every=2)
    logs.write_run(root / "bare", range(1), labels=False, feature_maps=False, ig_every=0)
    app, _ = logs.make_app(root)
    return werkzeug_test.Client(app)


def _check(response) -> None:
    status = response.status_code
    assert status < 500, response.get_data()[:500]
    content_type = response.headers.get("Content-Type", "")
    if status >= 400:
        assert content_type.startswith("text/plain"), content_type
        body = response.get_data()
        assert len(body) < 600 and b"Traceback" not in body
    else:
        assert status == 200
        assert content_type in OK_TYPES, content_type
        if content_type == "application/json":
            json.loads(response.get_data())


def test_generated_requests_never_get_a_5xx(client: werkzeug_test.Client) -> None:
    sent: list[int] = []

    @settings(
        max_examples=800,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    @given(route=st.sampled_from(ROUTES), query=QUERIES)
    def queries(route: str, query: list[tuple[str, str]]) -> None:
        response = client.get(f"{API}/{route}?{urllib.parse.urlencode(query)}")
        sent.append(response.status_code)
        _check(response)

    @settings(max_examples=300, deadline=None, database=None)
    @given(pieces=PATH_PIECES)
    def paths(pieces: list[str]) -> None:
        path = "".join(pieces)
        # The path goes out as generated: encoded forms stay encoded, raw ones stay raw.
        raw = urllib.parse.quote(path, safe="/%\\.~")
        response = client.get(f"{API}/static/{raw}")
        sent.append(response.status_code)
        _check(response)

    queries()
    paths()
    assert len(sent) >= 1000
    assert 200 in sent and 400 in sent and 404 in sent  # the generators reach every outcome
