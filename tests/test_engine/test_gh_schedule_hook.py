import pytest
import torch
from mmengine.hooks import Hook
from mmengine.runner import Runner

from sar_mm.engine.hooks import GHScheduleHook
from sar_mm.utils import UserInputError
from tests.test_models.test_selfsup.test_gh_simclr import simclr_cfg

pytestmark = pytest.mark.usefixtures('mmpretrain_scope')


def test_schedule_by_hand():
    hook = GHScheduleHook(
        warmup_epochs=3, ramp_epochs=4, refresh_interval=2,
        ema_decay=(0.5, 0.99))
    epochs = range(10)
    assert [hook.ramp(e) for e in epochs] == [
        0, 0, 0, 0.25, 0.5, 0.75, 1, 1, 1, 1
    ]
    assert [hook.decay(e) for e in epochs] == [0.5] * 3 + [0.99] * 7
    # after the last warm-up epoch (2), then every 2 epochs
    assert [e for e in epochs if hook.refreshes_after(e)] == [2, 4, 6, 8]


def test_no_ramp_and_no_warmup():
    hook = GHScheduleHook(warmup_epochs=0, ramp_epochs=0, refresh_interval=3)
    assert [hook.ramp(e) for e in range(3)] == [1, 1, 1]
    assert [e for e in range(7) if hook.refreshes_after(e)] == [2, 5]


@pytest.mark.parametrize('kwargs', [
    dict(warmup_epochs=-1),
    dict(warmup_epochs=1, refresh_interval=0),
    dict(warmup_epochs=1, ema_decay=(0.9, 1.0)),
])
def test_bad_arguments(kwargs):
    with pytest.raises(UserInputError):
        GHScheduleHook(**kwargs)


class RecordGH(Hook):
    """Records what the GH loss runs with in every epoch."""
    priority = 'LOW'  # after GHScheduleHook

    def __init__(self):
        self.ramps, self.decays, self.gh_losses = [], [], []

    def before_train_epoch(self, runner):
        loss = runner.model.gh_loss
        self.ramps.append(loss.ramp)
        self.decays.append(loss.ema_decay)
        self.gh_losses.append([])

    def after_train_iter(self, runner, batch_idx, data_batch, outputs):
        self.gh_losses[-1].append(outputs['loss_gh'].item())


def tiny_runner(work_dir, max_epochs, resume=False, hooks=(), gh=True,
                pack=None, wrap=None):
    gh_loss = dict(type='GHLoss', num_classes=4, feat_dim=8)
    model = simclr_cfg(
        data_preprocessor=dict(
            type='SelfSupDataPreprocessor', mean=[78.] * 3, std=[83.] * 3),
        **(dict(gh_loss=gh_loss) if gh else {}))
    # two identical views: no augmentation randomness, so a resumed run
    # sees exactly the batches of a straight one
    pipeline = [
        dict(type='MultiView', num_views=2, transforms=[[]]),
        pack or dict(type='PackInputs')
    ]
    dataset = dict(type='LTDigits', n_max=20, img_size=8, pipeline=pipeline)
    if wrap is not None:
        dataset = wrap(dataset)
    return Runner(
        model=model,
        work_dir=str(work_dir),
        train_dataloader=dict(
            batch_size=16,
            num_workers=0,
            sampler=dict(type='DefaultSampler', shuffle=True),
            collate_fn=dict(type='default_collate'),
            dataset=dataset),
        optim_wrapper=dict(
            optimizer=dict(type='SGD', lr=0.1, momentum=0.9)),
        train_cfg=dict(by_epoch=True, max_epochs=max_epochs),
        default_hooks=dict(
            checkpoint=dict(type='CheckpointHook', interval=1),
            logger=dict(type='LoggerHook', interval=100)),
        custom_hooks=[
            dict(
                type='GHScheduleHook',
                warmup_epochs=1,
                ramp_epochs=2,
                refresh_interval=1)
        ] + list(hooks),
        randomness=dict(seed=0),
        resume=resume,
        default_scope='mmpretrain',
        # unique: mmengine keys its logger and visualizer by this name
        experiment_name=f'{work_dir.parent.name}_{work_dir.name}_'
        f'{max_epochs}')


GH_STATE = ('gh_loss.prior', 'gh_loss.ema_logits', 'gh_loss.ema_seen',
            'gh_loss.etf')


def test_runner_applies_the_schedule_and_resume_restores_the_state(
        tmp_path):
    record = RecordGH()
    straight = tiny_runner(tmp_path / 'straight', 4, hooks=[record])
    straight.train()
    loss = straight.model.gh_loss
    assert loss.num_samples == len(straight.train_dataloader.dataset) == 78
    assert record.ramps == [0, 0.5, 1, 1]
    assert record.decays == [0.9, 0.999, 0.999, 0.999]
    # plain SimCLR during the warm-up, GH after it
    assert all(v == 0 for v in record.gh_losses[0])
    assert all(v > 0 for v in record.gh_losses[1])
    # every sample was visited; the prior was refreshed from the table
    assert loss.ema_seen.all()
    peaks = loss.ema_logits.argmax(1).bincount(minlength=4).float()
    assert torch.equal(loss.prior, peaks / peaks.sum())

    tiny_runner(tmp_path / 'resumed', 2).train()
    resumed = tiny_runner(tmp_path / 'resumed', 4, resume=True)
    resumed.train()
    assert resumed.epoch == 4
    expected = straight.model.state_dict()
    got = resumed.model.state_dict()
    for key in GH_STATE:
        assert torch.equal(got[key], expected[key]), key
    assert resumed.model.gh_loss.ramp == 1
    assert resumed.model.gh_loss.ema_decay == 0.999


def test_checkpoint_carries_the_gh_state(tmp_path):
    runner = tiny_runner(tmp_path, 2)
    runner.train()
    checkpoint = torch.load(
        tmp_path / 'epoch_2.pth', map_location='cpu', weights_only=True)
    for key in GH_STATE:
        assert torch.equal(checkpoint['state_dict'][key],
                           runner.model.state_dict()[key])
    assert checkpoint['state_dict']['gh_loss._extra_state'] == dict(
        ramp=0.5, ema_decay=0.999)


def test_model_without_gh_is_a_clear_error(tmp_path):
    with pytest.raises(UserInputError, match='model has no GHLoss'):
        tiny_runner(tmp_path, 1, gh=False).train()


def test_pipeline_without_sample_indices_is_a_clear_error(tmp_path):
    pack = dict(type='PackInputs', meta_keys=('img_shape', ))
    with pytest.raises(UserInputError, match="'sample_idx'"):
        tiny_runner(tmp_path, 1, pack=pack).train()


def test_table_is_sized_to_the_dataset_inside_wrappers(tmp_path):
    runner = tiny_runner(
        tmp_path, 1,
        wrap=lambda d: dict(type='RepeatDataset', times=3, dataset=d))
    runner.train()
    # 78 images seen three times an epoch: 78 rows, all visited
    assert runner.model.gh_loss.num_samples == 78
    assert runner.model.gh_loss.ema_seen.all()


def test_concat_dataset_is_a_clear_error(tmp_path):
    runner = tiny_runner(
        tmp_path, 1,
        wrap=lambda d: dict(type='ConcatDataset', datasets=[d, d]))
    with pytest.raises(UserInputError, match='ConcatDataset repeats'):
        runner.train()
