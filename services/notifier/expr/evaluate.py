"""Evaluation of a condition tree against a context of plain values.

Evaluation never raises. A name or key the context does not have is :data:`MISSING` (and so is
``None``); any comparison involving :data:`MISSING`, or values of types that cannot be compared
(``'a' < 1``), is false, including ``!=``. ``and``, ``or`` and ``not`` count only the boolean
``true`` as true. The string methods compare case-insensitively.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from typing import Any, Final

from services.notifier.expr.nodes import Call, Compare, Const, ListOf, Node, Not, Path


class _Missing(Enum):
    MISSING = "missing"

    def __repr__(self) -> str:
        return "MISSING"


#: The value of an unknown name or key.
MISSING: Final = _Missing.MISSING


def _lookup(context: Mapping[str, Any], parts: tuple[str, ...]) -> object:
    value: object = context
    for part in parts:
        if not isinstance(value, Mapping) or part not in value:
            return MISSING
        value = value[part]
    return MISSING if value is None else value


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _comparable(left: object, right: object) -> bool:
    if _is_number(left) and _is_number(right):
        return True
    if isinstance(left, list | tuple) and isinstance(right, list | tuple):
        return True
    return (isinstance(left, bool) and isinstance(right, bool)) or (
        isinstance(left, str) and isinstance(right, str)
    )


def _equal(left: object, right: object) -> bool | None:
    """True or False when the two can be compared, None when they cannot."""
    if left is MISSING or right is MISSING or not _comparable(left, right):
        return None
    if isinstance(left, list | tuple) and isinstance(right, list | tuple):
        if len(left) != len(right):
            return False
        return all(_equal(a, b) is True for a, b in zip(left, right, strict=True))
    return left == right


def _order(op: str, left: object, right: object) -> bool:
    if isinstance(left, str) and isinstance(right, str):
        pass
    elif not (_is_number(left) and _is_number(right)):
        return False
    a: Any = left
    b: Any = right
    if op == "<":
        return bool(a < b)
    if op == "<=":
        return bool(a <= b)
    if op == ">":
        return bool(a > b)
    return bool(a >= b)


def _compare(node: Compare, context: Mapping[str, Any]) -> bool:
    left = value_of(node.left, context)
    right = value_of(node.right, context)
    if node.op in ("==", "!="):
        equal = _equal(left, right)
        return equal is not None and equal == (node.op == "==")
    if node.op in ("in", "not in"):
        if left is MISSING or not isinstance(right, list | tuple):
            return False
        found = any(_equal(left, item) is True for item in right)
        return found == (node.op == "in")
    return _order(node.op, left, right)


def _call(node: Call, context: Mapping[str, Any]) -> bool:
    target = value_of(node.target, context)
    argument = value_of(node.argument, context)
    if node.method == "contains" and isinstance(target, list | tuple):
        return any(_equal(item, argument) is True for item in target)
    if not isinstance(target, str) or not isinstance(argument, str):
        return False
    text, part = target.casefold(), argument.casefold()
    if node.method == "contains":
        return part in text
    if node.method == "startswith":
        return text.startswith(part)
    return text.endswith(part)


def value_of(node: Node, context: Mapping[str, Any]) -> object:
    """The value of ``node``: a plain value, a list, a mapping or :data:`MISSING`."""
    if isinstance(node, Const):
        return node.value
    if isinstance(node, Path):
        return _lookup(context, node.parts)
    if isinstance(node, ListOf):
        return [value_of(item, context) for item in node.items]
    if isinstance(node, Compare):
        return _compare(node, context)
    if isinstance(node, Call):
        return _call(node, context)
    if isinstance(node, Not):
        return not is_true(node.operand, context)
    if node.op == "and":
        return all(is_true(operand, context) for operand in node.operands)
    return any(is_true(operand, context) for operand in node.operands)


def is_true(node: Node, context: Mapping[str, Any]) -> bool:
    """Whether ``node`` evaluates to the boolean ``true`` (anything else is false)."""
    return value_of(node, context) is True
