"""Error types raised at seqlab's boundaries (config, data, checkpoints, training).

Each is also a ``ValueError`` or ``RuntimeError`` so callers that catch the standard
types keep working; the CLI turns every ``SeqlabError`` into a one-line message.
"""

from __future__ import annotations


class SeqlabError(Exception):
    """Base class of every error seqlab raises on purpose."""


class ConfigError(SeqlabError, ValueError):
    """A configuration value or key is invalid."""


class DataError(SeqlabError, ValueError):
    """Input data has the wrong shape, type or content."""


class CheckpointError(SeqlabError, ValueError):
    """A checkpoint is missing, corrupt, incompatible or does not match its config."""


class TrainingDiverged(SeqlabError, RuntimeError):
    """The training loss became NaN or infinite."""
