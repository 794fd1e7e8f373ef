import importlib.util
import os

import pytest

import convcost

# The interop tests build Keras models on PyTorch's CPU build (README: the interop test command):
# Keras reads its backend when first imported, so it is set before any test can import it.
os.environ.setdefault("KERAS_BACKEND", "torch")

# Modules of the interop run (marked interop) that need a package only that run installs, at import:
# without it they are not collected (the default run deselects them anyway), rather than skipped.
collect_ignore = [module for module, package in (("test_import_onnx.py", "onnx"),
                                                  ("test_import_onnx_keras_apps.py", "onnx"),
                                                  ("test_import_onnx_more.py", "onnx"),
                                                  ("test_verify_runtime.py", "onnx"),
                                                  ("test_verify_runtime.py", "onnxruntime"))
                  if importlib.util.find_spec(package) is None]


@pytest.fixture(scope="session")
def mobilenet_spec():
    return convcost.load("mobilenet")
