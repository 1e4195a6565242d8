"""Pattern ids that stay put while templates generalise, and that replicas agree on.

A *pattern* is one shape of message. Its id is minted once, from the first template it is
learned with (``pat_`` and 16 hex digits of that template's SHA-256), and never changes, while
the template Drain mines for it may generalise (``user alice logged in``, then
``user <*> logged in``): the templates a pattern holds over its life are its history, each
recorded once with a sequence number. A template text belongs to the first pattern that
recorded it.

Which pattern a template belongs to (:func:`resolve`):

1. the *related* patterns: those that hold or held the template itself, a template it
   generalises, or a template that generalises it (one template generalises another of the same
   number of tokens when every token is equal or ``<*>`` in the general one), or one that is the
   same but for an optional tail of values (:func:`optional_tail`: ``…, host: <str>`` and
   ``…, host: <str>, referrer: <str>``, which Drain, comparing messages of one length, mines as
   two clusters), or one that is the same but for one value more in the middle
   (:func:`optional_value`: ``cannot unmarshal number <num> into …`` and
   ``cannot unmarshal number into …``), or one with a ``<*>`` where this one has a run of
   tokens, or the other way round (:func:`spanned`: ``Host <*> is UP!`` and ``Host Branch
   Office Firewall is UP!``), or one that is the same but for a tag or a layout's head
   before it (:func:`optional_head`: ``flutter: A RenderFlex overflowed by <*> pixels on the
   right.`` and ``A RenderFlex overflowed …``);
2. of those, the one born first (its first record has the lowest sequence number);
3. none: a new pattern, born with this template (so two analyzers that learn one shape from the
   same first message mint the same id without talking to each other).

The miner resolves a cluster's template whenever Drain creates the cluster or changes its
template. A pattern's own older templates are always related to its newer ones, so it keeps its
id; two clusters of one shape (on one analyzer, or on two sharing a store) end with the older
pattern's id: the younger one is merged into it.

With a shared store, every record is written under one lock held to the end of the writer's
transaction, with the sequence numbers that follow the highest it has read: sequence order is
commit order, and a replica reads the records written since its last read (``seq`` above its
own). Before a batch's outputs are published, the templates its clusters took that the store
does not know yet are decided again under that lock against every record written so far
(:meth:`services.analyzer.templates.TemplateMiner.settle`), so two replicas that mine one shape
agree on its id from the first output that either publishes.
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import chain

WILDCARD = "<*>"
#: At most this many trailing tokens of a template may be an optional tail.
OPTIONAL_TAIL = 4
#: A template shorter than this has too little before a tail to say it is the same shape.
TAIL_CONTEXT = 6
#: Two templates of different lengths are one shape only if they share this many words at their
#: places: a ``<*>`` is alike any token, so a template of few words is alike too many others
#: (``Started <*> for <*> at <*>`` and ``<*> memorystatus: <*> pid <*> [Helper] <*>``).
SHARED_WORDS = 3
#: At most this many leading tokens of a template may be an optional head …
OPTIONAL_HEAD = 3
#: … before a template of at least this many words;
HEAD_CONTEXT = 3
#: a head of up to this many tokens (a logger's layout: ``<*> [INFO] <*> [deepspeed]``) …
LONG_HEAD = 6
#: … before at least this many.
LONG_HEAD_CONTEXT = 6


@dataclass(frozen=True, slots=True)
class Recorded:
    """One template recorded for a pattern; ``seq`` orders all records of a store."""

    seq: int
    template: str
    pattern_id: str


def new_pattern_id(template: str) -> str:
    """The id of a pattern born with ``template``."""
    return "pat_" + hashlib.sha256(template.encode("utf-8")).hexdigest()[:16]


def template_key(template: str) -> str:
    """A template's key in the store (templates can be longer than an index entry may be)."""
    return hashlib.sha256(template.encode("utf-8")).hexdigest()


def generalises(general: Sequence[str], specific: Sequence[str]) -> bool:
    """``general`` has the tokens of ``specific``, or ``<*>`` in their place."""
    return len(general) == len(specific) and all(
        g in (s, WILDCARD) for g, s in zip(general, specific, strict=True)
    )


def _masked(token: str) -> bool:
    """A masked value (``<num>``), or the ``<*>`` of a shape or of a generalised template."""
    bare = token.strip(",;")
    return bare.startswith("<") and bare.endswith(">")


def _value(token: str) -> bool:
    """A token that is a value (masked) or a label of one (``referrer:``, ``code=``)."""
    return _masked(token) or token.strip(",;")[-1:] in (":", "=")


def optional_tail(longer: Sequence[str], shorter: Sequence[str]) -> bool:
    """``longer`` is ``shorter`` (or generalises it, or is generalised by it) followed by at
    most ``OPTIONAL_TAIL`` tokens that are all values or their labels; the two share
    :data:`SHARED_WORDS` words at their places."""
    extra = len(longer) - len(shorter)
    if not 0 < extra <= OPTIONAL_TAIL or len(shorter) < TAIL_CONTEXT:
        return False
    same = all(_alike(a, b) for a, b in zip(longer, shorter, strict=False))
    return (
        same
        and all(_value(token) for token in longer[len(shorter) :])
        and _shared_words(longer, shorter) >= SHARED_WORDS
    )


def _alike(a: str, b: str) -> bool:
    return a.rstrip(",;") == b.rstrip(",;") or WILDCARD in (a, b)


def optional_value(longer: Sequence[str], shorter: Sequence[str]) -> bool:
    """``longer`` is ``shorter`` (or generalises it, or is generalised by it) with one value
    more (masked, or a shape's ``<*>``), somewhere after its first token: a value some messages
    of one shape print and others leave out. A ``<*>`` is alike any token, so the value more
    is looked for wherever the tokens before it and those after it are alike; the two share
    :data:`SHARED_WORDS` words at their places, counted from the start or from the end."""
    if len(longer) != len(shorter) + 1 or len(shorter) < TAIL_CONTEXT:
        return False
    head = 0  # longer[:head] is alike shorter[:head]
    while head < len(shorter) and _alike(longer[head], shorter[head]):
        head += 1
    tail = 0  # longer's last ``tail`` tokens are alike shorter's
    while tail < len(shorter) and _alike(longer[-1 - tail], shorter[-1 - tail]):
        tail += 1
    if (
        max(_shared_words(longer, shorter), _shared_words(longer[::-1], shorter[::-1]))
        < SHARED_WORDS
    ):
        return False
    return any(_masked(longer[at]) for at in range(max(1, len(shorter) - tail), head + 1))


def _shared_words(one: Sequence[str], other: Sequence[str]) -> int:
    """How many words (not values) ``one`` and ``other`` hold at the same places."""
    return sum(1 for a, b in zip(one, other, strict=False) if a == b and not _masked(a))


def spanned(longer: Sequence[str], shorter: Sequence[str]) -> bool:
    """``longer`` is ``shorter`` with one of its ``<*>`` standing for a run of tokens: a value
    of several words (a job ``Release Candidate Smoke Tests``, a host ``Branch Office
    Firewall``, a Flink task ``Source: <*> -> Map <*>``), which Drain, comparing messages of
    one length, mines as another shape. ``shorter`` has at least :data:`SHARED_WORDS` words,
    each at its place in ``longer`` (before the run and after it). Inside a message the run
    holds no lower-case word (``for <*> from`` / ``for invalid user <*> from``: such words
    name reasons and outcomes, as Drain's rule 4 has it) and no ``key=value`` pair; at its
    end, a run after the last ``<*>`` ends in a value (``index out of range <*> with length
    <*>``), never in a word (``proxy <*>`` / ``proxy <*> HTTPS``)."""
    return _words(shorter) >= SHARED_WORDS and _spans(longer, shorter)


def _words(tokens: Sequence[str]) -> int:
    return sum(1 for token in tokens if not _masked(token))


def _spans(longer: Sequence[str], shorter: Sequence[str]) -> bool:
    """:func:`spanned`, but for the count of ``shorter``'s words."""
    extra = len(longer) - len(shorter)
    if extra < 1:
        return False
    head = 0  # shorter[:head] has longer's tokens, or <*>
    while head < len(shorter) and shorter[head] in (longer[head], WILDCARD):
        head += 1
    tail = 0  # so have shorter's last ``tail`` tokens
    while tail < len(shorter) and shorter[-1 - tail] in (longer[-1 - tail], WILDCARD):
        tail += 1
    last = len(shorter) - 1
    for at in range(max(0, last - tail), min(head, last) + 1):
        run = longer[at : at + extra + 1]
        if shorter[at] != WILDCARD or any("=" in token for token in run):
            continue
        if (at < last and not any(map(lower_case_word, run))) or (at == last and _masked(run[-1])):
            return True
    return False


def optional_head(longer: Sequence[str], shorter: Sequence[str]) -> bool:
    """``longer`` is ``shorter`` after a head: at most :data:`OPTIONAL_HEAD` tokens more, a
    tag some programs write before a message and others not (``flutter: A RenderFlex
    overflowed …``, ``NVRM: Xid <*> …``, lsyncd's level ``Normal,``), a value (an id some
    lines carry: ``<*> Sending packet MESSAGE data <*>``) or a run's name (Prefect's ``Flow
    run <*> Finished in state Completed()``), before at least :data:`HEAD_CONTEXT` words; or
    at most :data:`LONG_HEAD`, a layout masking does not know (``<*> [INFO] <*> [deepspeed]
    OVERFLOW! Rank <*> …``, ``Warning UpdateFailed <*> over <*> error processing …``), before
    at least :data:`LONG_HEAD_CONTEXT` words. Every token of ``shorter`` is in ``longer``'s
    end as it is (a value against a value)."""
    extra = len(longer) - len(shorter)
    words = _words(shorter)
    if not (
        (0 < extra <= OPTIONAL_HEAD and words >= HEAD_CONTEXT)
        or (0 < extra <= LONG_HEAD and words >= LONG_HEAD_CONTEXT)
    ):
        return False
    return all(
        a == b or (_masked(a) and _masked(b)) for a, b in zip(longer[extra:], shorter, strict=True)
    )


#: What may stand around a word in a template (``(uptime``, ``failed:``).
PUNCTUATION = ".,:;!?()[]{}\"'"
_LOWER_CASE_WORD = re.compile(r"[a-z][a-z_]+")


def lower_case_word(token: str, *, letters: int = 3) -> bool:
    """A plain lower-case word of at least ``letters`` letters, its punctuation aside: such
    words name reasons, entities and outcomes (Drain's rule 4, :mod:`services.analyzer.drain`,
    which also takes words of two: ``up``, ``on``)."""
    bare = token.strip(PUNCTUATION)
    return len(bare) >= letters and _LOWER_CASE_WORD.fullmatch(bare) is not None


def _first_key(tokens: Sequence[str]) -> str:
    """What a template's first token is indexed under: the token, a "," or ";" after it aside
    (as :func:`_alike` compares tokens)."""
    return tokens[0].rstrip(",;")


def _first_word(tokens: Sequence[str]) -> str | None:
    return next((token for token in tokens if not _masked(token)), None)


def _unmasked(tokens: Sequence[str]) -> tuple[str, ...]:
    """``tokens`` with every value as ``<*>``: what :func:`optional_head` compares."""
    return tuple(WILDCARD if _masked(token) else token for token in tokens)


#: A template's tokens and its pattern.
_Entry = tuple[tuple[str, ...], str]


class Registry:
    """The recorded templates, each owned by the first pattern that recorded it. Indexed so
    that finding a template's related patterns reads only templates that may be."""

    def __init__(self, records: Iterable[Recorded] = ()) -> None:
        self.seq = 0
        self._owner: dict[str, str] = {}
        self._birth: dict[str, int] = {}
        self._by_length: defaultdict[int, list[_Entry]] = defaultdict(list)
        #: Every template by its length and its first token (a "," or ";" after it aside):
        #: generalisation, an optional value and an optional tail relate only templates whose
        #: first tokens are alike, the same or one of them ``<*>``.
        self._by_length_first: defaultdict[tuple[int, str], list[_Entry]] = defaultdict(list)
        #: Templates that may stand for longer ones (:func:`spanned`), by their first token, last
        #: token and first word.
        self._spanning: defaultdict[tuple[str, str, str], list[_Entry]] = defaultdict(list)
        #: Every template by its first and last token, by either, and under each of its words.
        self._by_ends: defaultdict[tuple[str, str], list[_Entry]] = defaultdict(list)
        self._by_first: defaultdict[str, list[_Entry]] = defaultdict(list)
        self._by_last: defaultdict[str, list[_Entry]] = defaultdict(list)
        self._containing: defaultdict[str, list[_Entry]] = defaultdict(list)
        #: Every template by its tokens (values as ``<*>``), and without its first one to six.
        self._by_unmasked: defaultdict[tuple[str, ...], list[_Entry]] = defaultdict(list)
        self._by_rest: defaultdict[tuple[str, ...], list[_Entry]] = defaultdict(list)
        self.extend(records)

    def extend(self, records: Iterable[Recorded]) -> None:
        for record in sorted(records, key=lambda r: r.seq):
            self.add(record)

    def add(self, record: Recorded) -> None:
        self.seq = max(self.seq, record.seq)
        if record.template in self._owner:
            return
        self._owner[record.template] = record.pattern_id
        self._birth.setdefault(record.pattern_id, record.seq)
        tokens = tuple(record.template.split())
        if not tokens:
            return
        entry = (tokens, record.pattern_id)
        self._by_length[len(tokens)].append(entry)
        self._by_length_first[len(tokens), _first_key(tokens)].append(entry)
        first, last = tokens[0], tokens[-1]
        word = _first_word(tokens)
        if word is not None and WILDCARD in tokens and _words(tokens) >= SHARED_WORDS:
            self._spanning[first, last, word].append(entry)
        self._by_ends[first, last].append(entry)
        self._by_first[first].append(entry)
        self._by_last[last].append(entry)
        for word in {t for t in tokens if not _masked(t)}:
            self._containing[word].append(entry)
        unmasked = _unmasked(tokens)
        self._by_unmasked[unmasked].append(entry)
        for extra in range(1, LONG_HEAD + 1):
            self._by_rest[unmasked[extra:]].append(entry)

    def owner(self, template: str) -> str | None:
        return self._owner.get(template)

    def templates(self, pattern_id: str) -> list[str]:
        """The templates ``pattern_id`` recorded, oldest first."""
        return [t for t, owner in self._owner.items() if owner == pattern_id]

    def related(self, template: str) -> Iterator[tuple[int, str]]:
        """``(birth, pattern_id)`` of every pattern related to ``template``."""
        tokens = tuple(template.split())
        for known, pattern_id in self._opening_alike(len(tokens), tokens):
            if generalises(tokens, known) or generalises(known, tokens):
                yield self._birth[pattern_id], pattern_id
        for known, pattern_id in self._opening_alike(len(tokens) - 1, tokens):
            if optional_value(tokens, known):
                yield self._birth[pattern_id], pattern_id
        for known, pattern_id in self._opening_alike(len(tokens) + 1, tokens):
            if optional_value(known, tokens):
                yield self._birth[pattern_id], pattern_id
        for extra in range(1, OPTIONAL_TAIL + 1):
            for known, pattern_id in self._opening_alike(len(tokens) - extra, tokens):
                if optional_tail(tokens, known):
                    yield self._birth[pattern_id], pattern_id
            for known, pattern_id in self._opening_alike(len(tokens) + extra, tokens):
                if optional_tail(known, tokens):
                    yield self._birth[pattern_id], pattern_id
        if tokens:
            for candidates, longer in self._head_candidates(tokens):
                for known, pattern_id in candidates:
                    if optional_head(tokens, known) if longer else optional_head(known, tokens):
                        yield self._birth[pattern_id], pattern_id
            for candidates, longer in self._span_candidates(tokens):
                for known, pattern_id in candidates:  # the shorter of each pair has the words
                    if _spans(tokens, known) if longer else _spans(known, tokens):
                        yield self._birth[pattern_id], pattern_id

    def _opening_alike(self, length: int, tokens: tuple[str, ...]) -> Iterable[_Entry]:
        """Templates of ``length`` tokens whose first token is alike ``tokens``' first: every
        one when that is ``<*>``, else those that open with it or with ``<*>``."""
        if not tokens or tokens[0] == WILDCARD:
            return self._by_length.get(length, ())
        key = _first_key(tokens)
        same = self._by_length_first.get((length, key), [])
        if key == WILDCARD:  # "<*>," is alike "<*>" only, and that bucket holds both
            return same
        return chain(same, self._by_length_first.get((length, WILDCARD), ()))

    def _head_candidates(self, tokens: tuple[str, ...]) -> Iterator[tuple[list[_Entry], bool]]:
        """Templates that may be ``tokens`` without its first tokens, up to :data:`LONG_HEAD`
        (``True``), and templates that may be ``tokens`` after as many more (``False``)."""
        unmasked = _unmasked(tokens)
        for extra in range(1, LONG_HEAD + 1):
            if (found := self._by_unmasked.get(unmasked[extra:])) is not None:
                yield found, True
        if (found := self._by_rest.get(unmasked)) is not None:
            yield found, False

    def _span_candidates(self, tokens: tuple[str, ...]) -> Iterator[tuple[list[_Entry], bool]]:
        """Templates ``tokens`` may span (``True``: shorter ones with a ``<*>``, whose first
        and last tokens are ``tokens``' own or ``<*>``, and whose first word is in
        ``tokens``), and templates that may span ``tokens`` (``False``: longer ones that open
        and close as ``tokens`` does, where it does not with ``<*>``, holding its first
        word)."""
        first, last = tokens[0], tokens[-1]
        words = {t for t in tokens if not _masked(t)}
        for start in {first, WILDCARD}:
            for end in {last, WILDCARD}:
                for word in (first,) if start != WILDCARD and not _masked(first) else words:
                    if (found := self._spanning.get((start, end, word))) is not None:
                        yield found, True
        if WILDCARD not in tokens or _words(tokens) < SHARED_WORDS:
            return
        if first != WILDCARD and last != WILDCARD:
            yield self._by_ends.get((first, last), []), False
        elif first != WILDCARD:
            yield self._by_first.get(first, []), False
        elif last != WILDCARD:
            yield self._by_last.get(last, []), False
        elif (opening := _first_word(tokens)) is not None:
            yield self._containing.get(opening, []), False

    def __len__(self) -> int:
        return len(self._owner)


def related(template: str, layers: Sequence[Registry]) -> list[tuple[int, int, str]]:
    """``(layer, birth, pattern_id)`` of every pattern related to ``template``; ``layers`` in
    order of birth (every pattern of an earlier layer was born before any of a later one)."""
    return [
        (rank, birth, pattern_id)
        for rank, registry in enumerate(layers)
        for birth, pattern_id in registry.related(template)
    ]


def resolve(template: str, layers: Sequence[Registry]) -> str:
    """The pattern ``template`` belongs to: the oldest related one, else a new one."""
    return oldest(template, related(template, layers))


def oldest(template: str, found: Sequence[tuple[int, int, str]]) -> str:
    """Of the related patterns ``found`` (:func:`related`), the one born first; with none, the
    pattern ``template`` is born with."""
    return min(found)[2] if found else new_pattern_id(template)
