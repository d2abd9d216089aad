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
    """An mmcv op that needs the compiled ``mmcv._ext``, used with
    mmcv-lite. An ``ImportError`` too, so that upstream's guarded
    ``try: from mmcv.ops import X`` imports fall back as without mmcv."""
