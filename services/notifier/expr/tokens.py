"""Tokenizer of the condition language: text in, a list of tokens with 1-based columns out."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from services.notifier.expr.errors import ExpressionError

TokenKind = Literal["number", "percent", "string", "name", "keyword", "op", "end"]

KEYWORDS = frozenset({"and", "or", "not", "in", "true", "false"})
#: Two-character operators first, so ``<=`` is never read as ``<`` then ``=``.
OPERATORS = ("==", "!=", "<=", ">=", "<", ">", "(", ")", "[", "]", ",", ".", "-")
ESCAPES = {"\\": "\\", "'": "'", '"': '"', "n": "\n", "t": "\t"}


@dataclass(frozen=True, slots=True)
class Token:
    kind: TokenKind
    text: str
    column: int
    value: str | int | float | None = None


def _number(source: str, start: int) -> tuple[Token, int]:
    end = start
    while end < len(source) and source[end].isdigit():
        end += 1
    is_float = False
    if end + 1 < len(source) and source[end] == "." and source[end + 1].isdigit():
        is_float = True
        end += 1
        while end < len(source) and source[end].isdigit():
            end += 1
    text = source[start:end]
    value: int | float = float(text) if is_float else int(text)
    if end < len(source) and source[end] == "%":
        return Token("percent", source[start : end + 1], start + 1, value / 100), end + 1
    if end < len(source) and (source[end].isalpha() or source[end] == "_"):
        raise ExpressionError(f"unexpected {source[end]!r} after a number", end + 1)
    return Token("number", text, start + 1, value), end


def _string(source: str, start: int) -> tuple[Token, int]:
    quote = source[start]
    chars: list[str] = []
    index = start + 1
    while index < len(source):
        char = source[index]
        if char == quote:
            return Token("string", source[start : index + 1], start + 1, "".join(chars)), index + 1
        if char == "\\":
            escaped = source[index + 1] if index + 1 < len(source) else ""
            if escaped not in ESCAPES:
                raise ExpressionError(f"unknown escape \\{escaped}", index + 1)
            chars.append(ESCAPES[escaped])
            index += 2
            continue
        chars.append(char)
        index += 1
    raise ExpressionError("unterminated string", start + 1)


def _word(source: str, start: int) -> tuple[Token, int]:
    end = start
    while end < len(source) and (source[end].isalnum() or source[end] == "_"):
        end += 1
    word = source[start:end]
    kind: TokenKind = "keyword" if word in KEYWORDS else "name"
    return Token(kind, word, start + 1, word), end


def tokenize(source: str) -> list[Token]:
    """Split ``source`` into tokens; the last one is always ``end``."""
    tokens: list[Token] = []
    index = 0
    while index < len(source):
        char = source[index]
        if char in " \t\r\n":
            index += 1
        elif char.isascii() and char.isdigit():
            token, index = _number(source, index)
            tokens.append(token)
        elif char in "'\"":
            token, index = _string(source, index)
            tokens.append(token)
        elif char.isascii() and (char.isalpha() or char == "_"):
            token, index = _word(source, index)
            tokens.append(token)
        else:
            operator = next((op for op in OPERATORS if source.startswith(op, index)), None)
            if operator is None:
                raise ExpressionError(f"unexpected character {char!r}", index + 1)
            tokens.append(Token("op", operator, index + 1))
            index += len(operator)
    tokens.append(Token("end", "", len(source) + 1))
    return tokens
