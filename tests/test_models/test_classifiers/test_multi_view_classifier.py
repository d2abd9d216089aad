import pytest
import torch
from mmengine.optim import OptimWrapper
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

from sar_mm.utils import UserInputError

MODEL = dict(
    type='MultiViewImageClassifier',
    backbone=dict(type='ResNet32'),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(type='BCLHead', num_classes=4, in_channels=64, feat_channels=8),
    data_preprocessor=dict(mean=[128.] * 3, std=[64.] * 3))


def build():
    model = MODELS.build(MODEL)
    model.head.loss_module.set_class_counts([8, 4, 2, 1])
    return model


def batch(num_views=3, size=32):
    gen = torch.Generator().manual_seed(0)
    views = [
        torch.randint(0, 256, (4, 3, size, size), generator=gen,
                      dtype=torch.uint8) for _ in range(num_views)
    ]
    samples = [DataSample().set_gt_label(y) for y in (0, 1, 2, 3)]
    return dict(inputs=views, data_samples=samples)


def test_backbone_runs_once_on_all_views():
    model = build()
    calls = []
    model.backbone.register_forward_hook(
        lambda module, args, out: calls.append(args[0].shape[0]))
    data = model.data_preprocessor(batch(), training=True)
    losses = model(**data, mode='loss')
    assert calls == [12]
    assert set(losses) == {'loss_cls', 'loss_contrast'}
    assert all(torch.isfinite(v) for v in losses.values())


def test_predicts_from_one_view():
    model = build().eval()
    data = model.data_preprocessor(
        dict(inputs=batch()['inputs'][0], data_samples=None))
    predictions = model(**data, mode='predict')
    assert len(predictions) == 4
    assert predictions[0].pred_score.shape == (4, )
    with pytest.raises(TypeError, match='takes one view per image'):
        model(batch()['inputs'], mode='predict')


def test_classification_preprocessor_settings_apply_to_every_view():
    """A config's usual data_preprocessor (no type, num_classes, mean,
    std) normalises each view."""
    model = MODELS.build(
        dict(
            MODEL,
            data_preprocessor=dict(
                num_classes=4, mean=[128.] * 3, std=[64.] * 3,
                to_rgb=False)))
    assert type(model.data_preprocessor).__name__ == \
        'SelfSupDataPreprocessor'
    views = model.data_preprocessor(batch(), training=True)['inputs']
    assert len(views) == 3
    expected = (batch()['inputs'][1].float() - 128) / 64
    assert torch.allclose(views[1], expected)
    with pytest.raises(TypeError, match='does not support batch augment'):
        MODELS.build(
            dict(
                MODEL,
                data_preprocessor=dict(
                    batch_augments=dict(augments=[dict(type='Mixup')]))))


def test_input_errors():
    model = build()
    with pytest.raises(UserInputError, match='trains on >= 2 views'):
        model(torch.zeros(2, 3, 32, 32), batch()['data_samples'][:2],
              mode='loss')
    views = [torch.zeros(4, 3, 32, 32), torch.zeros(4, 3, 24, 24)]
    with pytest.raises(ValueError, match='same shape'):
        model(views, batch()['data_samples'], mode='loss')
    with pytest.raises(TypeError, match='ClsDataPreprocessor does not'):
        MODELS.build(
            dict(MODEL, data_preprocessor=dict(type='ClsDataPreprocessor')))


@pytest.mark.parametrize('collate,num_views,got', [
    ('default', 1, 'one view per image (a single-view training pipeline)'),
    ('default', 'multiview-1', 'one view per image (MultiView with a single'),
    ('pseudo', 3, 'one entry per image, as the default pseudo_collate'),
    ('pseudo', 1, 'one entry per image, as the default pseudo_collate'),
])
def test_training_batches_of_another_form_say_what_is_needed(
        collate, num_views, got):
    """What a single-view pipeline or the default pseudo_collate hand over
    is refused before the preprocessor reads it, naming both fixes."""
    model = build()
    data = batch(num_views=3)
    if collate == 'pseudo':
        # pseudo_collate: a list with each image's views (or its image)
        per_image = list(zip(*data['inputs']))
        data['inputs'] = [list(views[:num_views]) if num_views > 1 else
                          views[0] for views in per_image]
    elif num_views == 1:
        data['inputs'] = data['inputs'][0]
    else:
        data['inputs'] = data['inputs'][:1]
    optim = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.1))
    with pytest.raises(UserInputError) as err:
        model.train_step(data, optim)
    message = str(err.value)
    assert got in message
    assert 'MultiView transform' in message
    assert "collate_fn=dict(type='default_collate')" in message
    # prediction batches are single-view and not checked
    model.data_preprocessor(
        dict(inputs=batch()['inputs'][0], data_samples=None), False)


def test_bf16_autocast_keeps_the_losses_finite():
    model = build()
    data = model.data_preprocessor(batch(), training=True)
    with torch.autocast('cpu', dtype=torch.bfloat16):
        losses = model(**data, mode='loss')
    assert losses['loss_contrast'].dtype == torch.float32
    assert all(torch.isfinite(v) for v in losses.values())
    sum(losses.values()).backward()
    assert torch.isfinite(model.head.fc.weight.grad).all()
