from .errors import UserInputError

__all__ = ['UserInputError']
