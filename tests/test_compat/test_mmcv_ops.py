"""The mmcv.ops stand-in: active with mmcv-lite, absent with full mmcv."""
import importlib.util
import pickle
import subprocess
import sys
import textwrap
from unittest import mock

import pytest
import torch
import torch.nn.functional as F

from sar_mm.compat.mmcv_ops import mmcv_full_available
from sar_mm.utils.errors import (MissingCompiledOpAttributeError,
                                 MissingCompiledOpError, UserInputError)
from tests.utils import REPO

lite_only = pytest.mark.skipif(
    mmcv_full_available(), reason='full mmcv installed: no stand-in to test')


def run_python(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, '-c', textwrap.dedent(code)],
                          cwd=REPO, capture_output=True, text=True,
                          timeout=300)


@lite_only
def test_import_sar_mm_makes_mmseg_and_mmpretrain_models_importable():
    # in a fresh interpreter: without sar_mm this import fails on mmcv-lite
    bare = run_python('import mmseg.models')
    assert bare.returncode != 0
    assert "No module named 'mmcv._ext'" in bare.stderr
    fixed = run_python("""
        import sar_mm
        import mmseg.models, mmpretrain.models
        import mmcv.ops
        assert mmcv.ops.__sar_mm_shim__
        print('ok')
    """)
    assert fixed.returncode == 0, fixed.stderr
    assert fixed.stdout.strip().endswith('ok')


@lite_only
def test_point_sample_is_the_pure_torch_op():
    from mmcv.ops import point_sample
    feats = torch.arange(2 * 3 * 4 * 5, dtype=torch.float).view(2, 3, 4, 5)
    points = torch.rand(2, 7, 2)
    expected = F.grid_sample(
        feats, 2 * points[:, :, None] - 1, align_corners=False)[..., 0]
    torch.testing.assert_close(
        point_sample(feats, points, align_corners=False), expected)


HOW_TO_FIX = ("mmcv.ops.{} needs mmcv's compiled ops, and this environment "
              'has mmcv-lite. Build the full mmcv with `make install '
              'MMCV=full` (see docs/en/get_started.md, "Manual install").')


@lite_only
def test_compiled_ops_fail_with_instructions_when_used():
    import mmcv.ops
    with pytest.raises(MissingCompiledOpError) as err:
        mmcv.ops.sigmoid_focal_loss(torch.zeros(1), torch.zeros(1))
    assert str(err.value) == HOW_TO_FIX.format('sigmoid_focal_loss')
    # looked up, a missing op is an AttributeError with the same message
    with pytest.raises(MissingCompiledOpAttributeError) as err:
        mmcv.ops.CrissCrossAttention
    assert str(err.value) == HOW_TO_FIX.format('CrissCrossAttention')
    assert isinstance(err.value, UserInputError)
    assert err.value.name == 'CrissCrossAttention'
    # mmseg's guarded imports fall back as without mmcv (to None), and the
    # compiled-op heads get stand-ins that fail in one line when built
    from mmseg.models.decode_heads import cc_head, psa_head
    for module, op in ((cc_head, 'CrissCrossAttention'),
                       (psa_head, 'PSAMask')):
        with pytest.raises(MissingCompiledOpError) as err:
            getattr(module, op)(8)
        assert str(err.value) == HOW_TO_FIX.format(op)


@lite_only
def test_probing_a_missing_op_answers_as_on_a_module():
    import mmcv
    import mmcv.ops
    assert hasattr(mmcv.ops, 'point_sample')
    assert not hasattr(mmcv.ops, 'nms')
    sentinel = object()
    assert getattr(mmcv.ops, 'nms', sentinel) is sentinel
    # dunder probes (mmengine's infer_scope reads __file__) get a module's
    # own AttributeError
    with pytest.raises(AttributeError,
                       match="module 'mmcv.ops' has no attribute '__file__'"):
        mmcv.ops.__file__
    names = dir(mmcv.ops)
    assert 'point_sample' in names and 'nms' not in names
    assert importlib.util.find_spec('mmcv.ops').name == 'mmcv.ops'
    # autospec walks every attribute, mmcv.ops' too
    spec = mock.create_autospec(mmcv)
    assert callable(spec.ops.point_sample)
    assert not hasattr(spec.ops, 'nms')


GUARDED_IMPORT = """
def guarded():
    try:
        from mmcv.ops import point_sample, {name}
    except ModuleNotFoundError as err:
        return err
    return {name}
"""


@lite_only
@pytest.mark.parametrize('name', ['nms', 'CrissCrossAttention'])
def test_guarded_from_import_falls_back(name):
    """``from mmcv.ops import X`` raises ModuleNotFoundError, as with mmcv-lite
    alone (CPython would turn an AttributeError into a plain ImportError,
    which mmseg's ``except ModuleNotFoundError`` does not catch)."""
    namespace = {}
    exec(GUARDED_IMPORT.format(name=name), namespace)
    err = namespace['guarded']()
    assert isinstance(err, MissingCompiledOpError)
    assert str(err) == HOW_TO_FIX.format(name)
    with pytest.raises(MissingCompiledOpError, match=f'mmcv.ops.{name} '):
        exec(f'from mmcv.ops import {name}', {})


@lite_only
def test_stand_ins_and_their_errors_pickle():
    import mmcv.ops
    from mmseg.models.decode_heads import cc_head
    for obj in (mmcv.ops.point_sample, mmcv.ops.sigmoid_focal_loss,
                cc_head.CrissCrossAttention):
        assert pickle.loads(pickle.dumps(obj)) is obj
    errors = []
    for code in ('mmcv.ops.nms', 'mmcv.ops.sigmoid_focal_loss()'):
        with pytest.raises(UserInputError) as err:
            eval(code, dict(mmcv=mmcv))
        errors.append(err.value)
    for err in errors:
        copy = pickle.loads(pickle.dumps(err))
        assert type(copy) is type(err) and str(copy) == str(err)


def test_stand_in_steps_aside_when_mmcv_ext_exists():
    """Simulate full mmcv (an importable mmcv._ext): nothing is installed."""
    result = run_python("""
        import importlib.machinery, importlib.util, sys, types
        ext = types.ModuleType('mmcv._ext')
        ext.__spec__ = importlib.machinery.ModuleSpec('mmcv._ext', None)
        sys.modules['mmcv._ext'] = ext
        spec = importlib.util.spec_from_file_location(
            'shim', 'sar_mm/compat/mmcv_ops.py')
        shim = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(shim)
        assert shim.mmcv_full_available()
        assert shim.install_mmcv_ops_shim() is False
        assert 'mmcv.ops' not in sys.modules
        print('stepped aside')
    """)
    assert result.returncode == 0, result.stderr
    assert 'stepped aside' in result.stdout


@pytest.mark.skipif(
    not mmcv_full_available(),
    reason='full mmcv (with mmcv._ext) is not installed here; the real-'
    'mmcv path is covered by the simulated test above')
def test_full_mmcv_is_left_untouched():
    import mmcv.ops
    assert not getattr(mmcv.ops, '__sar_mm_shim__', False)
    assert hasattr(mmcv.ops, 'nms')
