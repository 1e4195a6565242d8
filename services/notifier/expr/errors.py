"""The one error of the condition language: a compile-time problem at a column."""

from __future__ import annotations

from shared.errors import AlertorchError


class ExpressionError(AlertorchError, ValueError):
    """``source`` cannot be compiled; ``column`` (1-based) is where the problem was noticed."""

    def __init__(self, message: str, column: int) -> None:
        super().__init__(f"column {column}: {message}")
        self.message = message
        self.column = column
