"""A stand-in ``mmcv.ops`` for environments with ``mmcv-lite``.

mmseg 1.2.2 imports ``from mmcv.ops import point_sample`` without a guard
(``mmseg/utils/mask_classification.py``, reached by almost every mmseg
import), and the real ``mmcv/ops/__init__.py`` loads the compiled ``mmcv._ext``
that mmcv-lite does not ship. So with mmcv-lite, ``import mmseg.models`` fails.

When (and only when) ``mmcv._ext`` is missing, :func:`install_mmcv_ops_shim`
puts a small module at ``sys.modules['mmcv.ops']`` that

* serves ``point_sample`` (and its helpers) from mmcv-lite's own
  ``mmcv/ops/point_sample.py``, which is pure PyTorch;
* serves ``sigmoid_focal_loss`` as a function that raises when called: mmseg's
  ``FocalLoss`` only calls it for CUDA tensors and uses its own Python path
  otherwise;
* answers every other op name as a module without it would, but with the
  fix in the message: ``from mmcv.ops import X`` raises
  ``ModuleNotFoundError``, as with mmcv-lite alone, so mmseg's guarded
  imports (CCNet, PSANet, DCN...) fall back exactly as they do without the
  stand-in; any other lookup (``mmcv.ops.X``, ``hasattr``, ``getattr`` with
  a default, ``mock.create_autospec``) raises ``AttributeError``, so probes
  answer ``False``/the default as on a real module.

mmseg's CCNet and PSANet heads then refuse to build with a traceback ending
in "Please install mmcv-full" (an mmcv 1.x name). :func:`explain_missing_ops`
gives them stand-ins that, when built, raise one
:class:`~sar_mm.utils.errors.MissingCompiledOpError` line naming
``make install MMCV=full``.

With full mmcv installed both functions do nothing.
"""
import dis
import importlib.machinery
import importlib.util
import os.path as osp
import sys
import types
import warnings

_PURE_TORCH_OPS = ('point_sample', 'bilinear_grid_sample', 'normalize',
                   'denormalize', 'generate_grid', 'rel_roi_point_to_abs_img_point')

_HOW_TO_FIX = ("mmcv.ops.{name} needs mmcv's compiled ops, and this "
               'environment has mmcv-lite. Build the full mmcv with '
               '`make install MMCV=full` (see docs/en/get_started.md, '
               '"Manual install").')


def mmcv_full_available() -> bool:
    """Whether the compiled ``mmcv._ext`` can be imported."""
    return importlib.util.find_spec('mmcv._ext') is not None


#: mmseg modules that set a compiled op to None when mmcv.ops lacks it.
_GUARDED_OPS = {
    'mmseg.models.decode_heads.cc_head': 'CrissCrossAttention',
    'mmseg.models.decode_heads.psa_head': 'PSAMask',
}


def _missing(name: str) -> ModuleNotFoundError:
    # imported here: this module also loads on its own, outside the package
    from ..utils.errors import MissingCompiledOpError
    return MissingCompiledOpError(_HOW_TO_FIX.format(name=name))


def _missing_attribute(name: str, module) -> AttributeError:
    from ..utils.errors import MissingCompiledOpAttributeError
    err = MissingCompiledOpAttributeError(_HOW_TO_FIX.format(name=name))
    err.name, err.obj = name, module
    return err


_IMPORT_FROM = dis.opmap['IMPORT_FROM']


def _is_from_import(frame) -> bool:
    """Whether ``frame`` is executing a ``from ... import name``: CPython
    turns an ``AttributeError`` met there into a plain ``ImportError``,
    which upstream's ``except ModuleNotFoundError`` guards do not catch."""
    return frame.f_lasti >= 0 and \
        frame.f_code.co_code[frame.f_lasti] == _IMPORT_FROM


def _unavailable(name):

    def op(*args, **kwargs):
        raise _missing(name)

    # pickled by reference, as mmcv.ops.<name>
    op.__name__ = op.__qualname__ = name
    op.__module__ = 'mmcv.ops'
    return op


def _unavailable_module(name, module_name):
    """A stand-in ``nn.Module`` class that cannot be built, pickled by
    reference as ``module_name.name``."""

    class Unavailable:

        def __init__(self, *args, **kwargs):
            raise _missing(name)

    Unavailable.__name__ = Unavailable.__qualname__ = name
    Unavailable.__module__ = module_name
    return Unavailable


def _build_shim() -> types.ModuleType:
    import mmcv
    path = osp.join(osp.dirname(mmcv.__file__), 'ops', 'point_sample.py')
    spec = importlib.util.spec_from_file_location('mmcv.ops.point_sample',
                                                  path)
    point_sample_mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(point_sample_mod)

    shim = types.ModuleType(
        'mmcv.ops', 'sar_mm stand-in for mmcv.ops (mmcv-lite, no mmcv._ext)')
    # importlib.util.find_spec('mmcv.ops') answers instead of raising
    shim.__spec__ = importlib.machinery.ModuleSpec('mmcv.ops', None)
    shim.__sar_mm_shim__ = True
    for name in _PURE_TORCH_OPS:
        setattr(shim, name, getattr(point_sample_mod, name))
    shim.sigmoid_focal_loss = _unavailable('sigmoid_focal_loss')

    def __getattr__(name):
        # dunder probes (mmengine's infer_scope reads __file__) see a
        # module's own AttributeError
        if name.startswith('__') and name.endswith('__'):
            raise AttributeError(
                f"module 'mmcv.ops' has no attribute '{name}'",
                name=name,
                obj=shim)
        if _is_from_import(sys._getframe(1)):
            raise _missing(name)
        raise _missing_attribute(name, shim)

    shim.__getattr__ = __getattr__
    sys.modules['mmcv.ops.point_sample'] = point_sample_mod
    return shim


def install_mmcv_ops_shim() -> bool:
    """Install the stand-in ``mmcv.ops`` if needed.

    Returns:
        bool: True if the shim was installed by this call.
    """
    if 'mmcv.ops' in sys.modules or mmcv_full_available():
        return False
    import mmcv
    mmcv.ops = sys.modules['mmcv.ops'] = _build_shim()
    # mmcv.cnn warns at import that deformable attention is missing; with
    # mmcv-lite that is expected and says nothing actionable.
    warnings.filterwarnings(
        'ignore', message='Fail to import ``MultiScaleDeformableAttention``')
    return True


def explain_missing_ops() -> None:
    """Let mmseg's heads built on compiled ops fail in one line naming the
    fix; call after :func:`install_mmcv_ops_shim`."""
    if mmcv_full_available():
        return
    for module_name, op in _GUARDED_OPS.items():
        module = importlib.import_module(module_name)
        if getattr(module, op, None) is None:
            setattr(module, op, _unavailable_module(op, module_name))
