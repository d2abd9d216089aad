import pytest
import torch

import sar_mm  # noqa: F401  (compat + registries before any mmseg import)
from tests.utils import REPO, TEST_CONFIGS

# One intra-op thread in the test process, as the tools get: on small,
# shared CI machines OpenMP threads waiting for busy cores cost far more
# than they gain (a ResNet-32 step went from 0.06 s to 4.6 s with 2).
torch.set_num_threads(1)


@pytest.fixture
def repo():
    return REPO


@pytest.fixture
def test_configs():
    return TEST_CONFIGS
