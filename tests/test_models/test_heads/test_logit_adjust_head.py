import math

import pytest
import torch

from sar_mm.models.heads import LogitAdjustLinearClsHead
from sar_mm.utils import UserInputError


def head_with_identity_fc(**kwargs):
    head = LogitAdjustLinearClsHead(num_classes=2, in_channels=2, **kwargs)
    with torch.no_grad():
        head.fc.weight.copy_(torch.eye(2))
        head.fc.bias.zero_()
    return head


def test_posthoc_adjustment_by_hand():
    """Logits (1, 0.5), counts 9:1: adjusted (1 - log .9, 0.5 - log .1) =
    (1.105, 2.803), so the tail class wins."""
    head = head_with_identity_fc(posthoc_tau=1.0)
    head.set_class_counts([90, 10])
    feats = (torch.tensor([[1.0, 0.5]]), )
    assert torch.equal(head(feats), torch.tensor([[1.0, 0.5]]))  # raw
    prediction, = head.predict(feats)
    assert prediction.pred_label.item() == 1
    adjusted = torch.tensor([1 - math.log(0.9), 0.5 - math.log(0.1)])
    assert torch.allclose(prediction.pred_score, adjusted.softmax(0))
    plain, = head_with_identity_fc(posthoc_tau=0.).predict(feats)
    assert plain.pred_label.item() == 0


def test_counts_come_back_with_the_checkpoint():
    head = head_with_identity_fc()
    head.set_class_counts([90, 10])
    fresh = head_with_identity_fc()
    fresh.load_state_dict(head.state_dict())
    assert fresh.class_counts.tolist() == [90, 10]
    with pytest.raises(UserInputError, match='has no class counts'):
        head_with_identity_fc().predict((torch.randn(1, 2), ))
