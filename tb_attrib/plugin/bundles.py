"""Answering with a :func:`tb_attrib.summary.codec.encode_bundle` bundle, without copying it.

``codec.encode_bundle`` returns one contiguous ``bytes``: right for small answers, but the
``example`` route of a 224x224 probe across 200 epochs is about 110 MB, and building it
costs three copies of that (the bytearray, its growth, the final ``bytes``) before the first
byte is sent; on a 2-core VM that was most of the answer's latency. :func:`codec.bundle_chunks`
gives the same bytes as a list of pieces (the framing, then each record as read from the
data provider, untouched); :func:`respond` joins runs of small pieces into ~1 MiB ones and
the WSGI server writes them one by one.

The framing is the bundle layout of ``docs/format.md``, owned by ``codec.bundle_chunks``;
``codec.encode_bundle`` is the same pieces joined.
"""

from __future__ import annotations

from collections.abc import Sequence

from tensorboard.backend import http_util
from werkzeug import wrappers

from tb_attrib.summary import codec

CONTENT_TYPE = "application/octet-stream"
_PIECE = 1 << 20  # small records are joined into pieces of about this size
_LARGE = 1 << 18  # records from this size on are sent as they are
_SMALL = 1 << 20  # below this, one contiguous body through TensorBoard's own Respond


def respond(request: wrappers.Request, records: Sequence[bytes | None]) -> wrappers.Response:
    """An ``application/octet-stream`` answer holding the bundle of ``records``.

    Headers match ``tensorboard.backend.http_util.Respond`` (no caching, ``nosniff``).
    """
    chunks = _coalesce(codec.bundle_chunks(records))
    length = sum(len(c) for c in chunks)
    if length < _SMALL:
        return http_util.Respond(request, b"".join(chunks), CONTENT_TYPE)
    headers = [
        ("Content-Length", str(length)),
        ("X-Content-Type-Options", "nosniff"),
        ("Expires", "0"),
        ("Cache-Control", "no-cache, must-revalidate"),
    ]
    return wrappers.Response(
        chunks, status=200, headers=headers, content_type=CONTENT_TYPE, direct_passthrough=True
    )


def _coalesce(chunks: list[bytes]) -> list[bytes]:
    """Joins runs of small chunks into pieces of about 1 MiB; large chunks pass untouched.

    The WSGI server writes each piece with its own ``send``: thousands of small sends (a
    32x32 probe's records are ~1 KB each) meet Nagle's algorithm and delayed ACKs and stall
    for tens of milliseconds, while copying the large records would cost what streaming
    saves.
    """
    out: list[bytes] = []
    pending: list[bytes] = []
    size = 0
    for chunk in chunks:
        if len(chunk) >= _LARGE:
            if pending:
                out.append(b"".join(pending))
                pending, size = [], 0
            out.append(chunk)
            continue
        pending.append(chunk)
        size += len(chunk)
        if size >= _PIECE:
            out.append(b"".join(pending))
            pending, size = [], 0
    if pending:
        out.append(b"".join(pending))
    return out
