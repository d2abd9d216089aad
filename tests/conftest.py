import pytest
import torch
from mmengine.registry import DefaultScope

import sar_mm  # noqa: F401  (compat + registries before any mmseg import)
from tests.utils import REPO, TEST_CONFIGS

# One intra-op thread in the test process, as the tools get: on small,
# shared CI machines OpenMP threads waiting for busy cores cost far more
# than they gain (a ResNet-32 step went from 0.06 s to 4.6 s with 2).
torch.set_num_threads(1)


def _keep_default_scope():
    """Leave mmengine's default scope as it was found.

    A Runner (or ``init_default_scope``) makes its config's scope the
    current one for the rest of the process, and registry builds follow it:
    after an mmpretrain run, ``mmseg.registry.MODELS.build`` would build
    mmpretrain's classes. Restoring it keeps tests independent of order.
    """
    saved = DefaultScope._instance_dict.copy()
    yield
    DefaultScope._instance_dict = saved


# Module fixtures (a config loaded once per module) set scopes too, so the
# scope is restored around every module as well as every test.
restore_default_scope = pytest.fixture(autouse=True)(_keep_default_scope)
restore_module_default_scope = pytest.fixture(
    autouse=True, scope='module')(_keep_default_scope)


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
