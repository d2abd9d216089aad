import os

# One OpenMP thread, set before torch loads, as the tools get it in a
# subprocess (tests/utils.tool_env): with only torch.set_num_threads(1)
# below, a tool run in this process trained BCL under bf16 autocast 5x
# slower than the same run in a subprocess.
os.environ.setdefault('OMP_NUM_THREADS', '1')

import pytest  # noqa: E402
import torch  # noqa: E402
from mmengine.registry import DefaultScope  # noqa: E402

import sar_mm  # noqa: E402,F401  (compat + registries before any mmseg import)
from tests.utils import REPO, TEST_CONFIGS, TINY_SEMI, run_tool  # noqa: E402

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


# Trained once per session (per xdist worker), shared by every test that
# only reads them. A test that changes a run copies it first
# (``shutil.copytree(run, tmp_path / 'wd')``). All live in one folder that
# also holds the generated tiny scenes, so tools run with that folder as
# cwd (``run.parent``) find the data and the other runs.
@pytest.fixture(scope='session')
def runs_dir(tmp_path_factory):
    return tmp_path_factory.mktemp('runs')


def _trained(cwd, name, config, *options):
    work_dir = cwd / name
    result = run_tool(['train.py', config, '--work-dir', name,
                       *(['--cfg-options', *options] if options else [])],
                      cwd)
    assert result.returncode == 0, result.stderr[-3000:]
    return work_dir


@pytest.fixture(scope='session')
def tiny_fcn_run(runs_dir):
    """tests/data/configs/fcn_tiny_lt-digit-scenes.py: FCN, 24 scenes,
    8 iterations, checkpoints at 4 and 8, validation at 8."""
    return _trained(runs_dir, 'fcn', TEST_CONFIGS /
                    'fcn_tiny_lt-digit-scenes.py')


@pytest.fixture(scope='session')
def tiny_sar_run(runs_dir):
    """The tiny FCN with SAR (fcn_tiny_lt-digit-scenes_sar.py), 8
    iterations."""
    return _trained(runs_dir, 'sar', TEST_CONFIGS /
                    'fcn_tiny_lt-digit-scenes_sar.py')


@pytest.fixture(scope='session')
def tiny_cls_run(runs_dir):
    """resnet_tiny_lt-digits.py: a tiny ResNet on LTDigits, 1 epoch."""
    return _trained(runs_dir, 'cls', TEST_CONFIGS / 'resnet_tiny_lt-digits.py')


@pytest.fixture(scope='session')
def tiny_semi_run(runs_dir):
    """The tiny FixMatch + SAR segmentation config (TINY_SEMI), 8
    iterations, SAR's pull loss weighted 0.1."""
    return _trained(runs_dir, 'semi', TINY_SEMI, 'model.sar.pull_weight=0.1')
