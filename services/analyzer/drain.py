"""Drain, with changes to how it compares a message with a template.

1. **Constant words keep messages apart.** Where a template and a message have two different
   capitalised or upper-case words at one position (``VM Started`` / ``VM Paused``,
   ``User … not found`` / ``Order … not found``, ``state NEW`` / ``state RUNNING``,
   ``DEADLINE_EXCEEDED`` / ``RESOURCE_EXHAUSTED``, hostapd's ``AP-STA-CONNECTED`` /
   ``AP-STA-DISCONNECTED``, ``… proxy HTTPS`` / ``… proxy SOCKS``, an exception's class:
   ``NewConnectionError:`` / ``ReadTimeoutError:``), they
   are two shapes, however similar the rest: such words name states, outcomes, protocols and
   entities, not values. So do two lower-case words of six letters or more that read as an
   action or its outcome, ending in ``ed`` or ``ion`` (``Instance spawned`` / ``Instance
   destroyed``, ``… initialization`` / ``… finalization``), and two names in camel case, which
   are the code's own (``brightnessIn`` / ``brightnessOut``). A constant word against a masked
   value or a name in Pascal case is two shapes too: a position that holds values or names
   holds no named constant (``… proxy HTTPS`` / ``… proxy <id>`` from ``SOCKS5``,
   ``… by client SPP.`` / ``… by client WindowsUpdateAgent.``). Names in Pascal case may vary
   among themselves (an API's operations: ``calling the PutObject operation`` /
   ``… GetObject …``), and so may HTTP methods
   (``I/O error on GET request`` / ``… on POST request``, ``CONNECT <host>`` / ``<method>
   <url>``): a request's method is a value.
2. **Dotted names and masked values route like numbers.** In the prefix tree a token with a
   digit goes down the wildcard branch, so values at the start of a message do not split its
   shape; so does a dotted name (``com.apple.cts.heartbeat: …``, ``org.example.Foo …``) and a
   token holding a masked value (``(<ip>)``, ``[<num>/<num>]``), whose
   similarity with the rest of the template still decides.
3. **Values are alike.** Two masked values of different kinds at one position (``<str>`` and
   ``<num>``: ``KeyError: 'sku'`` / ``KeyError: 4412``) count as the same token.
4. **Lower-case words are constants too.** Where a template and a message hold two different
   lower-case words (of two letters or more) at one position, they are two shapes from the
   first message on (``Link up`` / ``Link down``,
   ``canceling statement due to statement timeout`` / ``… lock timeout``,
   ``Connection closed by invalid user`` / ``… by authenticating user``, ``closing because:
   client close request`` / ``… client unexpected eof``): such words name reasons, entities and
   outcomes far more often than they carry values, and a program's bare lower-case values are
   masked before mining where a phrase names them (``for user <*>``, ``queue <*> is full``), as
   the fingerprint takes them. A template that holds ``<*>`` at a place keeps it: a word there
   is a value.
5. **A message of the template's words is its shape.** A message's shape writes every value as
   ``<*>``, so a message with the template's words, and values where the template has
   ``<*>``, is that shape whatever share of it is values (``bench <*> worker <*> failed <*>``).
   Otherwise the similarity is Drain's, a value against ``<*>`` counting as a parameter: a
   message of few words and many values joins a template only when its words are the same.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from drain3.drain import Drain as _Drain3

from services.analyzer.pattern_ids import PUNCTUATION, lower_case_word
from shared.fingerprint import EXCEPTION_SUFFIX, HTTP_METHODS, MASKED_VALUE

_CONSTANT = re.compile(
    r"[A-Z][a-z]+|[A-Z][A-Z_]+(?:-[A-Z_]+)*|[a-z]{4,}(?:ed|ion)|[a-z]+[A-Z][A-Za-z]*"
)
_DOTTED = re.compile(r"[A-Za-z_][\w-]*(?:\.[A-Za-z_][\w-]*){2,}:?")
_PASCAL = re.compile(r"[A-Z][a-z]+[A-Z][A-Za-z]*")
_EXCEPTION = re.compile(r"[A-Z]\w*" + EXCEPTION_SUFFIX)
_METHODS = frozenset(HTTP_METHODS)
_KINDS_APART = frozenset({"constant", "value", "name"})


def _masked(token: str) -> bool:
    return MASKED_VALUE.fullmatch(token) is not None


def _kind(token: str) -> str:
    """``value`` (masked), ``constant``, ``name`` (Pascal case) or ``""`` (any other word)."""
    if _masked(token):
        return "value"
    bare = token.strip(PUNCTUATION)
    if bare in _METHODS:
        return ""
    if _CONSTANT.fullmatch(bare) or _EXCEPTION.fullmatch(bare):
        return "constant"
    return "name" if _PASCAL.fullmatch(bare) else ""


def _apart(template_token: str, token: str) -> bool:
    """Whether two different words at one position make two shapes: a constant against a
    constant, a masked value or a name."""
    kinds = {_kind(template_token), _kind(token)}
    return "constant" in kinds and kinds <= _KINDS_APART


def _words(template_token: str, token: str) -> bool:
    """Whether two different tokens are both plain lower-case words of two letters or more."""
    return lower_case_word(template_token, letters=2) and lower_case_word(token, letters=2)


class Drain(_Drain3):  # type: ignore[misc]
    def get_seq_distance(
        self, seq1: Sequence[str], seq2: Sequence[str], include_params: bool
    ) -> tuple[float, int]:
        """Drain's similarity of template ``seq1`` and message ``seq2`` (-1: another shape)."""
        if not seq1:
            return 1.0, 0
        similar = params = values = 0
        for template_token, token in zip(seq1, seq2, strict=True):
            if template_token == self.param_str:
                if token == self.param_str:  # a value where the template holds one
                    values += 1
                else:
                    params += 1
            elif template_token == token or (_masked(template_token) and _masked(token)):
                similar += 1
            elif _apart(template_token, token) or _words(template_token, token):
                return -1.0, 0
        if similar + values == len(seq1):  # the same words, values where the template has them
            return 1.0, params
        return (similar + (params if include_params else 0)) / len(seq1), params

    @staticmethod
    def has_numbers(s: str) -> bool:
        return (
            any(char.isdigit() for char in s)
            or _DOTTED.fullmatch(s) is not None
            or MASKED_VALUE.search(s) is not None
        )
