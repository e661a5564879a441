"""Packaging for tb_attrib.

The repository keeps the user's top-level layout (``callbacks/`` and ``frontend/`` beside
``tb_attrib/``), but everything installs under the single ``tb_attrib`` package:
``callbacks/`` becomes ``tb_attrib.callbacks`` and ``frontend/`` becomes
``tb_attrib.frontend`` (package data), so no top-level ``callbacks`` module lands in
site-packages.

TensorFlow is not a hard requirement, so that a user who already has ``tensorflow`` (GPU) or
``tensorflow-cpu`` does not get a second copy: install ``tb_attrib[cpu]`` on a fresh machine.
"""

import pathlib
import re

from setuptools import setup

HERE = pathlib.Path(__file__).parent
VERSION = re.search(
    r'__version__ = "([^"]+)"', (HERE / "tb_attrib" / "_version.py").read_text()
).group(1)

setup(
    name="tb_attrib",
    version=VERSION,
    description="TensorBoard plugin and Keras callbacks for interior and integrated gradients",
    long_description=(HERE / "README.md").read_text(encoding="utf-8"),
    long_description_content_type="text/markdown",
    license="Apache-2.0",
    python_requires=">=3.10",
    packages=[
        "tb_attrib",
        "tb_attrib.summary",
        "tb_attrib.engine",
        "tb_attrib.plugin",
        "tb_attrib.callbacks",
        "tb_attrib.frontend",
    ],
    package_dir={
        "tb_attrib": "tb_attrib",
        "tb_attrib.callbacks": "callbacks",
        "tb_attrib.frontend": "frontend",
    },
    package_data={"tb_attrib.frontend": ["*.js", "*.css", "*.html"]},
    include_package_data=False,
    install_requires=[
        "numpy>=1.23",
        "keras>=3.0",
        "tensorboard>=2.16",
    ],
    extras_require={
        # Pick one TensorFlow; none is forced on a user who already has one.
        "cpu": ["tensorflow-cpu>=2.16"],
        "gpu": ["tensorflow>=2.16"],
        # Keras's other backends; each needs only itself (no TensorFlow).
        "jax": ["jax>=0.4.30"],
        "torch": ["torch>=2.2"],
        "test": [
            "pytest>=8",
            "hypothesis>=6.100",
            "playwright>=1.40",
            "psutil>=5.9",
            "ruff>=0.6",
        ],
        # tf-explain 0.3.1 imports cv2 at import time without declaring it.
        "bench": [
            "psutil>=5.9",
            "saliency>=0.2",
            "tf-explain>=0.3",
            "opencv-python-headless>=4.5",
            "captum>=0.7",
        ],
    },
    entry_points={
        "tensorboard_plugins": [
            "tb_attrib = tb_attrib.plugin.loader:AttributionsLoader",
        ],
    },
    classifiers=[
        "Framework :: TensorFlow",
        "Programming Language :: Python :: 3",
        "Topic :: Scientific/Engineering :: Artificial Intelligence",
    ],
)
