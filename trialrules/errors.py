"""
Every error trialrules raises on purpose derives from :class:`TrialRulesError`.

Errors carry data (file, JSON path, plugin) as attributes, not only prose, so the
CLI and integrators can present them as they need.
"""

from __future__ import annotations

from typing import Any

from trialrules.limits import ECHO_CHARS, MESSAGE_CHARS


def clip(text: str, limit: int = ECHO_CHARS) -> str:
    """``text`` cut to ``limit`` characters, saying how much was left out."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… ({len(text) - limit} more characters)"


def shown(value: Any, limit: int = ECHO_CHARS) -> str:
    """An input value as a message echoes it: ``repr``, clipped."""
    if isinstance(value, str) and len(value) > limit:
        value = value[: limit + 1]  # repr of a 2 MB string is not built just to be cut
    return clip(repr(value), limit)


class TrialRulesError(Exception):
    """Base class of every error trialrules raises for a user or plugin mistake."""


class UnitError(TrialRulesError, ValueError):
    """A unit that cannot be parsed, or two units that cannot convert."""


class InputError(TrialRulesError, ValueError):
    """A patient input that cannot be read.

    Attributes:
        file: the input file (or ``-`` for stdin).
        resource: the resource (``Observation/abc``) or record concerned, if any.
        path: JSON path inside the document, if known.
        line: line number (NDJSON), if known.
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        resource: str | None = None,
        path: str | None = None,
        line: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.file = file
        self.resource = resource
        self.path = path
        self.line = line

    def format_message(self) -> str:
        """Return ``FILE[:LINE][:resource]: message [at path]``."""
        where = self.file or "<input>"
        if self.line is not None:
            where += f":{self.line}"
        if self.resource:
            where += f":{clip(self.resource)}"
        text = f"{where}: {clip(self.message, MESSAGE_CHARS)}"
        if self.path:
            text += f" (at {clip(self.path)})"
        return text

    def __str__(self) -> str:
        return self.format_message()


class RuleFileError(TrialRulesError, ValueError):
    """A rule file that fails schema or semantic validation.

    Attributes:
        file: the rule file.
        line, column: 1-based position of the offending node, when known.
        json_path: JSON path of the offending node (``$.rule.all[0]``).
        errors: every problem found (``RuleProblem``), best first.
    """

    def __init__(self, file: str, errors: list[Any]) -> None:
        self.file = file
        self.errors = errors
        first = errors[0] if errors else None
        self.line = getattr(first, "line", None)
        self.column = getattr(first, "column", None)
        self.json_path = getattr(first, "json_path", None)
        super().__init__(self.format_message())

    def format_message(self) -> str:
        return "\n".join(str(e) for e in self.errors) or f"{self.file}: invalid"


class PluginError(TrialRulesError):
    """A plugin that failed to load or registered something invalid.

    Attributes:
        plugin: the plugin (distribution or module) name.
    """

    def __init__(self, message: str, *, plugin: str | None = None) -> None:
        super().__init__(message)
        self.plugin = plugin


class ScreeningDateError(TrialRulesError, ValueError):
    """A screening date (``as_of``) outside ``limits.AS_OF_MIN`` .. ``AS_OF_MAX``."""


class UnknownTrialError(TrialRulesError, LookupError):
    """A trial id that no installed plugin provides."""


#: Appended to a message about an exception trialrules did not expect.
REPORT_HINT = "this is a bug in trialrules or a plugin; please report it with the input that caused it"


def internal_error(exc: BaseException) -> str:
    """One line about an unexpected exception (no traceback), with the hint to report it."""
    return f"internal error ({type(exc).__name__}: {clip(str(exc))}); {REPORT_HINT}"
