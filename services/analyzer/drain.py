"""Drain, with changes to how it compares a message with a template.

1. **Constant words keep messages apart.** Where a template and a message have two different
   capitalised or upper-case words at one position (``VM Started`` / ``VM Paused``,
   ``User … not found`` / ``Order … not found``, ``state NEW`` / ``state RUNNING``,
   ``DEADLINE_EXCEEDED`` / ``RESOURCE_EXHAUSTED``, ``… proxy HTTPS`` / ``… proxy SOCKS``), they
   are two shapes, however similar the rest: such words name states, outcomes, protocols and
   entities, not values. So do two lower-case words of six letters or more that read as an
   action or its outcome, ending in ``ed`` or ``ion`` (``Instance spawned`` / ``Instance
   destroyed``, ``… initialization`` / ``… finalization``), and two names in camel case, which
   are the code's own (``brightnessIn`` / ``brightnessOut``). A constant word against a masked
   value or a name in Pascal case is two shapes too: a position that holds values or names
   holds no named constant (``… proxy HTTPS`` / ``… proxy <id>`` from ``SOCKS5``,
   ``… by client SPP.`` / ``… by client WindowsUpdateAgent.``). Other lower-case words may vary
   (user, host and queue names), and so may names in Pascal case among themselves (an API's
   operations: ``calling the PutObject operation`` / ``… GetObject …``) and HTTP methods
   (``I/O error on GET request`` / ``… on POST request``, ``CONNECT <host>`` / ``<method>
   <url>``): a request's method is a value.
2. **Dotted names and masked values route like numbers.** In the prefix tree a token with a
   digit goes down the wildcard branch, so values at the start of a message do not split its
   shape; so does a dotted name (``com.apple.cts.heartbeat: …``, ``org.example.Foo …``) and a
   token holding a masked value (``(<ip>)``, ``[<num>/<num>]``), whose
   similarity with the rest of the template still decides.
3. **Values are alike.** Two masked values of different kinds at one position (``<str>`` and
   ``<num>``: ``KeyError: 'sku'`` / ``KeyError: 4412``) count as the same token.
4. **A word two messages agreed on is a constant.** Where a template still holds a lower-case
   word that every message of its cluster had, and the cluster has two messages or more, a
   message with another lower-case word there is another shape (``canceling statement due to
   statement timeout`` twice, then ``… due to lock timeout``; ``Connection closed by invalid
   user`` / ``… by authenticating user``). A word only one message has shown may still be a
   value, so the second message of a shape generalises it as Drain does (``User alice logged
   in`` / ``User bob logged in``), and the template keeps the wildcard from then on.
5. **Two words side by side are a phrase.** Where a message and a template hold different
   lower-case words at two adjacent positions, they are two shapes from the first message on
   (``closing because: client close request`` / ``… client unexpected eof``): a value is one
   word, a reason or an outcome often two.
6. **A message of the template's words is its shape.** A message's shape writes every value as
   ``<*>``, so a message with the template's words, and values where the template has
   ``<*>``, is that shape whatever share of it is values (``bench <*> worker <*> failed <*>``).
   Otherwise the similarity is Drain's, a value against ``<*>`` counting as a parameter: a
   message of few words and many values joins a template only when its words are the same.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from drain3.drain import Drain as _Drain3

from shared.fingerprint import HTTP_METHODS, MASKED_VALUE

_CONSTANT = re.compile(r"[A-Z][a-z]+|[A-Z][A-Z_]+|[a-z]{4,}(?:ed|ion)|[a-z]+[A-Z][A-Za-z]*")
_DOTTED = re.compile(r"[A-Za-z_][\w-]*(?:\.[A-Za-z_][\w-]*){2,}:?")
_PASCAL = re.compile(r"[A-Z][a-z]+[A-Z][A-Za-z]*")
_PUNCTUATION = ".,:;!?()[]{}\"'"
_METHODS = frozenset(HTTP_METHODS)
_KINDS_APART = frozenset({"constant", "value", "name"})
_WORD = re.compile(r"[a-z][a-z_]{2,}")
#: The messages a cluster must hold before its lower-case words count as constants.
SETTLED = 2
#: Adjacent lower-case words that differ, from which two messages are two shapes.
PHRASE = 2


def _masked(token: str) -> bool:
    return MASKED_VALUE.fullmatch(token) is not None


def _kind(token: str) -> str:
    """``value`` (masked), ``constant``, ``name`` (Pascal case) or ``""`` (any other word)."""
    if _masked(token):
        return "value"
    bare = token.strip(_PUNCTUATION)
    if bare in _METHODS:
        return ""
    if _CONSTANT.fullmatch(bare):
        return "constant"
    return "name" if _PASCAL.fullmatch(bare) else ""


def _apart(template_token: str, token: str) -> bool:
    """Whether two different words at one position make two shapes: a constant against a
    constant, a masked value or a name."""
    kinds = {_kind(template_token), _kind(token)}
    return "constant" in kinds and kinds <= _KINDS_APART


def _words(template_token: str, token: str) -> bool:
    """Whether two different tokens are both plain lower-case words."""
    return (
        _WORD.fullmatch(template_token.strip(_PUNCTUATION)) is not None
        and _WORD.fullmatch(token.strip(_PUNCTUATION)) is not None
    )


class Drain(_Drain3):  # type: ignore[misc]
    def get_seq_distance(
        self, seq1: Sequence[str], seq2: Sequence[str], include_params: bool
    ) -> tuple[float, int]:
        return self._distance(seq1, seq2, include_params, settled=False)

    def _distance(
        self, seq1: Sequence[str], seq2: Sequence[str], include_params: bool, *, settled: bool
    ) -> tuple[float, int]:
        """Drain's similarity of template ``seq1`` and message ``seq2`` (-1: another shape);
        ``settled``: the template's words were agreed on by two messages or more."""
        if not seq1:
            return 1.0, 0
        similar = params = values = run = 0
        for template_token, token in zip(seq1, seq2, strict=True):
            if template_token == self.param_str:
                if token == self.param_str:  # a value where the template holds one
                    values += 1
                else:
                    params += 1
                run = 0
            elif template_token == token or (_masked(template_token) and _masked(token)):
                similar += 1
                run = 0
            elif _apart(template_token, token) or (settled and _words(template_token, token)):
                return -1.0, 0
            elif _words(template_token, token):
                run += 1
                if run == PHRASE:
                    return -1.0, 0
            else:
                run = 0
        if similar + values == len(seq1):  # the same words, values where the template has them
            return 1.0, params
        return (similar + (params if include_params else 0)) / len(seq1), params

    def fast_match(
        self, cluster_ids: Sequence[int], tokens: list[str], sim_th: float, include_params: bool
    ) -> Any:
        """drain3's best match, with each cluster's size known to the comparison."""
        best: Any = None
        best_similarity, best_params = -1.0, -1
        for cluster_id in cluster_ids:
            cluster = self.id_to_cluster.get(cluster_id)
            if cluster is None:
                continue
            similarity, params = self._distance(
                cluster.log_template_tokens,
                tokens,
                include_params,
                settled=cluster.size >= SETTLED,
            )
            if similarity > best_similarity or (
                similarity == best_similarity and params > best_params
            ):
                best, best_similarity, best_params = cluster, similarity, params
        return best if best_similarity >= sim_th else None

    @staticmethod
    def has_numbers(s: str) -> bool:
        return (
            any(char.isdigit() for char in s)
            or _DOTTED.fullmatch(s) is not None
            or MASKED_VALUE.search(s) is not None
        )
