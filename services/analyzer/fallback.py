"""Best-effort category for messages no configured pattern matches: exception type names first,
then keywords, each at a lower confidence than a configured pattern."""

from __future__ import annotations

from typing import Final

from services.analyzer.categorise import Match, PatternSet

UNKNOWN: Final = "unknown"

#: (category, RE2 regex, confidence). Exception type names are strong evidence, keywords weak.
RULES: Final[tuple[tuple[str, str, float], ...]] = (
    (
        "code",
        r"\b(?:TypeError|AttributeError|NameError|KeyError|IndexError|UnboundLocalError|"
        r"ZeroDivisionError|NotImplementedError|AssertionError|RecursionError|"
        r"NullPointerException|ClassCastException|IllegalArgumentException|IllegalStateException|"
        r"ArrayIndexOutOfBoundsException|IndexOutOfBoundsException|ArithmeticException|"
        r"NoSuchElementException|UnsupportedOperationException|ConcurrentModificationException|"
        r"ReferenceError|RangeError|SyntaxError|NoMethodError|NilClass)\b",
        0.5,
    ),
    (
        "code",
        r"(?i)\bnil pointer dereference\b|\bindex out of range\b|"
        r"\bcannot read propert(?:y|ies) of (?:undefined|null)\b|\bis not a function\b|"
        r"\bundefined method\b|\bsegmentation fault\b|\bpanic: ",
        0.45,
    ),
    ("memory", r"\b(?:MemoryError|OutOfMemoryError)\b", 0.5),
    (
        "memory",
        r"(?i)\bout of memory\b|\bOOMKilled\b|\bheap (?:space|out of memory)\b|"
        r"\bcannot allocate memory\b|\bmemory limit\b",
        0.4,
    ),
    (
        "timeout",
        r"\b(?:TimeoutError|SocketTimeoutException|ReadTimeout|ConnectTimeout|"
        r"TimeoutException|DeadlineExceeded)\b",
        0.5,
    ),
    ("timeout", r"(?i)\btimed? ?out\b|\bdeadline exceeded\b|\bETIMEDOUT\b", 0.35),
    (
        "network",
        r"\b(?:ConnectionError|ConnectionRefusedError|ConnectionResetError|"
        r"ConnectException|UnknownHostException|NoRouteToHostException|SSLError|SSLHandshakeException)\b",
        0.5,
    ),
    (
        "network",
        r"(?i)\bECONNREFUSED\b|\bECONNRESET\b|\bENOTFOUND\b|\bEHOSTUNREACH\b|"
        r"\bconnection (?:refused|reset)\b|\bno route to host\b|\bbroken pipe\b|"
        r"\bname resolution\b|\bno such host\b|"
        r"\b(?:502|503|504) (?:Bad Gateway|Service Unavailable|Gateway Time-?out)\b",
        0.35,
    ),
    (
        "database",
        r"\b(?:OperationalError|IntegrityError|ProgrammingError|DatabaseError|"
        r"SQLException|PSQLException|SQLTransientConnectionException|MongoError|MongoServerError|"
        r"RedisError|SequelizeDatabaseError|QueryFailedError)\b",
        0.5,
    ),
    (
        "database",
        r"(?i)\bdeadlock\b|\bduplicate key\b|\bunique constraint\b|\bsql\b|"
        r"\bdatabase\b|\brelation \S+ does not exist\b",
        0.3,
    ),
    (
        "disk",
        r"(?i)\bno space left on device\b|\bENOSPC\b|\bdisk (?:is )?full\b|"
        r"\bread-only file system\b|\bdisk quota exceeded\b",
        0.45,
    ),
    (
        "auth",
        r"\b(?:PermissionError|AuthenticationError|AccessDeniedException|"
        r"AuthenticationException|UnauthorizedError|ForbiddenError|InvalidTokenError|"
        r"ExpiredSignatureError|NotAuthorizedException)\b",
        0.5,
    ),
    (
        "auth",
        r"(?i)\bunauthori[sz]ed\b|\bforbidden\b|\baccess denied\b|\bpermission denied\b|"
        r"\binvalid (?:token|credentials|api key)\b|\btoken (?:has )?expired\b|"
        r"\bauthentication failed\b",
        0.35,
    ),
    ("rate_limit", r"\b(?:RateLimitError|ThrottlingException|TooManyRequests)\b", 0.5),
    (
        "rate_limit",
        r"(?i)\brate.?limit(?:ed)?\b|\btoo many requests\b|\bthrottl(?:ed|ing)\b|"
        r"\bquota exceeded\b",
        0.4,
    ),
    (
        "configuration",
        r"\b(?:ImproperlyConfigured|ImportError|ModuleNotFoundError|"
        r"ClassNotFoundException|NoClassDefFoundError|BeanCreationException|ConfigurationError)\b",
        0.45,
    ),
    (
        "configuration",
        r"(?i)\bmissing (?:required )?(?:environment variable|config(?:uration)?|"
        r"setting)\b|\binvalid config(?:uration)?\b|\bcannot find module\b|"
        r"\bno such file or directory\b",
        0.3,
    ),
)


class Fallback:
    def __init__(self) -> None:
        self._set = PatternSet([regex for _, regex, _ in RULES])

    def guess(self, text: str) -> Match:
        indices = self._set.matches(text)
        if not indices:
            return Match(UNKNOWN, 0.1, None, "none")
        index = max(indices, key=lambda i: (RULES[i][2], -i))
        category, _, confidence = RULES[index]
        return Match(category, confidence, None, f"fallback:{category}")
