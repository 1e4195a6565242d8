"""Recursive-descent parser of the condition language, with a nesting limit.

Grammar (lowest precedence first)::

    or_expr    := and_expr ("or" and_expr)*
    and_expr   := not_expr ("and" not_expr)*
    not_expr   := "not" not_expr | comparison
    comparison := postfix [("==" | "!=" | "<" | "<=" | ">" | ">=" | "in" | "not" "in") postfix]
    postfix    := primary ["." method "(" or_expr ")"]
    primary    := number | percent | string | "true" | "false" | "-" number
                | name ("." name)* | "(" or_expr ")" | "[" [or_expr ("," or_expr)* [","]] "]"
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal, cast

from services.notifier.expr.errors import ExpressionError
from services.notifier.expr.nodes import (
    METHODS,
    BoolOp,
    Call,
    Compare,
    CompareOp,
    Const,
    ListOf,
    Method,
    Node,
    Not,
    Path,
)
from services.notifier.expr.tokens import Token, tokenize

MAX_DEPTH = 32
COMPARISONS = frozenset({"==", "!=", "<", "<=", ">", ">="})


class Parser:
    def __init__(self, source: str) -> None:
        self.tokens = tokenize(source)
        self.position = 0
        self.depth = 0

    @property
    def current(self) -> Token:
        return self.tokens[self.position]

    def advance(self) -> Token:
        token = self.tokens[self.position]
        if token.kind != "end":
            self.position += 1
        return token

    def at(self, kind: str, text: str | None = None) -> bool:
        token = self.current
        return token.kind == kind and (text is None or token.text == text)

    def expect(self, kind: str, text: str, what: str) -> Token:
        if not self.at(kind, text):
            raise self.unexpected(what)
        return self.advance()

    def unexpected(self, wanted: str) -> ExpressionError:
        token = self.current
        found = "the end of the expression" if token.kind == "end" else repr(token.text)
        return ExpressionError(f"expected {wanted}, found {found}", token.column)

    def nest(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ExpressionError(f"nested deeper than {MAX_DEPTH} levels", self.current.column)

    def parse(self) -> Node:
        node = self.or_expr()
        if not self.at("end"):
            raise self.unexpected("an operator or the end of the expression")
        return node

    def or_expr(self) -> Node:
        return self._chain("or", self.and_expr)

    def and_expr(self) -> Node:
        return self._chain("and", self.not_expr)

    def _chain(self, word: Literal["and", "or"], operand: Callable[[], Node]) -> Node:
        first = operand()
        if not self.at("keyword", word):
            return first
        operands = [first]
        while self.at("keyword", word):
            self.advance()
            operands.append(operand())
        return BoolOp(word, tuple(operands))

    def not_expr(self) -> Node:
        if self.at("keyword", "not"):
            self.advance()
            self.nest()
            operand = self.not_expr()
            self.depth -= 1
            return Not(operand)
        return self.comparison()

    def comparison(self) -> Node:
        left = self.postfix()
        op: CompareOp
        token = self.current
        if token.kind == "op" and token.text in COMPARISONS:
            op = cast("CompareOp", token.text)
            self.advance()
        elif self.at("keyword", "in"):
            op = "in"
            self.advance()
        elif self.at("keyword", "not"):
            self.advance()
            self.expect("keyword", "in", "'in' after 'not'")
            op = "not in"
        else:
            return left
        right = self.postfix()
        after = self.current
        if (after.kind == "op" and after.text in COMPARISONS) or self.at("keyword", "in"):
            raise ExpressionError("comparisons cannot be chained; use 'and'", after.column)
        return Compare(op, left, right)

    def postfix(self) -> Node:
        node = self.primary()
        if not self.at("op", "."):
            return node
        self.advance()
        name = self.current
        if name.kind != "name" or name.text not in METHODS:
            raise ExpressionError(
                "expected a method: contains, startswith or endswith", name.column
            )
        self.advance()
        self.expect("op", "(", "'(' after the method name")
        self.nest()
        argument = self.or_expr()
        self.depth -= 1
        self.expect("op", ")", "')' closing the method call")
        if self.at("op", "."):
            raise ExpressionError("a method result has no methods", self.current.column)
        return Call(node, cast("Method", name.text), argument)

    def primary(self) -> Node:
        token = self.current
        if token.kind in ("number", "percent", "string"):
            self.advance()
            assert token.value is not None
            return Const(token.value)
        if token.kind == "keyword" and token.text in ("true", "false"):
            self.advance()
            return Const(token.text == "true")
        if self.at("op", "-"):
            self.advance()
            number = self.current
            if number.kind not in ("number", "percent") or isinstance(number.value, str):
                raise self.unexpected("a number after '-'")
            self.advance()
            assert number.value is not None
            return Const(-number.value)
        if token.kind == "name":
            return self.path()
        if self.at("op", "("):
            self.advance()
            self.nest()
            node = self.or_expr()
            self.depth -= 1
            self.expect("op", ")", "')'")
            return node
        if self.at("op", "["):
            return self.list_literal()
        raise self.unexpected("a value, a name, '(' or '['")

    def path(self) -> Node:
        first = self.advance()
        parts = [first.text]
        while self.at("op", ".") and self.tokens[self.position + 1].kind == "name":
            following = self.tokens[self.position + 1]
            if following.text in METHODS and self.tokens[self.position + 2].text == "(":
                break
            self.advance()
            parts.append(self.advance().text)
        if self.at("op", "("):
            name = ".".join(parts)
            raise ExpressionError(
                f"{name!r} cannot be called; the methods are contains, startswith and endswith",
                first.column,
            )
        return Path(tuple(parts))

    def list_literal(self) -> Node:
        self.advance()
        self.nest()
        items: list[Node] = []
        while not self.at("op", "]"):
            items.append(self.or_expr())
            if not self.at("op", ","):
                break
            self.advance()
        self.expect("op", "]", "',' or ']'")
        self.depth -= 1
        return ListOf(tuple(items))


def parse(source: str) -> Node:
    """Parse ``source`` into a tree; raise :class:`ExpressionError` with the column."""
    return Parser(source).parse()
