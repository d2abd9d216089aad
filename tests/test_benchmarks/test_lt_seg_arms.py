"""The arms of benchmarks/lt_seg.py: each SAR arm is the arm it is compared
with plus SAR and nothing else, from the same initial weights; and a run of
some arms keeps the other arms' rows and the overhead section of the
existing report, with each SAR arm minus its baseline seed by seed."""
import json

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmseg.registry import MODELS

from benchmarks import lt_seg
from benchmarks.lt_seg import ARMS, SAR_BASELINES, kept_arms, run_config


def arm_config(arm, tmp_path, seed=0):
    """The config of an arm's run, as the benchmark writes it."""
    path = tmp_path / f'{arm.replace(" ", "_")}_s{seed}.py'
    path.write_text(run_config(*ARMS[arm], seed, 3000))
    return Config.fromfile(path)


def test_every_sar_arm_has_its_baseline():
    assert set(SAR_BASELINES) == {arm for arm in ARMS if 'SAR' in arm}
    assert all(base in ARMS and 'SAR' not in base
               for base in SAR_BASELINES.values())


@pytest.mark.parametrize('arm', list(SAR_BASELINES))
def test_sar_arm_is_its_baseline_plus_sar(arm, tmp_path):
    cfg, base = arm_config(arm, tmp_path), arm_config(SAR_BASELINES[arm],
                                                      tmp_path)
    assert base.model.type == 'EncoderDecoder'
    assert cfg.model == dict(base.model, type='SAREncoderDecoder', sar={})
    assert {k: v for k, v in cfg.items() if k != 'model'} == \
        {k: v for k, v in base.items() if k != 'model'}


def test_remedy_arms_carry_their_remedy(tmp_path):
    plain = arm_config('CE (baseline)', tmp_path).model.decode_head
    balanced = arm_config('class-balanced CE', tmp_path).model.decode_head
    sampled = arm_config('LT sampler', tmp_path).model.decode_head
    assert plain.loss_decode.type == 'CrossEntropyLoss'
    assert balanced.loss_decode == dict(
        type='ClassBalancedCrossEntropyLoss', stats_file=lt_seg.STATS)
    assert sampled.sampler == dict(type='LongTailPixelSampler')
    assert dict(sampled, sampler=None, loss_decode=None) == dict(
        plain, sampler=None, loss_decode=None)


def test_sar_arm_starts_from_its_baselines_weights(tmp_path):
    models = {}
    init_default_scope('mmseg')
    for arm in ('SAR + class-balanced CE', 'class-balanced CE'):
        with torch.random.fork_rng():
            torch.manual_seed(0)  # what randomness=dict(seed=0) sets
            model = MODELS.build(arm_config(arm, tmp_path).model)
            model.init_weights()
        models[arm] = model.state_dict()
    sar, base = models.values()
    assert {k for k in sar if not k.startswith('sar.')} == set(base)
    for key, value in base.items():
        assert torch.equal(sar[key], value), key


REPORT = """# Long-tailed segmentation benchmark

LTDigitScenes (built in), 300 iterations, seeds 0, 1; final validation mIoU.

| method | mIoU | head mIoU | medium mIoU | tail mIoU |
|---|---|---|---|---|
| CE (baseline) | 30.00 ± 1.41 | 50.00 ± 0.50 | 30.00 ± 1.00 | 10.00 ± 2.83 |
| class-balanced CE | 40.00 ± 1.41 | 54.00 ± 0.10 | 36.00 ± 0.20 | 24.00 ± 1.41 |
| SAR + LT sampler (an old row) | 1.00 ± 0.00 | 1.00 ± 0.00 | 1.00 ± 0.00 | 1.00 ± 0.00 |

| arm | minus | mIoU | tail mIoU |
|---|---|---|---|
| SAR | CE (baseline) | +5.00 ± 1.00 | +6.00 ± 2.00 |

Per seed (mIoU / tail mIoU):

- CE (baseline): 29.00 / 8.00, 31.00 / 12.00
- class-balanced CE: 39.00 / 23.00, 41.00 / 25.00 (a remark: 1.00 / 2.00)
- SAR + LT sampler: 1.00 / 1.00, 1.00 / 1.00

## Sampler overhead

Measured once: 2.760 s.
"""


def test_kept_arms_reads_rows_and_seeds_of_the_same_setting():
    kept = kept_arms(REPORT, 300, [0, 1])
    # the old row's name is no arm: not kept
    assert list(kept) == ['CE (baseline)', 'class-balanced CE']
    row, per_seed = kept['class-balanced CE']
    assert row == {
        'mIoU': (40.0, 1.41),
        'mIoU.head': (54.0, 0.1),
        'mIoU.medium': (36.0, 0.2),
        'mIoU.tail': (24.0, 1.41)
    }
    assert per_seed == [{'mIoU': 39.0, 'mIoU.tail': 23.0},
                        {'mIoU': 41.0, 'mIoU.tail': 25.0}]
    # another schedule or other seeds: nothing to keep
    assert kept_arms(REPORT, 3000, [0, 1]) == {}
    assert kept_arms(REPORT, 300, [0, 1, 2]) == {}


def test_a_run_of_some_arms_keeps_the_rest_of_the_report(
        tmp_path, monkeypatch):
    out = tmp_path / 'lt_seg.md'
    out.write_text(REPORT)
    new = {  # (mIoU, tail) by seed
        'SAR + class-balanced CE': [(40.5, 20.0), (40.0, 26.0)],
        'SAR': [(33.0, 9.0), (34.0, 10.0)],
    }

    def train(arm, seed, iters, work_root):
        miou, tail = new[arm][seed]
        return {'mIoU': miou, 'mIoU.head': 50.0, 'mIoU.medium': 30.0,
                'mIoU.tail': tail, 'step': iters}

    monkeypatch.setattr(lt_seg, 'train', train)
    monkeypatch.setattr('sys.argv', [
        'lt_seg.py', '--arms', *new, '--iters', '300', '--seeds', '0', '1',
        '--skip-overhead', '--out', str(out), '--figure',
        str(tmp_path / 'lt_seg.png')
    ])
    lt_seg.main()
    text = out.read_text()
    assert 'SAR + LT sampler' not in text
    # the kept rows are as they were, in the order of ARMS
    assert text.index('| CE (baseline) | 30.00 ± 1.41 |') < text.index(
        '| class-balanced CE | 40.00 ± 1.41 |') < text.index(
            '| SAR | 33.50 ± 0.71 |') < text.index(
                '| SAR + class-balanced CE | 40.25 ± 0.35 |')
    # SAR - CE: mIoU 4, 3; tail 1, -2. SAR + CBCE - CBCE: mIoU 1.5, -1;
    # tail -3, 1
    assert '| SAR | CE (baseline) | +3.50 ± 0.71 | -0.50 ± 2.12 |' in text
    assert ('| SAR + class-balanced CE | class-balanced CE | +0.25 ± 1.77 '
            '| -1.00 ± 2.83 |') in text
    assert '- class-balanced CE: 39.00 / 23.00, 41.00 / 25.00\n' in text
    assert '- SAR: 33.00 / 9.00, 34.00 / 10.00\n' in text
    assert text.endswith('## Sampler overhead\n\nMeasured once: 2.760 s.\n')
    assert (tmp_path / 'lt_seg.png').exists()
    data = json.loads((tmp_path / 'lt_seg.json').read_text())
    assert data['iters'] == 300 and data['seeds'] == [0, 1]
    assert [r['mIoU.tail'] for r in data['runs']['SAR']] == [9.0, 10.0]
