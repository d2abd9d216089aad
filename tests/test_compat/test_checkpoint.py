"""Weights-only checkpoint loading: mmengine checkpoints load, payloads don't,
unless the user trusts that one file."""
import os
import pickle
import zipfile
from collections import OrderedDict

import numpy as np
import pytest
import torch
from mmengine.logging import HistoryBuffer
from mmengine.runner import CheckpointLoader

import sar_mm.compat.checkpoint as checkpoint_module
from sar_mm.compat.checkpoint import (MIN_TORCH, TRUSTED_CHECKPOINTS_ENV,
                                     CheckpointError, checkpoint_error,
                                     load_from_local, safe_load,
                                     trust_checkpoint)
from sar_mm.utils.errors import UserInputError


class Payload:
    """Unpickling this would run a shell command that creates a file."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return os.system, (f'touch {self.marker}', )


def write_malicious_checkpoint(path, marker):
    torch.save(
        dict(
            meta=dict(epoch=1),
            state_dict=OrderedDict(w=torch.zeros(2)),
            payload=Payload(marker)), path)


def mmengine_like_checkpoint():
    buffer = HistoryBuffer()
    buffer.update(np.float64(0.5))
    return dict(
        meta=dict(iter=np.int64(4), seed=0, dataset_meta=dict(classes=('a', ))),
        state_dict=OrderedDict(w=torch.ones(3)),
        message_hub=dict(
            log_scalars=dict(loss=buffer),
            runtime_info=dict(iter=4, arr=np.arange(3), f=np.float32(1))),
    )


def test_mmengine_checkpoint_objects_load(tmp_path):
    path = tmp_path / 'ok.pth'
    torch.save(mmengine_like_checkpoint(), path)
    ckpt = CheckpointLoader.load_checkpoint(str(path), map_location='cpu')
    assert torch.equal(ckpt['state_dict']['w'], torch.ones(3))
    assert ckpt['message_hub']['log_scalars']['loss'].current() == 0.5
    np.testing.assert_array_equal(
        ckpt['message_hub']['runtime_info']['arr'], np.arange(3))


@pytest.mark.parametrize('loader', ['safe_load', 'mmengine', 'torch_default'])
def test_payload_is_refused_and_never_runs(tmp_path, loader):
    path, marker = tmp_path / 'evil.pth', tmp_path / 'pwned'
    write_malicious_checkpoint(path, marker)
    if loader == 'safe_load':
        with pytest.raises(CheckpointError, match='refused to load') as err:
            safe_load(str(path))
        assert str(path) in str(err.value)
        assert 'system' in str(err.value)
    elif loader == 'mmengine':
        with pytest.raises(CheckpointError, match='refused'):
            CheckpointLoader.load_checkpoint(str(path))
    else:
        # torch.load's own default stays weights-only with our allow-list
        with pytest.raises(Exception, match='Weights only load failed'):
            torch.load(path)
    assert not marker.exists()


def test_missing_and_corrupt_files_name_the_file(tmp_path):
    with pytest.raises(CheckpointError, match='not found: .*nope.pth'):
        safe_load(str(tmp_path / 'nope.pth'))
    good = tmp_path / 'good.pth'
    torch.save(dict(state_dict=dict(w=torch.zeros(1000))), good)
    truncated = tmp_path / 'truncated.pth'
    truncated.write_bytes(good.read_bytes()[:300])
    with pytest.raises(CheckpointError, match='corrupt or truncated') as err:
        safe_load(str(truncated))
    assert 'truncated.pth' in str(err.value)
    assert zipfile.is_zipfile(good)


@pytest.fixture
def no_trust(monkeypatch):
    """Nothing trusted, before and after the test."""
    monkeypatch.setattr(checkpoint_module, '_trusted', set())
    monkeypatch.delenv(TRUSTED_CHECKPOINTS_ENV, raising=False)


def test_trusted_checkpoint_is_unpickled_only_on_request(
        tmp_path, monkeypatch, no_trust):
    evil, marker = tmp_path / 'evil.pth', tmp_path / 'pwned'
    write_malicious_checkpoint(evil, marker)
    other, other_marker = tmp_path / 'other.pth', tmp_path / 'other_ran'
    write_malicious_checkpoint(other, other_marker)
    with pytest.raises(CheckpointError,
                       match=f'pass --trust-checkpoint {evil}'):
        load_from_local(str(evil))
    assert not marker.exists()
    # the environment variable: that file alone
    monkeypatch.setenv(TRUSTED_CHECKPOINTS_ENV,
                       os.pathsep.join(['/nowhere.pth', str(evil)]))
    loaded = CheckpointLoader.load_checkpoint(str(evil))
    assert marker.exists()
    assert torch.equal(loaded['state_dict']['w'], torch.zeros(2))
    with pytest.raises(CheckpointError, match='refused'):
        load_from_local(str(other))
    assert not other_marker.exists()
    # the flag's function, through another path to the same file
    monkeypatch.delenv(TRUSTED_CHECKPOINTS_ENV)
    trust_checkpoint(str(tmp_path / '.' / 'other.pth'))
    load_from_local(str(other))
    assert other_marker.exists()
    # safe_load itself never unpickles, trusted or not
    with pytest.raises(CheckpointError, match='refused'):
        safe_load(str(other))


def test_trusting_a_missing_file_is_an_error(tmp_path, no_trust):
    with pytest.raises(CheckpointError, match='does not exist: .*nope.pth'):
        trust_checkpoint(str(tmp_path / 'nope.pth'))


def test_setup_requires_the_torch_the_allow_list_needs(repo):
    setup = (repo / 'setup.py').read_text()
    assert f"'torch>={MIN_TORCH}'" in setup


@pytest.mark.parametrize('cut', [6, 100, 300, 5000])
def test_truncated_checkpoint_message_is_complete(tmp_path, cut):
    good = tmp_path / 'good.pth'
    torch.save(dict(state_dict=dict(w=torch.zeros(10000))), good)
    truncated = tmp_path / 'truncated.pth'
    truncated.write_bytes(good.read_bytes()[:cut])
    with pytest.raises(CheckpointError) as err:
        safe_load(str(truncated))
    message = str(err.value)
    assert message.startswith(f'checkpoint file {truncated} is corrupt or '
                              f'truncated')
    # whole sentences only: torch's advice paragraphs are left out, not cut
    assert message.endswith('; copy or save it again.')
    assert 'internal miniz error' not in message
    assert '\n' not in message


@pytest.mark.parametrize('content', [
    b'not a checkpoint at all', b'model = dict(type="FCN")\n', b'{"a": 1}',
    b'\x93NUMPY\x01\x00', b'', b'this is not a checkpoint\n',
    b'hello', b'(lp0\n', b'}q\x00.'
] + [bytes([first]) + bytes(range(256)) for first in b'tpq]}(l.)0'],
    ids=['text', 'python', 'json', 'numpy', 'empty', 'opcode-text', 'hello',
         'pickle-list', 'pickle-dict'] +
    [f'random-{chr(first)}' for first in b'tpq]}(l.)0'])
def test_other_files_are_not_a_pytorch_checkpoint(tmp_path, content):
    path = tmp_path / 'notes.pth'
    path.write_bytes(content)
    with pytest.raises(CheckpointError) as err:
        safe_load(str(path))
    assert str(err.value) == (
        f'{path} is not a PyTorch checkpoint (neither the zip archive nor '
        f'the pickle torch.save writes); check the path.')


def test_missing_checkpoint_is_a_file_not_found_error(tmp_path):
    """As mmengine's own loader: upstream code catches ``OSError``."""
    path = str(tmp_path / 'nope.pth')
    with pytest.raises(FileNotFoundError) as err:
        CheckpointLoader.load_checkpoint(path)
    assert isinstance(err.value, OSError)
    # and what the tools print as one line
    assert isinstance(err.value, CheckpointError)
    assert isinstance(err.value, UserInputError)
    assert str(err.value) == f'checkpoint file not found: {path}'
    with pytest.raises(FileNotFoundError,
                       match='--trust-checkpoint names a file that does not'):
        trust_checkpoint(path)


def test_missing_pretrained_weights_are_an_os_error(tmp_path):
    """A real backbone's ``init_cfg`` with a missing file, as upstream's
    ``init_weights`` tests build it."""
    from mmseg.registry import MODELS
    path = str(tmp_path / 'nope.pth')
    backbone = MODELS.build(
        dict(
            type='mmseg.MixVisionTransformer',
            embed_dims=8,
            num_stages=1,
            num_layers=[1],
            num_heads=[1],
            patch_sizes=[7],
            strides=[4],
            sr_ratios=[8],
            out_indices=(0, ),
            init_cfg=dict(type='Pretrained', checkpoint=path)))
    with pytest.raises(OSError, match=f'checkpoint file not found: {path}'):
        backbone.init_weights()


def bad_files(tmp_path):
    """Files that fail to load, each in a different way."""
    good = tmp_path / 'good.pth'
    torch.save(dict(state_dict=dict(w=torch.zeros(1000))), good)
    files = dict(
        truncated=good.read_bytes()[:300],
        archive_head=good.read_bytes()[:6],
        text=b'not a checkpoint', empty=b'', opcode=b'hello',
        pop=b'this is not a checkpoint\n', magic=b'}q\x00.')
    for name, content in files.items():
        (tmp_path / f'{name}.pth').write_bytes(content)
    write_malicious_checkpoint(tmp_path / 'payload.pth', tmp_path / 'ran')
    return sorted(tmp_path.glob('*.pth'))


def test_unreadable_checkpoint_keeps_the_upstream_exception_type(tmp_path):
    """Each file fails as an instance of what ``torch.load`` (mmengine's
    loader without sar_mm) raises for it, with our one-line message."""
    upstream_types = set()
    for path in bad_files(tmp_path):
        if path.name == 'good.pth':
            continue
        with pytest.raises(Exception) as upstream:
            torch.load(path, map_location='cpu')
        with pytest.raises(CheckpointError) as err:
            CheckpointLoader.load_checkpoint(str(path))
        assert isinstance(err.value, type(upstream.value)), path.name
        assert type(err.value).upstream is type(upstream.value)
        assert str(path) in str(err.value) and '\n' not in str(err.value)
        # a KeyError's str() quotes its message; ours stays one clean line
        assert not str(err.value).startswith("'")
        upstream_types.add(type(upstream.value))
    # the files cover what torch raises
    assert {RuntimeError, pickle.UnpicklingError, EOFError, KeyError,
            IndexError} <= upstream_types
    assert not (tmp_path / 'ran').exists()


def test_checkpoint_errors_pickle(tmp_path):
    """Errors cross process boundaries (dataloader workers, spawn)."""
    paths = [tmp_path / 'nope.pth'] + [
        path for path in bad_files(tmp_path)
        if path.name in ('opcode.pth', 'payload.pth')]
    for path in paths:
        with pytest.raises(CheckpointError) as err:
            safe_load(str(path))
        copy = pickle.loads(pickle.dumps(err.value))
        assert type(copy) is type(err.value)
        assert str(copy) == str(err.value)


def test_an_upstream_type_that_needs_more_than_a_message():
    err = checkpoint_error(UnicodeDecodeError, 'checkpoint x: bad')
    assert isinstance(err, UnicodeError) and str(err) == 'checkpoint x: bad'
