import inspect
from typing import Optional, Sequence

from mmengine.registry import Registry

from ...utils.errors import UserInputError
from .base import BasePseudoLabeler
from .fixed_threshold import FixedThreshold

# Set by the model that owns the strategy, never by the user.
_FROM_MODEL = ('num_classes', )


def pseudo_labeler_keys(strategy: type) -> list:
    """The keys a user may put in ``pseudo_label=dict(type=...)`` for a
    strategy class."""
    params = set(inspect.signature(strategy).parameters)
    return sorted(params - set(_FROM_MODEL))


def registered_pseudo_labelers(registry: Registry) -> list:
    """Names of the strategies registered in ``registry``."""
    return sorted(
        name for name, cls in registry.module_dict.items()
        if inspect.isclass(cls) and issubclass(cls, BasePseudoLabeler))


def build_pseudo_labeler(cfg: Optional[dict],
                         registry: Registry,
                         *,
                         num_classes: int,
                         owner: str,
                         class_counts: Optional[Sequence[int]] = None
                         ) -> BasePseudoLabeler:
    """Build the pseudo-labelling strategy of a semi-supervised model from
    the user's ``pseudo_label=dict(type=...)``.

    Every semi-supervised model goes through here, so they accept the same
    keys and refuse bad ones with the same one-line
    :class:`UserInputError`. Same pattern as
    :func:`~sar_mm.models.sar.build_sar`.

    Args:
        cfg (dict, optional): The user's setting; ``None`` gives
            :class:`FixedThreshold` with its defaults (FixMatch's 0.95).
        registry (Registry): The model's ``MODELS`` (mmseg or mmpretrain),
            where ``type`` is looked up.
        num_classes (int): Classes of the model.
        owner (str): What is being built, for the messages, e.g.
            ``'FixMatchSegmentor'``.
        class_counts (Sequence[int], optional): Labelled examples per class
            known to the caller, given to strategies that take
            ``class_counts`` when the user set none.
    """
    if cfg is None:
        cfg = dict(type=FixedThreshold.__name__)
    if not isinstance(cfg, dict):
        raise UserInputError(
            f"pseudo_label of {owner} must be a dict such as "
            f"pseudo_label=dict(type='FixedThreshold'), got "
            f"{type(cfg).__name__} {cfg!r}")
    cfg = dict(cfg)
    strategy_type = cfg.pop('type', FixedThreshold.__name__)
    strategy = registry.get(strategy_type) if isinstance(
        strategy_type, str) else strategy_type
    if not (inspect.isclass(strategy)
            and issubclass(strategy, BasePseudoLabeler)):
        raise UserInputError(
            f'unknown pseudo_label type {strategy_type!r} of {owner}; '
            f'strategies registered in {registry.scope}: '
            f'{registered_pseudo_labelers(registry)}')
    name = strategy.__name__
    from_model = sorted(set(cfg) & set(_FROM_MODEL))
    if from_model:
        raise UserInputError(
            f'pseudo_label.{from_model[0]} of {owner} is set by the model; '
            f"remove it from pseudo_label=dict(type='{name}', ...)")
    valid = pseudo_labeler_keys(strategy)
    unknown = sorted(set(cfg) - set(valid))
    if unknown:
        raise UserInputError(
            f"unknown key(s) {unknown} in pseudo_label=dict(type='{name}') "
            f'of {owner}; valid keys: {valid}')
    if class_counts is not None and 'class_counts' in valid:
        cfg.setdefault('class_counts', class_counts)
    try:
        return strategy(num_classes=num_classes, **cfg)
    except (TypeError, ValueError) as err:
        raise UserInputError(
            f"bad pseudo_label=dict(type='{name}') of {owner}: {err}") \
            from None
