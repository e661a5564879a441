"""Entry point of the tb_attrib TensorBoard plugin (``tensorboard_plugins`` group).

TensorBoard imports this module while it starts; an ImportError here would stop TensorBoard
for every user of the environment, so it imports nothing but TensorBoard's plugin base
classes and the proto-only metadata module. The plugin itself (NumPy, werkzeug, the data
layer) is imported in :meth:`AttributionsLoader.load`.
"""

from __future__ import annotations

from collections.abc import Mapping

from tensorboard.plugins import base_plugin

from tb_attrib.summary.metadata import PLUGIN_NAME

DEFAULT_SAMPLES = 10_000
"""Steps kept per tb_attrib series unless ``--samples_per_plugin`` says otherwise.

TensorBoard keeps only 10 samples per series of a third-party plugin by default (100
tensors / 10 blobs on the Rust data server), which would drop most epochs. Every epoch of a
run of up to this many written epochs is kept; beyond it TensorBoard keeps a uniform random
sample of this size, which bounds memory on very long runs. ``0`` would mean "keep all".
"""


class AttributionsLoader(base_plugin.TBLoader):
    """Raises TensorBoard's sampling for tb_attrib series and loads the plugin lazily."""

    def fix_flags(self, flags: object) -> None:
        """Keeps every epoch by default, without overriding a user's ``--samples_per_plugin``.

        TensorBoard 2.21 parses ``--samples_per_plugin`` into a ``dict`` of plugin name to
        int; ``program.TensorBoard.configure(samples_per_plugin=...)`` stores the value
        unparsed, so a string in the CLI's ``name=count,...`` form is parsed here first.
        """
        samples = getattr(flags, "samples_per_plugin", None)
        if samples is None:
            samples = {}
        elif isinstance(samples, str):
            samples = _parse_samples_per_plugin(samples)
        elif isinstance(samples, Mapping):
            samples = dict(samples)
        else:
            raise base_plugin.FlagsError(
                f"--samples_per_plugin must be name=count pairs, got {samples!r}"
            )
        samples.setdefault(PLUGIN_NAME, DEFAULT_SAMPLES)
        flags.samples_per_plugin = samples

    def load(self, context: base_plugin.TBContext) -> base_plugin.TBPlugin:
        """Imports and returns the plugin (the heavy imports happen here, not at start-up)."""
        from tb_attrib.plugin.attributions_plugin import AttributionsPlugin

        return AttributionsPlugin(context)


def _parse_samples_per_plugin(value: str) -> dict[str, int]:
    """Parses ``"a=1,b=2"`` like TensorBoard's own ``--samples_per_plugin`` parser."""
    result = {}
    for token in value.split(","):
        token = token.strip()
        if not token:
            continue
        name, sep, count = token.partition("=")
        try:
            if not sep:
                raise ValueError(token)
            result[name.strip()] = int(count)
        except ValueError:
            raise base_plugin.FlagsError(
                f"--samples_per_plugin: expected name=count, got {token!r}"
            ) from None
    return result
