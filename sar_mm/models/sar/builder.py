import inspect
from typing import Optional, Sequence, Union

from mmengine.registry import Registry

from ...utils.errors import UserInputError
from .semantic_anchor_loss import SemanticAnchorLoss

# Set by the adapter from the model it wraps, never by the user.
_FROM_MODEL = ('num_classes', 'feat_channels')
# Meaningful only where unlabelled features are pulled.
_SEMI_ONLY = ('unsup_conf_thresh', 'unsup_pull_weight')


def sar_keys() -> list:
    """The keys a user may put in ``sar=dict(...)``."""
    params = set(inspect.signature(SemanticAnchorLoss).parameters)
    return sorted(params - set(_FROM_MODEL))


def build_sar(sar: Optional[dict],
              registry: Registry,
              *,
              num_classes: int,
              feat_channels: int,
              ignore_index: Union[int, Sequence[int]],
              owner: str,
              semi: bool = False) -> SemanticAnchorLoss:
    """Build the SAR core for an adapter, from the user's ``sar=dict(...)``.

    Every adapter (segmentors, classification heads, semi-supervised
    models) goes through here, so they accept the same keys, have the same
    defaults and refuse bad values with the same one-line
    :class:`UserInputError`.

    Args:
        sar (dict, optional): The user's switch; ``None`` or ``dict()``
            gives the reference setting.
        registry (Registry): The adapter's ``MODELS`` (mmseg or mmpretrain),
            where ``sar.type`` is looked up.
        num_classes (int): Classes of the classifier SAR makes anchors for.
        feat_channels (int): Channels of the features that classifier takes.
        ignore_index (int | Sequence[int]): Label values without a class,
            unless the user gives ``sar.ignore_index``.
        owner (str): What is being built, for the messages, e.g.
            ``'SAREncoderDecoder (FCNHead)'``.
        semi (bool): Whether the adapter is semi-supervised; only then may
            the user set the unlabelled pull's settings.
    """
    if sar is None:
        sar = {}
    if not isinstance(sar, dict):
        raise UserInputError(
            f'sar of {owner} must be a dict such as sar=dict(), got '
            f'{type(sar).__name__} {sar!r}')
    sar = dict(sar)
    from_model = sorted(set(sar) & set(_FROM_MODEL))
    if from_model:
        raise UserInputError(
            f'sar.{from_model[0]} of {owner} is not a SAR setting: it comes '
            f'from the classifier SAR wraps (the head\'s num_classes and '
            f'input channels). Remove it from sar=dict(...) and set '
            f'num_classes on the head.')
    semi_only = sorted(set(sar) & set(_SEMI_ONLY))
    if semi_only and not semi:
        raise UserInputError(
            f'sar.{semi_only[0]} of {owner} sets the pull of unlabelled '
            f'features, which only semi-supervised models have '
            f'(FixMatchSegmentor, UniMatchSegmentor, FixMatchClassifier); '
            f'remove it.')
    valid = sar_keys()
    unknown = sorted(set(sar) - set(valid) - {'type'})
    if unknown:
        raise UserInputError(
            f'unknown key(s) {unknown} in sar=dict(...) of {owner}; valid '
            f'keys: {valid}')
    sar_type = sar.pop('type', SemanticAnchorLoss)
    sar_cls = registry.get(sar_type) if isinstance(sar_type, str) \
        else sar_type
    if not (inspect.isclass(sar_cls)
            and issubclass(sar_cls, SemanticAnchorLoss)):
        raise UserInputError(
            f'sar.type of {owner} must name SemanticAnchorLoss or a '
            f'subclass registered in {registry.scope}, got {sar_type!r}')
    sar.setdefault('ignore_index', ignore_index)
    try:
        return sar_cls(
            num_classes=num_classes, feat_channels=feat_channels, **sar)
    except (TypeError, ValueError) as err:
        raise UserInputError(
            f'bad sar=dict(...) of {owner}: {err}') from None
