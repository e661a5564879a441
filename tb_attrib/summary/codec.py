"""The byte layout of one tb_attrib record, and the 8-bit map quantiser.

Every element of a tb_attrib blob sequence is a *record*: a small self-describing container
of named little-endian arrays plus a JSON object of fields. The plugin backend passes records
to the browser unchanged, and ``frontend/codec.js`` decodes the same bytes, so this module and
that one are the two halves of one format (``docs/format.md`` is its specification)::

    offset  size  content
    0       4     magic b"TBAR"
    4       1     record layout version (1)
    5       3     zero
    8       4     uint32 LE: length H of the JSON header
    12      H     UTF-8 JSON: {"fields": {...}, "arrays": [[name, dtype, shape, offset], ...]}
    ...           zero padding; each array starts at an offset that is a multiple of 8
                  (counted from the record's first byte)

dtypes are ``"i1"`` (int8), ``"u1"`` (uint8), ``"i4"`` (int32) and ``"f4"`` (float32).

Attribution and gradient maps are stored *signed square-root quantised* to int8: with ``s``
the largest finite ``|v|`` of the map, ``q = round(127 * sign(v) * sqrt(|v| / s))``, decoded
as ``v' = sign(q) * (|q| / 127)**2 * s``. The square root spends the 8 bits where
attribution maps keep most of their pixels, near zero: a value at 1% of the map's maximum is
kept to within about 8%, where a linear code would round it to 0 or 1 step. The absolute
error is at most ``s * (2|q| + 1) / (2 * 127**2)``, so at most ``s / 126`` at the extremes.
``q = -128`` marks a NaN or infinite input value and decodes to NaN.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import struct
from collections.abc import Mapping, Sequence

import numpy as np

MAGIC = b"TBAR"
LAYOUT_VERSION = 1
NONFINITE_CODE = -128
_LEVELS = 127.0
_DTYPES = {"i1": np.int8, "u1": np.uint8, "i4": np.int32, "f4": np.float32}
_PREFIX = struct.Struct("<4sB3xI")


class RecordError(ValueError):
    """Bytes that are not a well-formed tb_attrib record."""


@dataclasses.dataclass(frozen=True)
class Record:
    """A decoded record: JSON fields and named NumPy arrays (read-only views)."""

    fields: dict
    arrays: dict[str, np.ndarray]


def encode_record(fields: Mapping[str, object], arrays: Mapping[str, np.ndarray]) -> bytes:
    """Packs JSON-serialisable ``fields`` and NumPy ``arrays`` into one record.

    Arrays are converted to the nearest supported dtype (int8, uint8, int32 or float32).
    """
    entries = []
    payloads = []
    offset = 0
    for name, value in arrays.items():
        array = np.asarray(value, order="C")  # keeps 0-d arrays 0-d (ascontiguousarray would not)
        code = _dtype_code(array.dtype)
        array = array.astype(np.dtype(_DTYPES[code]).newbyteorder("<"), copy=False)
        entries.append([name, code, list(array.shape), offset])
        data = array.tobytes()
        payloads.append(data)
        offset += _pad8(len(data))
    header = json.dumps(
        {"fields": dict(fields), "arrays": entries}, separators=(",", ":"), allow_nan=False
    ).encode("utf-8")
    start = _pad8(_PREFIX.size + len(header))
    out = bytearray(start + offset)
    _PREFIX.pack_into(out, 0, MAGIC, LAYOUT_VERSION, len(header))
    out[_PREFIX.size : _PREFIX.size + len(header)] = header
    for entry, data in zip(entries, payloads, strict=True):
        begin = start + entry[3]
        out[begin : begin + len(data)] = data
    return bytes(out)


def decode_record(data: bytes) -> Record:
    """Unpacks a record written by :func:`encode_record`.

    Raises:
      RecordError: Wrong magic, a newer layout version, or sizes that do not fit the bytes.
    """
    data = bytes(data)
    if len(data) < _PREFIX.size:
        raise RecordError("record is shorter than its prefix")
    magic, layout, header_len = _PREFIX.unpack_from(data, 0)
    if magic != MAGIC:
        raise RecordError("record does not start with the tb_attrib magic bytes")
    if layout > LAYOUT_VERSION:
        raise RecordError(f"record layout version {layout} is newer than {LAYOUT_VERSION}")
    if _PREFIX.size + header_len > len(data):
        raise RecordError("record header runs past the end of the record")
    try:
        header = json.loads(data[_PREFIX.size : _PREFIX.size + header_len].decode("utf-8"))
        fields = dict(header["fields"])
        entries = list(header["arrays"])
    except (UnicodeDecodeError, ValueError, KeyError, TypeError) as e:
        raise RecordError(f"record header is not valid: {e}") from None
    start = _pad8(_PREFIX.size + header_len)
    arrays = {}
    for entry in entries:
        try:
            name, code, shape, offset = entry
            dtype = np.dtype(_DTYPES[code]).newbyteorder("<")
            shape = tuple(int(d) for d in shape)
            count = int(np.prod(shape, dtype=np.int64))
            begin = start + int(offset)
        except (KeyError, TypeError, ValueError) as e:
            raise RecordError(f"record array entry is not valid: {entry!r} ({e})") from None
        if min(shape, default=0) < 0 or begin < start or begin + count * dtype.itemsize > len(data):
            raise RecordError(f"record array {name!r} does not fit in the record")
        arrays[str(name)] = np.frombuffer(data, dtype=dtype, count=count, offset=begin).reshape(
            shape
        )
    return Record(fields=fields, arrays=arrays)


def probe_identity(
    example_records: Sequence[bytes], label_arrays: Mapping[str, np.ndarray] | None = None
) -> str:
    """Hex SHA-256 of a probe's example records (as written) and its labels: the same for
    two runs of one probe whatever their models, so runs can be compared example by example."""
    digest = hashlib.sha256()
    for record in example_records:
        digest.update(len(record).to_bytes(8, "little"))
        digest.update(record)
    for name in sorted(label_arrays or {}):
        array = np.ascontiguousarray(label_arrays[name])
        digest.update(name.encode("utf-8") + str(array.dtype).encode() + str(array.shape).encode())
        digest.update(array.tobytes())
    return digest.hexdigest()


def quantize_maps(maps: np.ndarray, map_ndim: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """Signed square-root quantisation of maps to int8, one scale per map.

    Args:
      maps: float array whose last ``map_ndim`` axes are one map.
      map_ndim: number of trailing axes that make up one map.

    Returns:
      ``(codes, scales)``: int8 codes with the shape of ``maps``, and float32 scales with the
      leading shape (the largest finite ``|v|`` of each map; 0 for an all-zero map).
    """
    values = np.asarray(maps, dtype=np.float32)
    lead = values.shape[: values.ndim - map_ndim]
    flat = values.reshape((*lead, -1))
    finite = np.isfinite(flat)
    magnitude = np.where(finite, np.abs(flat), 0.0)
    scales = magnitude.max(axis=-1, initial=0.0).astype(np.float32)
    safe = np.where(scales > 0, scales, 1.0)[..., None]
    codes = np.rint(np.sign(flat) * np.sqrt(magnitude / safe) * _LEVELS)
    codes = np.where(finite, codes, NONFINITE_CODE).astype(np.int8)
    return codes.reshape(values.shape), scales


def dequantize_maps(codes: np.ndarray, scales: np.ndarray) -> np.ndarray:
    """Inverse of :func:`quantize_maps`; int8 codes of -128 decode to NaN."""
    codes = np.asarray(codes)
    scales = np.asarray(scales, dtype=np.float32)
    extra = codes.ndim - scales.ndim
    ratio = codes.astype(np.float32) / _LEVELS
    values = np.sign(ratio) * ratio * ratio * scales.reshape(scales.shape + (1,) * extra)
    return np.where(codes == NONFINITE_CODE, np.float32(np.nan), values).astype(np.float32)


def display_images(x: np.ndarray) -> tuple[np.ndarray, tuple[float, float]]:
    """Converts a probe batch to uint8 images for display.

    Values already in [0, 1] are scaled by 255, values in [0, 255] are kept, anything else is
    stretched linearly from the batch minimum to its maximum. One or three channels are kept;
    four (RGBA) keep the first three; any other count is averaged to one grey channel.

    Returns:
      ``(images, (low, high))``: uint8 ``[N, H, W, 1 or 3]`` and the input values that map to
      0 and 255.
    """
    x = np.asarray(x, dtype=np.float32)
    if x.ndim == 2:
        x = x[:, None, :, None]
    elif x.ndim == 3:
        x = x[..., None]
    channels = x.shape[-1]
    if channels == 4:
        x = x[..., :3]
    elif channels not in (1, 3):
        x = x.mean(axis=-1, keepdims=True)
    finite = x[np.isfinite(x)]
    low = float(finite.min()) if finite.size else 0.0
    high = float(finite.max()) if finite.size else 1.0
    if low >= 0.0 and high <= 1.0:
        low, high = 0.0, 1.0
    elif low >= 0.0 and high <= 255.0 and high > 1.0:
        low, high = 0.0, 255.0
    span = high - low if high > low else 1.0
    scaled = np.clip((np.nan_to_num(x, nan=low) - low) / span * 255.0, 0.0, 255.0)
    return np.rint(scaled).astype(np.uint8), (low, high)


def _dtype_code(dtype: np.dtype) -> str:
    dtype = np.dtype(dtype)
    if dtype == np.int8:
        return "i1"
    if dtype in (np.uint8, np.bool_):
        return "u1"
    if np.issubdtype(dtype, np.integer):
        return "i4"
    if np.issubdtype(dtype, np.floating):
        return "f4"
    raise TypeError(f"cannot store arrays of dtype {dtype} in a record")


def _pad8(n: int) -> int:
    return (n + 7) // 8 * 8


BUNDLE_MAGIC = b"TBAB"
_BUNDLE_PREFIX = struct.Struct("<4sI")


def encode_bundle(records: Sequence[bytes | None]) -> bytes:
    """Frames several records into one HTTP payload.

    Layout: magic ``b"TBAB"``, uint32 LE count, ``count`` uint32 LE lengths, then the records,
    each starting at an offset that is a multiple of 8. ``None`` is stored as length 0 and
    means "absent" (for example an epoch that has a sweep but no integrated gradients).
    """
    return b"".join(bundle_chunks(records))


def bundle_chunks(records: Sequence[bytes | None]) -> list[bytes]:
    """The bytes of :func:`encode_bundle` as pieces to send in order, records untouched.

    A server streams these instead of joining them: a 224x224 probe's answer across 200 epochs
    is about 100 MB, and every copy of it costs latency.
    """
    parts = [b"" if r is None else r for r in records]
    lengths = [len(p) for p in parts]
    head = _BUNDLE_PREFIX.pack(BUNDLE_MAGIC, len(parts)) + struct.pack(f"<{len(parts)}I", *lengths)
    chunks = [head + bytes(_pad8(len(head)) - len(head))]
    for part, length in zip(parts, lengths, strict=True):
        if length:
            chunks.append(part)
            if length % 8:
                chunks.append(bytes(8 - length % 8))
    return chunks


def decode_bundle(data: bytes) -> list[bytes | None]:
    """Inverse of :func:`encode_bundle`; absent records come back as None."""
    data = bytes(data)
    if len(data) < _BUNDLE_PREFIX.size:
        raise RecordError("bundle is shorter than its prefix")
    magic, count = _BUNDLE_PREFIX.unpack_from(data, 0)
    if magic != BUNDLE_MAGIC:
        raise RecordError("bundle does not start with the tb_attrib bundle magic bytes")
    head = _BUNDLE_PREFIX.size + 4 * count
    if head > len(data):
        raise RecordError("bundle length table runs past the end")
    lengths = struct.unpack_from(f"<{count}I", data, _BUNDLE_PREFIX.size)
    offset = _pad8(head)
    out: list[bytes | None] = []
    for length in lengths:
        if offset + length > len(data):
            raise RecordError("bundle record runs past the end")
        out.append(data[offset : offset + length] if length else None)
        offset += _pad8(length)
    return out
