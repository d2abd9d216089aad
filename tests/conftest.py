import pytest
from mmengine.registry import DefaultScope

import sar_mm  # noqa: F401  (compat + registries before any mmseg import)
from tests.utils import REPO, TEST_CONFIGS


@pytest.fixture
def repo():
    return REPO


@pytest.fixture
def test_configs():
    return TEST_CONFIGS


@pytest.fixture
def mmpretrain_scope():
    """mmpretrain as the default scope for this test only (Runners built in
    it included): a scope left behind would send later tests' builds of
    same-named modules, such as CrossEntropyLoss, to the wrong registry."""
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        yield
