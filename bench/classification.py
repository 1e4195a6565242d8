"""Classification throughput of the pure analyzer core, one core: the RE2 set versus a plain
``re`` loop over the same patterns, with the default pattern file and with 1,000 patterns; and
classification accuracy of the defaults on the labelled set (``bench/data/README.md``)."""

from __future__ import annotations

import functools
import re
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from bench.classification_accuracy import (
    CATEGORIES,
    SPLITS,
    ClassificationAccuracy,
    LabelledError,
    load_labelled,
    score,
)
from services.analyzer.categorise import PatternMatcher
from services.analyzer.core import Analyzer
from services.analyzer.fallback import Fallback
from services.analyzer.patterns_file import ErrorPattern, load_patterns
from shared.config import load_settings
from shared.events import RawErrorData
from shared.fingerprint import fingerprint

REPO = Path(__file__).resolve().parent.parent
TARGET_DEFAULT = 20_000
TARGET_SPEEDUP = 5.0
#: Held-out accuracy of the default patterns and fallback on the labelled set.
TARGET_ACCURACY = 0.90
#: Tuning-split misses printed (held-out misses never are: they must not guide the patterns).
SHOWN_MISSES = 15

MESSAGES = [
    "psycopg2.OperationalError: could not connect to server: Connection refused",
    'java.lang.NullPointerException: Cannot invoke "String.length()" because "s" is null',
    "TypeError: Cannot read properties of undefined (reading 'map')",
    "panic: runtime error: index out of range [5] with length 3",
    "redis.exceptions.ConnectionError: Error 111 connecting to cache-2:6379. Connection refused.",
    "java.net.SocketTimeoutException: Read timed out after 30000 ms",
    "OSError: [Errno 28] No space left on device: '/var/lib/app/uploads/7f3a.tmp'",
    "botocore.exceptions.ClientError: An error occurred (ThrottlingException): Rate exceeded",
    "HTTP 401 Unauthorized: invalid token for user 8841",
    "Error: ENOTFOUND api.payments.example.com",
    "django.core.exceptions.ImproperlyConfigured: The SECRET_KEY setting must not be empty.",
    "java.lang.OutOfMemoryError: GC overhead limit exceeded",
    "Deadlock found when trying to get lock; try restarting transaction",
    "upstream timed out (110: Connection timed out) while reading response header from upstream",
    "Out of memory: Killed process 4242 (java) total-vm:8123456kB",
    "KeyError: 'customer_id'",
    "context deadline exceeded while calling inventory.Reserve",
    "nightly report generated 3 warnings for tenant 12",
    "kafka.errors.KafkaTimeoutError: Failed to update metadata after 60.0 secs.",
    "SSL: CERTIFICATE_VERIFY_FAILED certificate verify failed: certificate has expired",
]


def synthetic_patterns(count: int, base: Sequence[ErrorPattern]) -> list[ErrorPattern]:
    """The default patterns plus distinct service-specific ones, ``count`` in all."""
    out = list(base)
    verbs = ["failed", "crashed", "stalled", "rejected", "timed out", "overflowed"]
    nouns = ["job", "worker", "queue", "batch", "export", "import", "sync", "cron"]
    i = 0
    while len(out) < count:
        verb, noun = verbs[i % len(verbs)], nouns[(i // len(verbs)) % len(nouns)]
        out.append(
            ErrorPattern(
                id=f"synthetic_{i}",
                name=f"synthetic {i}",
                pattern=rf"(?i)\bsvc{i}[-_ ]{noun}\b.{{0,40}}\b{verb}\b(?: with code \d+)?",
                category="code",
                severity="medium",
                confidence=0.5 + (i % 40) / 100,
            )
        )
        i += 1
    return out


class ReLoop:
    """The naive alternative: every pattern compiled with ``re``, searched one after another."""

    def __init__(self, patterns: Sequence[ErrorPattern]) -> None:
        self.compiled = [(re.compile(p.pattern), p) for p in patterns]

    def best(self, text: str) -> ErrorPattern | None:
        found = [p for regex, p in self.compiled if regex.search(text)]
        return max(found, key=lambda p: p.confidence) if found else None


def _via_set(matcher: PatternMatcher, fallback: Fallback, message: str) -> object:
    return matcher.best(message) or fallback.guess(message)


def _via_loop(loop: ReLoop, fallback: Fallback, message: str) -> object:
    return loop.best(message) or fallback.guess(message)


def rate(action: Callable[[str], object], seconds: float = 1.5) -> float:
    count, started = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - started) < seconds:
        for message in MESSAGES:
            action(message)
        count += len(MESSAGES)
    return count / elapsed


def run() -> bool:
    defaults = load_patterns(REPO / "config" / "error_patterns.json")
    fallback = Fallback()
    ok = True
    for label, patterns in (("default", defaults), ("1,000", synthetic_patterns(1000, defaults))):
        matcher, loop = PatternMatcher(patterns), ReLoop(patterns)
        re2_rate = rate(functools.partial(_via_set, matcher, fallback))
        re_rate = rate(functools.partial(_via_loop, loop, fallback))
        speedup = re2_rate / re_rate
        print(
            f"categorise, {label:>7} patterns ({len(patterns):>4}): RE2 set {re2_rate:>9,.0f}/s"
            f"   re loop {re_rate:>9,.0f}/s   x{speedup:.1f}"
        )
        if label == "default" and re2_rate < TARGET_DEFAULT:
            print(f"  below the target of {TARGET_DEFAULT:,} messages per second")
            ok = False
        if label == "1,000" and speedup < TARGET_SPEEDUP:
            print(f"  below the target of x{TARGET_SPEEDUP:.0f} over the re loop")
            ok = False
    analyzer = Analyzer(settings=load_settings(REPO / "config"), patterns=defaults)
    errors = [_raw(m) for m in MESSAGES]
    now = [1_800_000_000.0]

    def analyze(message: str) -> object:
        now[0] += 0.01
        return analyzer.analyze(errors[MESSAGES.index(message)], now=now[0])

    print(f"full analysis (categorise, template, counts, trend, impact): {rate(analyze):,.0f}/s")
    return accuracy(analyzer) and ok


def _raw(message: str) -> RawErrorData:
    return RawErrorData(
        fingerprint=fingerprint(kind="message", parts=["bench", message]),
        origin="custom",
        title=message,
        severity="high",
        service="bench",
        environment="production",
    )


def accuracy(analyzer: Analyzer) -> bool:
    """Accuracy per split and per category; the held-out split has :data:`TARGET_ACCURACY`."""
    data = load_labelled()
    predicted = [analyzer.categorise(_raw(item.message)).category for item in data]
    ok = True
    for split in SPLITS:
        rows = [(i, p) for i, p in zip(data, predicted, strict=True) if i.split == split]
        result = score([item.category for item, _ in rows], [guess for _, guess in rows])
        print(
            f"accuracy, {split:>7} ({result.messages:>3} labelled): {result.accuracy:.3f}   "
            + "  ".join(_cell(result, category) for category in CATEGORIES)
        )
        if split == "tuning":
            _print_misses([(item, guess) for item, guess in rows if guess != item.category])
        elif result.accuracy < TARGET_ACCURACY:
            print(f"  below the target of {TARGET_ACCURACY:.2f} on the held-out split")
            ok = False
    return ok


def _cell(result: ClassificationAccuracy, category: str) -> str:
    hits, total = result.per_category.get(category, (0, 0))
    return f"{category} {hits}/{total}"


def _print_misses(misses: Sequence[tuple[LabelledError, str]]) -> None:
    for item, guess in misses[:SHOWN_MISSES]:
        print(f"  miss: {item.category} -> {guess}: {item.message.splitlines()[0][:110]}")
    if len(misses) > SHOWN_MISSES:
        print(f"  ... and {len(misses) - SHOWN_MISSES} more tuning misses")
