"""Keras 3 callbacks that write what a network looks at while it learns.

Installed as ``tb_attrib.callbacks``::

    from tb_attrib.callbacks import Attributions, ActivationSummaries, WeightHistograms

Series land in ``log_dir/probe`` (attributions, activations, feature maps) and
``log_dir/weights`` (weight histograms), beside ``log_dir/train`` and
``log_dir/validation`` of ``keras.callbacks.TensorBoard`` when it gets the same ``log_dir``.
"""

from tb_attrib.callbacks.activations import ActivationSummaries
from tb_attrib.callbacks.attributions import Attributions
from tb_attrib.callbacks.weights import WeightHistograms

__all__ = ["ActivationSummaries", "Attributions", "WeightHistograms"]
