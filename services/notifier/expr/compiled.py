"""A compiled condition: the source text, its tree and its evaluator, and a pydantic type for
config models."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import GetCoreSchemaHandler
from pydantic_core import core_schema

from services.notifier.expr.errors import ExpressionError
from services.notifier.expr.evaluate import Evaluator, evaluator
from services.notifier.expr.nodes import Node
from services.notifier.expr.parser import parse

MAX_LENGTH = 2000


@dataclass(frozen=True, slots=True)
class Expression:
    """A condition compiled once (at load time) and evaluated many times."""

    source: str
    tree: Node = field(repr=False, compare=False)
    run: Evaluator = field(repr=False, compare=False)

    def __call__(self, context: Mapping[str, Any]) -> bool:
        """True only when the condition holds (evaluates to the boolean ``true``); never raises."""
        return self.run(context) is True

    def __str__(self) -> str:
        return self.source

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source_type: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.no_info_plain_validator_function(
            _validate,
            serialization=core_schema.plain_serializer_function_ser_schema(str),
            json_schema_input_schema=core_schema.str_schema(),
        )


def compile_expression(source: str) -> Expression:
    """Compile ``source``; raise :class:`ExpressionError` (with the column) when it is invalid."""
    if len(source) > MAX_LENGTH:
        raise ExpressionError(f"longer than {MAX_LENGTH} characters", MAX_LENGTH + 1)
    if not source.strip():
        raise ExpressionError("empty expression", 1)
    tree = parse(source)
    return Expression(source, tree, evaluator(tree))


def _validate(value: object) -> Expression:
    if isinstance(value, Expression):
        return value
    if isinstance(value, bool) or not isinstance(value, str):
        raise ValueError("expected a condition written as a string")
    return compile_expression(value)
