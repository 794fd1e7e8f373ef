import pytest

import convcost


@pytest.fixture(scope="session")
def mobilenet_spec():
    return convcost.load("mobilenet")
