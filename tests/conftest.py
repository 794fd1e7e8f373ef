import os

# The interop tests build Keras models on PyTorch's CPU build (README: the interop test command):
# Keras reads its backend when first imported, so it is set before any test can import it.
os.environ.setdefault("KERAS_BACKEND", "torch")

import pytest

import convcost


@pytest.fixture(scope="session")
def mobilenet_spec():
    return convcost.load("mobilenet")
