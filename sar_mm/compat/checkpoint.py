"""Safe checkpoint loading for mmengine 0.10.7 on torch >= 2.6.

torch >= 2.6 unpickles with ``weights_only=True`` by default and refuses any
class it does not know. mmengine 0.10.7 calls ``torch.load`` without the flag,
so resuming and testing a checkpoint the Runner wrote fails on the
``HistoryBuffer`` and numpy objects in its ``message_hub`` state.

The fix here keeps weights-only loading on and allow-lists exactly the
classes an mmengine checkpoint holds (:data:`MMENGINE_CHECKPOINT_GLOBALS`).
A checkpoint that carries anything else, e.g. a pickle that would call
``os.system``, is still refused, and its payload never runs.

It also replaces mmengine's loader for local paths (the one used by
``resume``, ``load_from``, ``tools/test.py`` and mmseg/mmpretrain
``init_model``) with one that passes ``weights_only=True`` explicitly and
turns the three failures users meet into one clear message naming the file:
missing, corrupt or truncated, and refused as unsafe. Each is raised as an
instance of the exception mmengine and torch raise for that file
(:func:`checkpoint_error`), so upstream code that catches those (``except
OSError`` for a missing file) behaves as without sar_mm.

A checkpoint the user trusts (e.g. one written by older code with other
Python objects in it) can be unpickled in full, that file alone, by an
explicit opt-in: ``--trust-checkpoint FILE`` of the tools, or the
environment variable ``SAR_MM_TRUSTED_CHECKPOINTS`` (paths separated by
``os.pathsep``). Nothing is ever trusted implicitly.
"""
import functools
import os
import os.path as osp
import pickle
from typing import Set

import numpy as np
import torch
from mmengine.runner.checkpoint import CheckpointLoader
from mmengine.utils import digit_version

from ..utils.errors import UserInputError


class CheckpointError(UserInputError):
    """A checkpoint file is missing, corrupt, or refused as unsafe.

    What is raised is a subclass that is also the exception mmengine and
    torch raise for the same file (:attr:`upstream`), made by
    :func:`checkpoint_error`.
    """

    #: The exception upstream raises for the same file.
    upstream = None

    def __str__(self):
        # the message as given, also where the upstream type would quote it
        # (KeyError)
        return str(self.args[0]) if self.args else ''

    def __reduce__(self):
        if self.upstream is None:
            return super().__reduce__()
        return checkpoint_error, (self.upstream, str(self))


@functools.lru_cache(maxsize=None)
def _error_class(upstream: type) -> type:
    return type(f'Checkpoint{upstream.__name__}', (CheckpointError, upstream),
                dict(upstream=upstream, __module__=__name__))


def checkpoint_error(upstream: type, message: str) -> CheckpointError:
    """A :class:`CheckpointError` that is also an ``upstream`` exception.

    Args:
        upstream (type): The exception mmengine or torch raises for the
            same file, e.g. ``FileNotFoundError`` for a missing one. An
            exception type that cannot be built from a message alone is
            replaced by its nearest base that can.
        message (str): One line naming the file, the problem and the fix.
    """
    for base in upstream.__mro__:
        try:
            return _error_class(base)(message)
        except TypeError:
            continue


#: The first torch whose ``add_safe_globals`` takes ``(obj, name)`` pairs,
#: which the allow-list needs (setup.py's lower bound).
MIN_TORCH = '2.6'

#: Environment variable listing checkpoint files to unpickle in full.
TRUSTED_CHECKPOINTS_ENV = 'SAR_MM_TRUSTED_CHECKPOINTS'
_trusted: Set[str] = set()


def trust_checkpoint(filename: str) -> None:
    """Unpickle ``filename`` in full from now on, in this process.

    Only for a file whose origin the user knows: unpickling can run any
    code the file carries. Other files stay weights-only.

    Raises:
        CheckpointError: The file does not exist (a ``FileNotFoundError``).
    """
    if not osp.isfile(osp.expanduser(filename)):
        raise checkpoint_error(
            FileNotFoundError,
            f'--trust-checkpoint names a file that does not exist: '
            f'{filename}')
    _trusted.add(osp.realpath(osp.expanduser(filename)))


def is_trusted(filename: str) -> bool:
    """Whether ``filename`` was trusted with :func:`trust_checkpoint` or
    listed in ``SAR_MM_TRUSTED_CHECKPOINTS``."""
    listed = {
        osp.realpath(osp.expanduser(path))
        for path in os.environ.get(TRUSTED_CHECKPOINTS_ENV, '').split(
            os.pathsep) if path
    }
    return osp.realpath(osp.expanduser(filename)) in _trusted | listed


_HISTORY_BUFFER_STATISTICS = ('min', 'max', 'current', 'mean')


def _history_buffer_getattr(obj, name):
    """Stands in for ``builtins.getattr`` while unpickling.

    mmengine's ``HistoryBuffer`` pickles its statistics methods as
    ``getattr(HistoryBuffer, 'mean')``. A general ``getattr`` would let a
    crafted file walk from any allowed object to ``os.system``, so only
    those lookups are served.
    """
    from mmengine.logging.history_buffer import HistoryBuffer
    if obj is HistoryBuffer and (name in _HISTORY_BUFFER_STATISTICS or
                                 name in HistoryBuffer._statistics_methods):
        return getattr(obj, name)
    raise pickle.UnpicklingError(
        f'Unsupported global: GLOBAL builtins.getattr was called with '
        f'({obj!r}, {name!r}), which is not a HistoryBuffer statistic')


def _mmengine_checkpoint_globals() -> list:
    from mmengine.logging.history_buffer import HistoryBuffer
    np_core = getattr(np, '_core', None) or np.core
    allowed = [
        HistoryBuffer,
        (_history_buffer_getattr, 'builtins.getattr'),
        np.ndarray,
        np.dtype,
        np_core.multiarray._reconstruct,
        np_core.multiarray.scalar,
    ]
    # numpy >= 1.25 pickles dtypes by their class (np.dtypes.Float64DType)
    dtypes = getattr(np, 'dtypes', None)
    if dtypes is not None:
        allowed += [
            getattr(dtypes, name) for name in dir(dtypes)
            if name.endswith('DType')
        ]
    return allowed


#: What checkpoints written by mmengine's Runner hold besides tensors: the
#: message hub's ``HistoryBuffer`` (and the lookups of its statistics
#: methods), and the numpy arrays, scalars and dtypes it stores. Nothing
#: that can run code.
MMENGINE_CHECKPOINT_GLOBALS = _mmengine_checkpoint_globals()


def _is_torch_file(filename: str) -> bool:
    """Whether the file starts like something ``torch.save`` writes: a zip
    archive (the default since torch 1.6) or a pickle (the legacy format,
    protocol >= 2)."""
    with open(filename, 'rb') as f:
        head = f.read(4)
    return head.startswith(b'PK\x03\x04') or head[:1] == b'\x80'


def _first_sentence(text: str) -> str:
    """The first sentence of an error message, complete: torch appends
    paragraphs of advice to the part that says what went wrong."""
    line = (text.strip().splitlines() or [''])[0]
    return line.split('. ')[0].rstrip('.')


def _unreadable(filename: str, err: Exception) -> CheckpointError:
    if not _is_torch_file(filename):
        return checkpoint_error(
            type(err),
            f'{filename} is not a PyTorch checkpoint (neither the zip '
            f'archive nor the pickle torch.save writes); check the path.')
    # a KeyError's or IndexError's text is no sentence ('101')
    detail = _first_sentence(str(err)) if isinstance(
        err, (RuntimeError, EOFError, ValueError, pickle.UnpicklingError)) \
        else ''
    return checkpoint_error(
        type(err), f'checkpoint file {filename} is corrupt or truncated'
        f'{f" ({detail})" if detail else ""}; copy or save it again.')


def _load(filename: str, map_location, weights_only: bool):
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        # mmengine's own loader raises FileNotFoundError here too
        raise checkpoint_error(FileNotFoundError,
                               f'checkpoint file not found: {filename}')
    try:
        return torch.load(
            filename, map_location=map_location, weights_only=weights_only)
    except pickle.UnpicklingError as err:
        text = str(err)
        # a bad opcode is corruption; any other weights-only refusal is
        # about what the file holds
        if 'Weights only load failed' in text and \
                'Unsupported operand' not in text and _is_torch_file(filename):
            # torch's message is boilerplate around one line naming the
            # offending global
            detail = next((line.strip() for line in text.splitlines()
                           if 'GLOBAL' in line or 'but got' in line),
                          'a non-allow-listed object')
            raise checkpoint_error(
                type(err),
                f'refused to load checkpoint {filename}: it holds Python '
                f'objects outside the weights-only allow-list ({detail}). '
                f'Unpickling such a file can run arbitrary code. If you '
                f'trust the file, pass --trust-checkpoint {filename} (or '
                f'list it in {TRUSTED_CHECKPOINTS_ENV}).') from None
        raise _unreadable(filename, err) from None
    except Exception as err:  # noqa: B902
        # a truncated file fails with a RuntimeError or EOFError; a file
        # that is no checkpoint anywhere in the unpickler: a KeyError for an
        # unknown opcode, an IndexError for an opcode that pops from an
        # empty stack ("this is not..." starts with one)
        raise _unreadable(filename, err) from None


def safe_load(filename: str, map_location=None):
    """``torch.load`` with ``weights_only=True`` and clear errors.

    Raises:
        CheckpointError: The file does not exist, is not a PyTorch
            checkpoint, is corrupt or truncated, or holds Python objects
            outside the allow-list (it may carry code; it is refused
            without running it). Also the exception ``torch.load`` raises
            for that file: ``FileNotFoundError`` for a missing one,
            ``pickle.UnpicklingError`` for a refused one, ``RuntimeError``
            for a truncated archive...
    """
    return _load(filename, map_location, weights_only=True)


def trusted_load(filename: str, map_location=None):
    """``torch.load`` with full unpickling, for a file the user trusts
    (:func:`trust_checkpoint`); same errors as :func:`safe_load` for a
    missing file, one that is not a checkpoint, or a corrupt one."""
    return _load(filename, map_location, weights_only=False)


def load_from_local(filename, map_location=None):
    """mmengine's loader for local paths: :func:`trusted_load` for a file
    the user trusts (:func:`is_trusted`), :func:`safe_load` for any
    other."""
    if is_trusted(filename):
        return trusted_load(filename, map_location)
    return safe_load(filename, map_location)


def install_safe_checkpoint_loading() -> None:
    """Allow-list mmengine's checkpoint classes and route local loads
    through :func:`load_from_local`."""
    if digit_version(torch.__version__) < digit_version(MIN_TORCH):
        raise ImportError(
            f'sar_mm needs torch>={MIN_TORCH} (weights-only checkpoint '
            f'loading with an allow-list), found {torch.__version__}; '
            f'upgrade torch or see docs/en/get_started.md, "Installation".')
    torch.serialization.add_safe_globals(MMENGINE_CHECKPOINT_GLOBALS)
    CheckpointLoader.register_scheme(
        prefixes='', loader=load_from_local, force=True)
