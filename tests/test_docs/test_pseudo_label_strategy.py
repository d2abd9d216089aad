"""The example of docs/en/advanced_guides/pseudo_label_strategy.md, taken
from the page and run: with ``conf_power=0`` every valid pixel has weight
1, which is FixMatch with ``conf_thresh=0`` exactly; a higher power
weights the unconfident pixels of a young model down."""
import re

import pytest
import torch

from tests.utils import REPO, TINY_SEMI, training_batches

PAGE = REPO / 'docs/en/advanced_guides/pseudo_label_strategy.md'


@pytest.fixture(scope='module')
def strategy():
    """The class the page defines (registered once per process)."""
    import sar_mm  # noqa: F401
    from mmseg.registry import MODELS
    if MODELS.get('ConfidenceWeightedFixMatch') is None:
        code = re.findall(r'```python\n(.*?)```', PAGE.read_text(), re.S)[0]
        exec(compile(code, str(PAGE), 'exec'), {})
    return MODELS.get('ConfidenceWeightedFixMatch')


def unsup_loss(model, batch):
    data = model.data_preprocessor(batch, True)
    torch.manual_seed(0)  # the same dropout in both models
    return model(**data, mode='loss')['unsup.loss_s']


def test_the_example_strategy_trains(strategy, tmp_path):
    from mmengine.config import Config
    from mmseg.registry import MODELS
    cfg = Config.fromfile(TINY_SEMI)
    batch = training_batches(cfg, tmp_path)[0]
    torch.manual_seed(0)
    fixmatch = MODELS.build(
        dict(cfg.model, semi_train_cfg=dict(conf_thresh=0.0))).train()
    losses = {}
    for power in (0.0, 4.0):
        model = MODELS.build(
            dict(cfg.model, type='ConfidenceWeightedFixMatch',
                 semi_train_cfg=dict(conf_power=power))).train()
        model.load_state_dict(fixmatch.state_dict())
        losses[power] = unsup_loss(model, batch)
    expected = unsup_loss(fixmatch, batch)
    assert torch.isfinite(losses[0.0]) and losses[0.0] > 0
    torch.testing.assert_close(losses[0.0], expected)
    # confidences are below 1, so weighting by them lowers the loss
    assert losses[4.0] < losses[0.0]
    losses[4.0].backward()
    assert any(p.grad is not None and p.grad.abs().sum() > 0
               for p in model.student.parameters())


def test_an_unknown_strategy_key_is_one_line(strategy):
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    from mmseg.registry import MODELS
    from sar_mm.utils import UserInputError
    init_default_scope('mmseg')
    cfg = Config.fromfile(TINY_SEMI)
    # the page's key joins the valid ones the error lists
    with pytest.raises(UserInputError, match="'conf_power'"):
        MODELS.build(
            dict(cfg.model, type='ConfidenceWeightedFixMatch',
                 semi_train_cfg=dict(conf_pwr=2)))
