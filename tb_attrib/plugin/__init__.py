"""The TensorBoard side of tb_attrib: the Attributions dashboard's backend.

- :mod:`tb_attrib.plugin.loader`: the ``tensorboard_plugins`` entry point. It imports only
  TensorBoard's plugin base classes, so a broken optional dependency can never stop
  TensorBoard from starting.
- :mod:`tb_attrib.plugin.attributions_plugin`: the ``TBPlugin`` and its HTTP routes
  (``docs/format.md`` is their contract).
- :mod:`tb_attrib.plugin.params`: parsing and validation of query parameters.
- :mod:`tb_attrib.plugin.data`: finding tb_attrib series and reading their records through
  TensorBoard's data provider.
- :mod:`tb_attrib.plugin.describe`: the ``runs`` answer (one ``RUN`` per run).
- :mod:`tb_attrib.plugin.layout`: what a probe says about the model's inputs and head, with the
  defaults of format version 1 (shared with :func:`tb_attrib.load`).
- :mod:`tb_attrib.plugin.static`: serving the frontend files of ``tb_attrib.frontend``.
"""
