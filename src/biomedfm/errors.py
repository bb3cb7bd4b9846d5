"""Errors that carry a message meant for the user, not a traceback."""


class BiomedfmError(Exception):
    """Base class for every error biomedfm reports to a user."""


class InputError(BiomedfmError, ValueError):
    """Bad user input: the message names the row/field and says how to fix it."""


class ModelNotFoundError(BiomedfmError, LookupError):
    """A `--model` value that is neither a shipped name nor a model directory."""


class TrainingError(BiomedfmError, RuntimeError):
    """A training run that cannot give a usable model; the message says what to change."""
