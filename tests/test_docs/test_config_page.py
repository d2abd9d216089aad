"""docs/en/user_guides/config.md, run as written: each ``python`` block
is a config file that loads (``mmseg::`` and ``sar_mm::`` bases,
``custom_imports``) and builds its model; the ``bash`` block's command
line goes through tools/train.py's own parser and config loading."""
import re
import runpy
import shlex
import sys

import pytest
from mmengine.config import Config
from mmengine.registry import init_default_scope

from tests.utils import REPO

PAGE = REPO / 'docs/en/user_guides/config.md'


def blocks(language):
    return re.findall(rf'```{language}\n(.*?)```', PAGE.read_text(), re.S)


@pytest.mark.parametrize('index', [0, 1])
def test_config_snippet_loads_and_builds(tmp_path, index):
    from mmseg.registry import MODELS
    snippet = blocks('python')[index]
    path = tmp_path / 'my_config.py'
    path.write_text(snippet)
    cfg = Config.fromfile(str(path))
    init_default_scope('mmseg')
    model = MODELS.build(cfg.model)
    assert type(model).__name__ == 'SAREncoderDecoder'
    if index == 0:
        # mmseg's FCN, inherited whole: only the segmentor type changed
        assert cfg.model.backbone.depth == 18
        assert cfg.model.decode_head.num_classes == 19
    else:
        # the demo's settings, with the two the snippet changes
        demo = Config.fromfile(
            str(REPO / 'configs/demo/fcn_lt-digit-scenes_sar.py'))
        assert model.sar.pull_weight == 0.5 != demo.model.sar.get(
            'pull_weight', 1.0)
        assert cfg.train_cfg.max_iters == 1000
        assert cfg.model.decode_head == demo.model.decode_head


def test_cfg_options_merge_as_train_py_merges_them(monkeypatch):
    (command, ) = blocks('bash')
    args = shlex.split(command.replace('\\\n', ' '))
    assert args[:2] == ['python', 'tools/train.py']
    monkeypatch.setattr(sys, 'path', list(sys.path))  # the tool adds one
    tool = runpy.run_path(str(REPO / args[1]))  # not run: its functions
    parsed = tool['build_parser']().parse_args(args[2:])
    monkeypatch.chdir(REPO)
    cfg = tool['load_config'](parsed.config, parsed.cfg_options)
    assert cfg.model.sar.update_conf == 0
    assert cfg.train_cfg.max_iters == 100
