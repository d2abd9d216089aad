import pytest

import sar_mm  # noqa: F401  (compat + registries before any mmseg import)
from tests.utils import REPO, TEST_CONFIGS


@pytest.fixture
def repo():
    return REPO


@pytest.fixture
def test_configs():
    return TEST_CONFIGS
