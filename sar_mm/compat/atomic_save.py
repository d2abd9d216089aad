"""Atomic checkpoint writes.

mmengine's ``LocalBackend.put`` opens the target file and writes into it, so
a run killed during a save (pre-emption, out of memory, Ctrl-C) leaves a
truncated ``iter_N.pth``, and overwriting a file loses the old one first.
:class:`AtomicLocalBackend` writes to a temporary file in the same folder,
syncs it, and renames it over the target, which POSIX makes atomic: readers
see the old file or the complete new one, never a partial file.

Otherwise the file ends up as ``LocalBackend`` leaves it: written through a
symbolic link (the link stays), with an existing file's permissions, and
what is not a regular file (a device, a pipe, a directory) is written in
place by ``LocalBackend`` itself, with its errors.
"""
import os
import os.path as osp
import shutil

from mmengine.fileio.backends import LocalBackend, register_backend


def _atomic_write(filepath: str, data, mode: str, **open_kwargs) -> None:
    tmp = osp.join(
        osp.dirname(filepath), f'.{osp.basename(filepath)}.tmp-{os.getpid()}')
    try:
        with open(tmp, mode, **open_kwargs) as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        if osp.exists(filepath):
            shutil.copymode(filepath, tmp)
        os.replace(tmp, filepath)
    finally:
        if osp.exists(tmp):
            os.remove(tmp)


def _replaceable(filepath) -> str:
    """The file ``open(filepath, 'w')`` would write (symbolic links
    followed), with its folder made, or ``''`` if it exists and is not a
    regular file."""
    target = osp.realpath(filepath)
    if osp.exists(target) and not osp.isfile(target):
        return ''
    os.makedirs(osp.dirname(target), exist_ok=True)
    return target


class AtomicLocalBackend(LocalBackend):
    """:class:`LocalBackend` whose ``put`` and ``put_text`` are atomic."""

    def put(self, obj: bytes, filepath) -> None:
        target = _replaceable(filepath)
        if not target:
            return super().put(obj, filepath)
        _atomic_write(target, obj, 'wb')

    def put_text(self, obj: str, filepath, encoding: str = 'utf-8') -> None:
        target = _replaceable(filepath)
        if not target:
            return super().put_text(obj, filepath, encoding)
        _atomic_write(target, obj, 'w', encoding=encoding)


def install_atomic_local_backend() -> None:
    register_backend('local', AtomicLocalBackend, force=True, prefixes='')
