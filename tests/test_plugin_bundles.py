"""Bundles: codec framing and the plugin's streamed answers."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from werkzeug import test as werkzeug_test
from werkzeug import wrappers

from tb_attrib.plugin import bundles
from tb_attrib.summary import codec

records = st.lists(st.one_of(st.none(), st.binary(max_size=40)), max_size=12)


@settings(max_examples=300, deadline=None)
@given(records)
def test_chunks_decode_to_the_records(recs: list[bytes | None]) -> None:
    chunks = codec.bundle_chunks(recs)
    assert codec.decode_bundle(b"".join(chunks)) == [r or None for r in recs]


def _served(recs: list[bytes | None]) -> tuple[int, dict, bytes]:
    @wrappers.Request.application
    def app(request: wrappers.Request) -> wrappers.Response:
        return bundles.respond(request, recs)

    response = werkzeug_test.Client(app).get("/")
    return response.status_code, response.headers, response.get_data()


def test_small_and_large_answers_carry_the_same_headers() -> None:
    small = [b"abc", None, b"x" * 9]
    large = [b"y" * (1 << 20), None, b"z" * 5]
    for recs in (small, large):
        status, headers, body = _served(recs)
        assert status == 200
        assert body == codec.encode_bundle(recs)
        assert headers["Content-Type"] == "application/octet-stream"
        assert headers["Content-Length"] == str(len(body))
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert "no-cache" in headers["Cache-Control"]
