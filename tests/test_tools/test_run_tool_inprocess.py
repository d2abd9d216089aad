"""tests/utils.run_tool_inprocess: a tool run in the test process reports
what a process would (exit status, stdout, stderr, a traceback for an
uncaught exception) and leaves no state behind for the next test."""
import os
import random
import sys
import textwrap

import numpy as np
import torch
from mmengine.logging import MMLogger
from mmengine.registry import DefaultScope

from sar_mm.compat import checkpoint
from tests.utils import one_error_line, run_tool_inprocess


def script(tmp_path, body):
    path = tmp_path / 'tool.py'
    path.write_text(textwrap.dedent(body))
    return path  # an absolute path: REPO / 'tools' / path is path


def test_exit_status_and_output(tmp_path):
    tool = script(tmp_path, """
        import sys
        print('out', sys.argv[1:])
        print('err', file=sys.stderr)
        sys.exit(int(sys.argv[1]))
        """)
    result = run_tool_inprocess([tool, 3], tmp_path)
    assert (result.returncode, result.stdout, result.stderr) == (
        3, "out ['3']\n", 'err\n')
    assert run_tool_inprocess([tool, 0], tmp_path).returncode == 0


def test_uncaught_exception_is_status_1_with_its_traceback(tmp_path):
    tool = script(tmp_path, "raise KeyError('boom')\n")
    result = run_tool_inprocess([tool], tmp_path)
    assert result.returncode == 1
    assert 'Traceback' in result.stderr
    assert result.stderr.rstrip().endswith("KeyError: 'boom'")


def test_a_tools_bad_input_is_one_line(tmp_path):
    error = one_error_line(
        run_tool_inprocess(['train.py', tmp_path / 'missing.py'], tmp_path))
    assert error == f'ERROR: config file not found: {tmp_path}/missing.py'


def test_state_is_put_back(tmp_path):
    trusted = tmp_path / 'trusted.pth'
    trusted.write_bytes(b'')
    tool = script(tmp_path, f"""
        import os, random, sys
        import numpy as np, torch
        from mmengine.logging import MMLogger
        from mmengine.registry import init_default_scope
        from sar_mm.compat.checkpoint import trust_checkpoint
        assert os.getcwd() == {str(tmp_path)!r}
        assert os.environ['EXTRA'] == 'yes'
        os.environ['LOCAL_RANK'] = '5'
        os.chdir('/')
        sys.path.append('/nowhere')
        random.seed(1); np.random.seed(1); torch.manual_seed(1)
        torch.set_num_threads(2)
        init_default_scope('mmpretrain')
        logger = MMLogger.get_instance('run', log_file={str(tmp_path)!r}
                                       + '/run.log')
        logger.info('logged')
        trust_checkpoint({str(trusted)!r})
        print(sorted(h.__class__.__name__ for h in logger.handlers))
        """)
    cwd, path, env = os.getcwd(), list(sys.path), dict(os.environ)
    scope = DefaultScope.get_current_instance()
    state = (random.getstate(), np.random.get_state(), torch.get_rng_state())
    rng = (random.random(), np.random.rand(), torch.rand(1).item())
    random.setstate(state[0])
    np.random.set_state(state[1])
    torch.set_rng_state(state[2])
    threads = torch.get_num_threads()
    result = run_tool_inprocess([tool], tmp_path, EXTRA='yes')
    assert result.returncode == 0, result.stderr
    assert 'FileHandler' in result.stdout
    assert os.getcwd() == cwd and sys.path == path and dict(os.environ) == env
    assert DefaultScope.get_current_instance() is scope
    assert not MMLogger.check_instance_created('run')
    assert (random.random(), np.random.rand(), torch.rand(1).item()) == rng
    assert torch.get_num_threads() == threads
    assert not checkpoint.is_trusted(str(trusted))
    assert 'logged' in (tmp_path / 'run.log').read_text()
