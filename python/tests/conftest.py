import os
import pathlib
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
BUILD = pathlib.Path(os.environ.get("FACET_BUILD_DIR", ROOT / "build"))
sys.path.insert(0, str(BUILD / "python"))


@pytest.fixture(scope="session")
def models():
    return ROOT / "tests" / "models"


@pytest.fixture(scope="session")
def demo():
    return ROOT / "apps" / "demo"


@pytest.fixture(scope="session")
def facet_cli():
    return str(BUILD / "bin" / "facet")


@pytest.fixture(scope="session")
def device():
    import facet
    # The Khronos validation layer on; a machine without a Vulkan device fails here, never skips.
    return facet.Device(validation=True)
