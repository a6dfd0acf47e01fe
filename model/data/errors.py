"""The one error type every dataset loader raises for bad input."""


class DatasetError(ValueError):
    """A dataset cannot be used as given; the message names the file (and line) and the problem."""
