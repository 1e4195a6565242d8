"""Evaluation of a condition tree against a context of plain values.

A tree is turned once into a chain of closures (:func:`evaluator`), so evaluating a condition
many times walks no tree and dispatches on no node type: a rule set's conditions are evaluated
for every new problem.

Evaluation never raises. A name or key the context does not have is :data:`MISSING` (and so is
``None``); any comparison involving :data:`MISSING`, or values of types that cannot be compared
(``'a' < 1``), is false, including ``!=``. ``and``, ``or`` and ``not`` count only the boolean
``true`` as true. The string methods compare case-insensitively.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from enum import Enum
from typing import Any, Final

from services.notifier.expr import nodes


class _Missing(Enum):
    MISSING = "missing"

    def __repr__(self) -> str:
        return "MISSING"


#: The value of an unknown name or key.
MISSING: Final = _Missing.MISSING

Context = Mapping[str, Any]
#: A compiled node: its value in a context.
Evaluator = Callable[[Context], object]

_ORDER: Final[dict[str, Callable[[Any, Any], Any]]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


def _lookup(context: Context, parts: tuple[str, ...]) -> object:
    value: object = context
    for part in parts:
        # A plain dict is checked by type first: isinstance against the Mapping ABC is slow.
        if not (type(value) is dict or isinstance(value, Mapping)) or part not in value:
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


def _ordered(compare: Callable[[Any, Any], Any], left: object, right: object) -> bool:
    if (isinstance(left, str) and isinstance(right, str)) or (
        _is_number(left) and _is_number(right)
    ):
        return bool(compare(left, right))
    return False


def _kind(value: nodes.Scalar) -> Callable[[object], bool]:
    """What a value must be to compare with the constant ``value``: a string, a boolean or a
    number (not a boolean)."""
    if isinstance(value, str):
        return lambda other: isinstance(other, str)
    if isinstance(value, bool):
        return lambda other: isinstance(other, bool)
    return _is_number


def _against_constant(op: nodes.CompareOp, left: Evaluator, constant: nodes.Scalar) -> Evaluator:
    """``left <op> constant`` for ``==``, ``!=`` and the orderings: the constant's kind is known,
    so only the left value's is checked (same results as the general comparison)."""
    same_kind = _kind(constant)
    compare: Callable[[Any, Any], Any] = (
        operator.eq if op == "==" else operator.ne if op == "!=" else _ORDER[op]
    )
    if op not in ("==", "!=") and isinstance(constant, bool):
        return lambda context: False

    def against(context: Context) -> bool:
        value = left(context)
        return same_kind(value) and bool(compare(value, constant))

    return against


def _path(parts: tuple[str, ...]) -> Evaluator:
    if len(parts) == 1:
        (name,) = parts

        def one(context: Context) -> object:
            value = context.get(name)
            return MISSING if value is None else value

        return one
    return lambda context: _lookup(context, parts)


def _compare(node: nodes.Compare) -> Evaluator:
    left, right = evaluator(node.left), evaluator(node.right)
    op = node.op
    if isinstance(node.right, nodes.Const) and op not in ("in", "not in"):
        return _against_constant(op, left, node.right.value)
    if op in ("==", "!="):
        wanted = op == "=="

        def equality(context: Context) -> bool:
            equal = _equal(left(context), right(context))
            return equal is not None and equal == wanted

        return equality
    if op in ("in", "not in"):
        inside = op == "in"

        def membership(context: Context) -> bool:
            value, items = left(context), right(context)
            if value is MISSING or not isinstance(items, list | tuple):
                return False
            return any(_equal(value, item) is True for item in items) == inside

        return membership
    compare = _ORDER[op]
    return lambda context: _ordered(compare, left(context), right(context))


def _call(node: nodes.Call) -> Evaluator:
    target, argument = evaluator(node.target), evaluator(node.argument)
    method = node.method

    def call(context: Context) -> bool:
        whole, part = target(context), argument(context)
        if method == "contains" and isinstance(whole, list | tuple):
            return any(_equal(item, part) is True for item in whole)
        if not isinstance(whole, str) or not isinstance(part, str):
            return False
        text, piece = whole.casefold(), part.casefold()
        if method == "contains":
            return piece in text
        if method == "startswith":
            return text.startswith(piece)
        return text.endswith(piece)

    return call


def _bool_op(node: nodes.BoolOp) -> Evaluator:
    operands = tuple(evaluator(operand) for operand in node.operands)
    if len(operands) == 2:
        first, second = operands
        if node.op == "and":
            return lambda context: first(context) is True and second(context) is True
        return lambda context: first(context) is True or second(context) is True
    if node.op == "and":
        return lambda context: all(operand(context) is True for operand in operands)
    return lambda context: any(operand(context) is True for operand in operands)


def evaluator(node: nodes.Node) -> Evaluator:
    """Compile ``node`` into a function of the context giving its value: a plain value, a
    list, a mapping or :data:`MISSING`."""
    if isinstance(node, nodes.Const):
        value = node.value
        return lambda context: value
    if isinstance(node, nodes.Path):
        return _path(node.parts)
    if isinstance(node, nodes.ListOf):
        items = tuple(evaluator(item) for item in node.items)
        return lambda context: [item(context) for item in items]
    if isinstance(node, nodes.Compare):
        return _compare(node)
    if isinstance(node, nodes.Call):
        return _call(node)
    if isinstance(node, nodes.Not):
        operand = evaluator(node.operand)
        return lambda context: operand(context) is not True
    return _bool_op(node)


def value_of(node: nodes.Node, context: Context) -> object:
    """The value of ``node`` in ``context`` (compiles it first: for a single evaluation)."""
    return evaluator(node)(context)
