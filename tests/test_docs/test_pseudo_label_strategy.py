"""The example strategy of docs/en/advanced_guides/pseudo_label_strategy.md,
taken from the page and run: by hand on pixels with padding, and in a
FixMatchSegmentor step through pseudo_label=dict(type=...)."""
import re

import pytest
import torch

from tests.utils import REPO, TINY_SEMI, training_batches

PAGE = REPO / 'docs/en/advanced_guides/pseudo_label_strategy.md'


@pytest.fixture(scope='module')
def strategy():
    """The class the page defines, registered for this module only: the
    builder's tests list the registered strategies."""
    import sar_mm  # noqa: F401
    from mmpretrain.registry import MODELS as PRETRAIN_MODELS
    from mmseg.registry import MODELS
    code = re.findall(r'```python\n(.*?)```', PAGE.read_text(), re.S)[-1]
    exec(compile(code, str(PAGE), 'exec'), {})
    yield MODELS.get('RunningMeanThreshold')
    for registry in (MODELS, PRETRAIN_MODELS):
        registry._module_dict.pop('RunningMeanThreshold', None)


def test_the_example_by_hand(strategy):
    labeller = strategy(num_classes=2, momentum=0.5).train()
    # 1 image, 2 x 2 pixels; class-0 confidences 0.9, 0.7, class 1: 0.6;
    # the fourth pixel is padding (0.99 for class 1, never counted)
    p0 = torch.tensor([[0.9, 0.7], [0.4, 0.01]])
    probs = torch.stack([p0, 1 - p0])[None]
    valid = torch.tensor([[[True, True], [True, False]]])
    out = labeller(probs, valid)
    # means 0.8 and 0.6 after the batch: thresholds 0.5*0.5+0.5*0.8=0.65
    # and 0.5*0.5+0.5*0.6=0.55
    torch.testing.assert_close(labeller.thresholds(),
                               torch.tensor([0.65, 0.55]))
    assert out.labels.tolist() == [[[0, 0], [1, 1]]]
    assert out.keep.tolist() == [[[True, True], [True, False]]]


def test_the_example_in_a_fixmatch_step(strategy, tmp_path):
    from mmengine.config import Config
    from mmseg.registry import MODELS
    cfg = Config.fromfile(TINY_SEMI)
    batch = training_batches(cfg, tmp_path)[0]
    model = MODELS.build(
        dict(cfg.model,
             pseudo_label=dict(type='RunningMeanThreshold',
                               momentum=0.5))).train()
    before = model.pseudo_labeler.mean_conf.clone()
    losses = model(**model.data_preprocessor(batch, True), mode='loss')
    assert torch.isfinite(losses['unsup.loss_s'])
    assert 0 < losses['unsup.mask_ratio'] <= 1
    assert not torch.equal(model.pseudo_labeler.mean_conf, before)
