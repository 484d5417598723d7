"""The kernel's exceptions: every bad input ends in one of these, naming the place.

A place is what a user can act on: the file, the key path inside it (``indicators.x.formula``),
the line where the parser or a search of the text gives it, the school or township. The message
says what is wrong and, where there is one, what to do.
"""

from __future__ import annotations


class KernelError(Exception):
    """Base of every error the kernel raises on purpose (bad input, bad standard, bad plugin)."""

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        path: str | None = None,
        line: int | None = None,
        hint: str | None = None,
    ) -> None:
        self.message = message
        self.file = file
        self.path = path
        self.line = line
        self.hint = hint
        super().__init__(self.render())

    def render(self) -> str:
        where = []
        if self.file:
            where.append(self.file + (f":{self.line}" if self.line else ""))
        elif self.line:
            where.append(f"line {self.line}")
        if self.path:
            where.append(self.path)
        text = (": ".join(where) + ": " if where else "") + self.message
        if self.hint:
            text += f" ({self.hint})"
        return text

    def located(self, *, file: str | None = None, line: int | None = None) -> "KernelError":
        """Fill in the file (and line) when the caller knows them and the raiser did not."""
        if file and not self.file:
            self.file = file
        if line and not self.line:
            self.line = line
        self.args = (self.render(),)
        return self

    def to_dict(self) -> dict[str, object]:
        data: dict[str, object] = {"error": type(self).__name__, "message": self.message}
        for key in ("file", "path", "line", "hint"):
            value = getattr(self, key)
            if value is not None:
                data[key] = value
        return data

    def __str__(self) -> str:
        return self.render()


class NumberError(KernelError):
    """A value that is not an exact, finite number where one is required."""


class EvaluationError(KernelError):
    """Evaluation could not finish: division by zero, a type mismatch inside a formula."""


class StandardError(KernelError):
    """A standard file that does not load: syntax, unknown key, undefined name, cycle."""


class ExpressionError(StandardError):
    """A formula that does not parse, or uses something outside the whitelist (a standard error)."""


class SubmissionError(KernelError):
    """A county submission that does not validate: unknown field, negative count, duplicate id."""


class PluginError(KernelError):
    """A plugin that fails to import, raises, or clashes with another plugin."""


class StandardNotFound(KernelError):
    """No standard with that id, or no edition in force on the date asked for."""
