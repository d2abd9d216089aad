def is_number_in(value, low: float, high: float) -> bool:
    """Whether a user's setting is a real number (not a bool) in
    ``[low, high]``."""
    return isinstance(value, (int, float)) and \
        not isinstance(value, bool) and low <= value <= high


class UserInputError(ValueError):
    """A problem with what the user gave us (config, data, checkpoint).

    The tools print these as one line, without a traceback: the message
    names the problem and the fix.
    """


class MissingCompiledOpError(UserInputError, ModuleNotFoundError):
    """An mmcv op that needs the compiled ``mmcv._ext``, imported, built or
    called with mmcv-lite. A ``ModuleNotFoundError``, as ``from mmcv.ops
    import X`` raises with mmcv-lite alone, so that upstream's guarded
    imports (``except ModuleNotFoundError``) fall back as without mmcv."""


class MissingCompiledOpAttributeError(UserInputError, AttributeError):
    """The same op looked up as an attribute (``mmcv.ops.nms``,
    ``hasattr``). An ``AttributeError``, as on a module that lacks the
    name, so that probes (``hasattr``, ``getattr`` with a default,
    ``mock.create_autospec``) answer instead of raising."""
