"""Atomic checkpoint writes.

mmengine's ``LocalBackend.put`` opens the target file and writes into it, so
a run killed during a save (pre-emption, out of memory, Ctrl-C) leaves a
truncated ``iter_N.pth``, and overwriting a file loses the old one first.
:class:`AtomicLocalBackend` writes to a temporary file in the same folder,
syncs it, and renames it over the target, which POSIX makes atomic: readers
see the old file or the complete new one, never a partial file.
"""
import os
import os.path as osp

from mmengine.fileio.backends import LocalBackend, register_backend


def _atomic_write(filepath, data, mode: str, **open_kwargs) -> None:
    filepath = str(filepath)
    os.makedirs(osp.dirname(osp.abspath(filepath)), exist_ok=True)
    tmp = osp.join(
        osp.dirname(osp.abspath(filepath)),
        f'.{osp.basename(filepath)}.tmp-{os.getpid()}')
    try:
        with open(tmp, mode, **open_kwargs) as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, filepath)
    finally:
        if osp.exists(tmp):
            os.remove(tmp)


class AtomicLocalBackend(LocalBackend):
    """:class:`LocalBackend` whose ``put`` and ``put_text`` are atomic."""

    def put(self, obj: bytes, filepath) -> None:
        _atomic_write(filepath, obj, 'wb')

    def put_text(self, obj: str, filepath, encoding: str = 'utf-8') -> None:
        _atomic_write(filepath, obj, 'w', encoding=encoding)


def install_atomic_local_backend() -> None:
    register_backend('local', AtomicLocalBackend, force=True, prefixes='')
