"""The optional arms of benchmarks/semi_seg.py build what they promise."""
from mmengine.config import Config

from benchmarks.semi_seg import ARMS, DEFAULT_ARMS, arm_config


def load(name, tmp_path):
    base, extra = arm_config('1_8', name)
    path = tmp_path / 'arm.py'
    path.write_text(f"_base_ = ['{base}']\n{extra}\n")
    return Config.fromfile(path)


def test_ema_burn_in_arm_adds_the_teacher_and_its_hook(tmp_path):
    cfg, plain = load('fixmatch+ema-burn', tmp_path), load('fixmatch',
                                                           tmp_path)
    assert cfg.model.semi_train_cfg == dict(
        plain.model.semi_train_cfg, ema_teacher=True, burn_in_iters=1000,
        warmup_iters=500)
    assert cfg.custom_hooks == [dict(type='MeanTeacherHook')]
    assert cfg.model.segmentor == plain.model.segmentor
    assert cfg.train_dataloader == plain.train_dataloader


def test_default_arms_are_the_issue_arms():
    assert DEFAULT_ARMS == [
        'supervised', 'supervised+sar', 'control', 'fixmatch',
        'fixmatch+sar', 'fixmatch+lt', 'fixmatch+lt+sar'
    ]
    assert set(DEFAULT_ARMS) < set(ARMS)
