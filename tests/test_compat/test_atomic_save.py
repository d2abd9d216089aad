"""Atomic writes of mmengine's 'local' backend: a failed write leaves the old
file; otherwise the file ends up as mmengine's LocalBackend leaves it."""
import os
import stat

import pytest
from mmengine.fileio import get_file_backend

from sar_mm.compat.atomic_save import AtomicLocalBackend


@pytest.fixture
def backend(tmp_path):
    backend = get_file_backend(str(tmp_path / 'x.pth'))
    assert isinstance(backend, AtomicLocalBackend)
    return backend


def test_a_failed_write_leaves_the_old_file(tmp_path, backend):
    path = tmp_path / 'sub' / 'iter_4.pth'
    backend.put(b'old', path)
    with pytest.raises(TypeError):
        backend.put('not bytes', path)
    assert path.read_bytes() == b'old'
    assert os.listdir(path.parent) == ['iter_4.pth']


def test_writes_through_a_symlink_and_keeps_permissions(tmp_path, backend):
    target, link = tmp_path / 'iter_8.pth', tmp_path / 'latest.pth'
    target.write_bytes(b'old')
    target.chmod(0o600)
    link.symlink_to(target.name)
    backend.put(b'new', link)
    backend.put_text('text', tmp_path / 'log.txt')
    assert link.is_symlink() and target.read_bytes() == b'new'
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert (tmp_path / 'log.txt').read_text() == 'text'


def test_what_is_not_a_regular_file_is_written_in_place(tmp_path, backend):
    fifo = tmp_path / 'pipe'
    os.mkfifo(fifo)
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    try:
        backend.put_text('through the pipe', fifo)
        assert os.read(reader, 100) == b'through the pipe'
    finally:
        os.close(reader)
    assert stat.S_ISFIFO(fifo.stat().st_mode)
    with pytest.raises(IsADirectoryError):
        backend.put(b'x', tmp_path)
