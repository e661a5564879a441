"""Plugin name and the versioned metadata attached to every tb_attrib summary.

Every summary this plugin writes is a *blob sequence* (``DATA_CLASS_BLOB_SEQUENCE``): at each
step a rank-1 ``tf.string`` tensor whose elements are records in the format of
:mod:`tb_attrib.summary.codec`. The ``plugin_data.content`` of the summary metadata is a small
JSON object naming the format version and the kind of series, so the reader knows what a tag
holds without guessing from its name::

    {"version": 1, "kind": "interior_gradients"}

This module imports nothing heavier than TensorBoard's protos: the plugin's entry point and
the frontend-serving backend use it without loading TensorFlow.
"""

from __future__ import annotations

import dataclasses
import json

from tensorboard.compat.proto import summary_pb2

PLUGIN_NAME = "tb_attrib"
"""Name of the plugin in ``SummaryMetadata.plugin_data.plugin_name``."""

FORMAT_VERSION = 2
"""Version of the summary format this package writes and the newest it can read."""

KIND_PROBE = "probe"
KIND_INTERIOR_GRADIENTS = "interior_gradients"
KIND_INTEGRATED_GRADIENTS = "integrated_gradients"
KIND_FEATURE_MAPS = "feature_maps"
KINDS = (KIND_PROBE, KIND_INTERIOR_GRADIENTS, KIND_INTEGRATED_GRADIENTS, KIND_FEATURE_MAPS)

# Default tags the callbacks write; custom training loops may choose other names, because the
# reader identifies a series by the kind in its metadata, never by its tag.
TAG_PROBE = "tb_attrib/probe"
TAG_INTERIOR_GRADIENTS = "tb_attrib/interior_gradients"
TAG_INTEGRATED_GRADIENTS = "tb_attrib/integrated_gradients"
TAG_FEATURE_MAPS_PREFIX = "tb_attrib/feature_maps/"
TAG_METHODS_PREFIX = "tb_attrib/methods/"
"""Prefix of the series of the methods beside IG (``tb_attrib/methods/smoothgrad``): each is an
``integrated_gradients`` series whose metadata names its ``attribution_method``."""


@dataclasses.dataclass(frozen=True)
class SeriesMetadata:
    """What the metadata of one tb_attrib series says.

    Attributes:
      version: Format version the writer used.
      kind: One of :data:`KINDS`, or an unknown string written by a newer version.
      extra: Any further keys in the content (layer name for feature maps, for example).
    """

    version: int
    kind: str
    extra: dict

    @property
    def readable(self) -> bool:
        """True when this package understands the series (known kind, version not newer)."""
        return self.version <= FORMAT_VERSION and self.kind in KINDS


class MetadataError(ValueError):
    """The plugin content of a summary is not a tb_attrib metadata object."""


def create_summary_metadata(
    kind: str, *, display_name: str = "", description: str = "", **extra: object
) -> summary_pb2.SummaryMetadata:
    """Builds the ``SummaryMetadata`` proto for one series of the given kind.

    Args:
      kind: One of :data:`KINDS`.
      display_name: Optional display name for TensorBoard.
      description: Optional Markdown description.
      **extra: JSON-serialisable values stored beside the version and kind.

    Returns:
      A ``SummaryMetadata`` with ``data_class`` set to ``DATA_CLASS_BLOB_SEQUENCE``; without
      the data class TensorBoard's data providers would not list the series at all.
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    content = {"version": FORMAT_VERSION, "kind": kind, **extra}
    return summary_pb2.SummaryMetadata(
        display_name=display_name,
        summary_description=description,
        plugin_data=summary_pb2.SummaryMetadata.PluginData(
            plugin_name=PLUGIN_NAME,
            content=json.dumps(content, sort_keys=True, separators=(",", ":")).encode("utf-8"),
        ),
        data_class=summary_pb2.DATA_CLASS_BLOB_SEQUENCE,
    )


def parse_plugin_content(content: bytes) -> SeriesMetadata:
    """Parses ``plugin_data.content`` of a tb_attrib series.

    A series written by a future format version parses without error; its ``readable`` is
    False so that callers can report it instead of misreading it.

    Raises:
      MetadataError: The content is not a JSON object with an integer version and a kind.
    """
    try:
        value = json.loads(bytes(content).decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        raise MetadataError(f"plugin content is not JSON: {e}") from None
    if not isinstance(value, dict):
        raise MetadataError("plugin content is not a JSON object")
    version = value.pop("version", None)
    kind = value.pop("kind", None)
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise MetadataError(f"plugin content has no valid version: {version!r}")
    if not isinstance(kind, str):
        raise MetadataError(f"plugin content has no valid kind: {kind!r}")
    return SeriesMetadata(version=version, kind=kind, extra=value)
