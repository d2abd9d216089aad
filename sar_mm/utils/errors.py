class UserInputError(ValueError):
    """A problem with what the user gave us (config, data, checkpoint).

    The tools print these as one line, without a traceback: the message
    names the problem and the fix.
    """
