"""Errors meant for people: each names the file, the field, what was given and what is allowed."""

from __future__ import annotations

GIVEN_SHOWN_CHARS = 200
"""At most this many characters of what was given are shown in a message (a value may be a whole file)."""


class ExitvoiceError(Exception):
    """Base class of the errors a user can cause; the CLI prints them without a traceback (exit code 2)."""

    def __init__(self, message: str, *, file: str | None = None, field: str | None = None,
                 given: object = None, allowed: object = None) -> None:
        self.message = message
        self.file = file
        self.field = field
        self.given = given
        self.allowed = allowed
        super().__init__(self.__str__())

    def __str__(self) -> str:
        parts = []
        if self.file:
            parts.append(str(self.file))
        if self.field:
            parts.append(f"field '{self.field}'")
        head = ": ".join(parts)
        text = f"{head}: {self.message}" if head else self.message
        if self.given is not None:
            given = repr(self.given)
            if len(given) > GIVEN_SHOWN_CHARS:
                given = f"{given[:GIVEN_SHOWN_CHARS]}… ({len(given):,} characters)"
            text += f" (given: {given})"
        if self.allowed is not None:
            text += f"; allowed: {self.allowed}"
        return text


class IncompleteError(ExitvoiceError):
    """Not all the work asked for was done: a worker process was killed or interrupted while the command was not.

    What was done is kept (a calibration's trials in its study, an ensemble's members in its checkpoint) and the
    same command again does the rest. The command line exits with code 1: not a bad input (2), not the user's own
    Ctrl-C of the command (130).
    """

    exit_code = 1


class ScenarioError(ExitvoiceError):
    """A scenario file, a policy or a `--set` override is wrong."""


class ParameterError(ScenarioError):
    """An unknown parameter, or a value outside what the parameter allows."""


class DataError(ExitvoiceError):
    """A country pack or observation file is malformed."""
