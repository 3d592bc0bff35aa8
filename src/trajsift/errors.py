"""One error tree. Library code raises these; the CLI formats them."""


class TrajsiftError(Exception):
    """Root of every error trajsift raises on purpose."""


class InputError(TrajsiftError):
    """An input path or archive cannot be used (missing, unreadable, unsupported, over a size limit)."""


class FormatError(TrajsiftError):
    """A record is not in the shape a reader expects. Carries a reason code."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


class ConfigError(TrajsiftError):
    """A recipe, override or option is invalid."""


class PipelineError(TrajsiftError):
    """A run cannot proceed (bad output dir, inconsistent resume state, ...)."""


class UnavailableError(TrajsiftError):
    """Something this machine lacks: an optional extra, a sandbox backend, a task's environment."""
