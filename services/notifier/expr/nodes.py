"""The syntax tree of a condition. Nodes are immutable; the evaluator walks them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Scalar = str | int | float | bool
CompareOp = Literal["==", "!=", "<", "<=", ">", ">=", "in", "not in"]
Method = Literal["contains", "startswith", "endswith"]
METHODS: frozenset[str] = frozenset({"contains", "startswith", "endswith"})


@dataclass(frozen=True, slots=True)
class Const:
    value: Scalar


@dataclass(frozen=True, slots=True)
class ListOf:
    items: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Path:
    """An identifier and its dotted keys: ``error.environment`` is ``("error", "environment")``."""

    parts: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Call:
    target: Node
    method: Method
    argument: Node


@dataclass(frozen=True, slots=True)
class Compare:
    op: CompareOp
    left: Node
    right: Node


@dataclass(frozen=True, slots=True)
class Not:
    operand: Node


@dataclass(frozen=True, slots=True)
class BoolOp:
    """``and`` / ``or`` over two or more operands (flattened, so long chains stay shallow)."""

    op: Literal["and", "or"]
    operands: tuple[Node, ...]


Node = Const | ListOf | Path | Call | Compare | Not | BoolOp
