"""run_cli: one-line errors and a destroyed process group on every exit."""
import pytest
import torch
import torch.distributed as dist

from sar_mm.engine.launch import run_cli
from sar_mm.utils.errors import UserInputError


def init_single_rank_group(tmp_path):
    dist.init_process_group('gloo', init_method=f'file://{tmp_path}/store',
                            rank=0, world_size=1)


def test_process_group_destroyed_after_a_normal_run(tmp_path):
    init_single_rank_group(tmp_path)
    seen = []

    def main():
        t = torch.ones(2)
        dist.all_reduce(t)
        seen.append(t.tolist())

    run_cli(main)
    assert seen == [[1.0, 1.0]]
    assert not dist.is_initialized()


def test_user_error_is_one_line_and_still_destroys_the_group(
        tmp_path, capsys):
    init_single_rank_group(tmp_path)

    def main():
        raise UserInputError('bad thing; do the fix')

    with pytest.raises(SystemExit) as exit_info:
        run_cli(main)
    assert exit_info.value.code == 1
    assert capsys.readouterr().err == 'ERROR: bad thing; do the fix\n'
    assert not dist.is_initialized()


def test_without_a_process_group_nothing_is_destroyed():
    run_cli(lambda: None)
    assert not dist.is_initialized()
