from mmengine.logging import MessageHub

from ...utils.errors import UserInputError


def check_ramp(burn_in_iters, warmup_iters, owner: str) -> None:
    """One line for a burn-in or warm-up length that is not an int >= 0."""
    settings = dict(burn_in_iters=burn_in_iters, warmup_iters=warmup_iters)
    for name, value in settings.items():
        if not isinstance(value, int) or isinstance(value, bool) or \
                value < 0:
            raise UserInputError(
                f'{name} of {owner} must be an int >= 0 (iterations), got '
                f'{value!r}')


def unsup_ramp(burn_in_iters: int, warmup_iters: int) -> float:
    """The factor of the unlabelled losses at the runner's iteration.

    0 for the first ``burn_in_iters`` iterations (supervised only, the
    burn-in of Liu et al., "Unbiased Teacher", ICLR 2021, and of mmdet's
    semi-supervised configs), then rising linearly to 1 over
    ``warmup_iters`` (1 at once when 0). The iteration is the one the
    runner publishes in the message hub before every step: a Python int,
    so no device sync, and exact after ``--resume``; 0 outside a runner.
    """
    done = MessageHub.get_current_instance().get_info('iter', 0) - \
        burn_in_iters
    if done < 0:
        return 0.
    return min(1., (done + 1) / warmup_iters) if warmup_iters else 1.
