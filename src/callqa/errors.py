"""Errors callqa raises on purpose. The CLI turns these into one clean line and a non-zero exit."""


class CallQAError(Exception):
    """Base class: a condition the user can fix, described so they can."""


class InputError(CallQAError):
    """An input file or folder is missing, unreadable or of an unsupported kind."""


class AudioDecodeError(InputError):
    """A file could not be decoded as audio, or holds no usable audio."""


class TranscriptFormatError(InputError):
    """A text or JSON transcript does not follow the expected format."""


class ManifestError(InputError):
    """The manifest CSV is malformed or names calls that cannot be processed."""


class ModelError(CallQAError):
    """A model is missing, unknown, or its weights fail their integrity check."""


class OptionError(CallQAError):
    """An option has a value outside what is allowed."""
