from typing import List, Sequence

from mmengine.dataset import ConcatDataset
from mmengine.dist import get_world_size
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmengine.runner import EpochBasedTrainLoop
from mmpretrain.registry import HOOKS

from ...models.losses import GHLoss
from ...utils.errors import UserInputError


@HOOKS.register_module()
class GHScheduleHook(Hook):
    """The epoch schedule of Geometric Harmonization.

    Zhou et al., NeurIPS 2023 (https://arxiv.org/abs/2310.17622); the
    schedule of ``train_cifar.py`` of
    github.com/MediaBrain-SJTU/Geometric-Harmonization. For every
    :class:`~sar_mm.models.losses.GHLoss` of the model, with 0-based
    epoch ``e``:

    - ``ramp``: 0 for ``e < warmup_epochs`` (plain self-supervised
      learning), then ``min(1, (e + 1 - warmup_epochs) / ramp_epochs)``: the
      first GH epoch already has weight ``1 / ramp_epochs``.
    - ``ema_decay`` of the per-sample table: ``ema_decay[0]`` during the
      warm-up, ``ema_decay[1]`` after it.
    - After every epoch the tables of the DDP ranks are merged; after epoch
      ``e`` with ``e + 1 >= warmup_epochs`` and
      ``(e + 1 - warmup_epochs) % refresh_interval == 0`` (the end of the
      warm-up, then every ``refresh_interval`` epochs) the prior is
      re-estimated from the table.

    Before training it sizes every table to the training set. Everything
    it sets is a function of the epoch or lives in the loss's state dict,
    so a resumed run continues exactly. It runs before the checkpoint hook,
    so saved tables are merged and saved priors current.

    Args:
        warmup_epochs (int): Epochs of plain self-supervised learning (500
            of 1000 on CIFAR-100-LT, 400 of 500 on ImageNet-LT).
        ramp_epochs (int): Epochs of the linear ramp of the GH weight (10 on
            CIFAR, 30 on ImageNet). 0 switches GH on at full weight.
            Defaults to 10.
        refresh_interval (int): Epochs between prior refreshes after the
            warm-up. Defaults to 20.
        ema_decay (Sequence[float]): Decay of the per-sample running
            predictions during and after the warm-up.
            Defaults to (0.9, 0.999).
    """

    priority = 'NORMAL'

    def __init__(self,
                 warmup_epochs: int,
                 ramp_epochs: int = 10,
                 refresh_interval: int = 20,
                 ema_decay: Sequence[float] = (0.9, 0.999)):
        if warmup_epochs < 0 or ramp_epochs < 0:
            raise UserInputError(
                f'GHScheduleHook: warmup_epochs ({warmup_epochs}) and '
                f'ramp_epochs ({ramp_epochs}) must be >= 0')
        if refresh_interval < 1:
            raise UserInputError(f'GHScheduleHook.refresh_interval must be '
                                 f'>= 1, got {refresh_interval}')
        if len(ema_decay) != 2 or not all(0 <= d < 1 for d in ema_decay):
            raise UserInputError(
                f'GHScheduleHook.ema_decay must be two values in [0, 1) '
                f'(during and after the warm-up), got {ema_decay}')
        self.warmup_epochs = warmup_epochs
        self.ramp_epochs = ramp_epochs
        self.refresh_interval = refresh_interval
        self.ema_decay = tuple(ema_decay)

    def ramp(self, epoch: int) -> float:
        """GH weight factor during 0-based ``epoch``."""
        if epoch < self.warmup_epochs:
            return 0.0
        if self.ramp_epochs == 0:
            return 1.0
        return min(1.0, (epoch + 1 - self.warmup_epochs) / self.ramp_epochs)

    def decay(self, epoch: int) -> float:
        """Decay of the running predictions during 0-based ``epoch``."""
        return self.ema_decay[int(epoch >= self.warmup_epochs)]

    def refreshes_after(self, epoch: int) -> bool:
        """Whether the prior is re-estimated after 0-based ``epoch``."""
        done = epoch + 1 - self.warmup_epochs
        return done >= 0 and done % self.refresh_interval == 0

    @staticmethod
    def _gh_losses(runner) -> List[GHLoss]:
        model = runner.model.module if is_model_wrapper(
            runner.model) else runner.model
        losses = [m for m in model.modules() if isinstance(m, GHLoss)]
        if not losses:
            raise UserInputError(
                'GHScheduleHook is in custom_hooks but the model has no '
                "GHLoss: use a GH model (e.g. type='GHSimCLR' with "
                'gh_loss=dict(...)) or remove the hook')
        return losses

    def before_run(self, runner) -> None:
        if not isinstance(runner.train_loop, EpochBasedTrainLoop):
            raise UserInputError(
                'GHScheduleHook schedules by epoch: use '
                "train_cfg=dict(type='EpochBasedTrainLoop', ...)")
        if get_world_size() > 1 and getattr(runner.model,
                                            'broadcast_buffers', False):
            raise UserInputError(
                'GH merges the per-sample tables of the DDP ranks once per '
                'epoch, which broadcast_buffers=True would overwrite every '
                'step: set model_wrapper_cfg=dict(broadcast_buffers=False) '
                "(mmengine's default)")
        dataset = runner.train_dataloader.dataset
        # Wrappers such as RepeatDataset pass their inner indices through;
        # ConcatDataset restarts them in every part, so rows would collide.
        while not isinstance(dataset, ConcatDataset) and hasattr(
                dataset, 'dataset'):
            dataset = dataset.dataset
        if isinstance(dataset, ConcatDataset):
            raise UserInputError(
                'Geometric Harmonization indexes its per-sample table by '
                'sample_idx, which ConcatDataset repeats across its parts; '
                'train on one dataset (merge the annotation files instead)')
        for loss in self._gh_losses(runner):
            if loss.num_samples != len(dataset):
                loss.resize_table(len(dataset))

    def before_train_epoch(self, runner) -> None:
        for loss in self._gh_losses(runner):
            loss.ramp = self.ramp(runner.epoch)
            loss.ema_decay = self.decay(runner.epoch)

    def after_train_epoch(self, runner) -> None:
        refresh = self.refreshes_after(runner.epoch)
        for loss in self._gh_losses(runner):
            loss.sync_table()
            if refresh:
                loss.refresh_prior()
        if refresh:
            prior = loss.prior
            runner.logger.info(
                f'GH prior refreshed after epoch {runner.epoch + 1}: '
                f'{int((prior > 0).sum())}/{prior.numel()} surrogate classes '
                f'in use, max {prior.max():.4f}, min {prior.min():.4f}')
