"""Templated requests whose values come from errors, which an attacker may write.

``${service}``, ``${title}`` and ``${environment}`` come from error reports: they must never
choose where a request goes or what it means. So, in a request template:

- the scheme and host are fixed: a template there is refused (when the catalog is checked, and
  again when a request is built);
- in the path each value is percent-encoded as one segment (``/``, ``?``, ``#``, ``&`` cannot
  escape it) and a value that is only ``.`` or ``..`` is refused;
- in the query and fragment each value is percent-encoded as a value (``&``, ``=`` included);
- in a header value, control characters (CR, LF, ...) are removed;
- the JSON body needs nothing: JSON encoding keeps values as strings.
"""

from __future__ import annotations

import re
import string
from collections.abc import Callable, Iterator, Mapping
from typing import Any, Final
from urllib.parse import quote, urlsplit, urlunsplit

from shared.errors import AlertorchError

_CONTROL: Final = re.compile(r"[\x00-\x1f\x7f]")


class UnsafeTemplate(AlertorchError):
    """A request template that would let error text choose where the request goes."""


def url_problem(template: str) -> str | None:
    """Why ``template`` is not an acceptable URL template, or ``None``."""
    parts = urlsplit(template)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return f"{template!r} must be an absolute http(s) URL"
    if "$" in parts.scheme or "$" in parts.netloc:
        return f"{template!r}: the scheme and host cannot be templated"
    return None


class _Encoded(Mapping[str, str]):
    """``values``, each encoded only when a template asks for it."""

    def __init__(self, values: Mapping[str, str], encode: Callable[[str], str]) -> None:
        self._values, self._encode = values, encode

    def __getitem__(self, key: str) -> str:
        return self._encode(self._values[key])

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)


def _fill(text: str, values: Mapping[str, str], encode: Callable[[str], str]) -> str:
    return string.Template(text).safe_substitute(_Encoded(values, encode))


def _segment(value: str) -> str:
    if value in (".", ".."):
        raise UnsafeTemplate(f"a templated path segment cannot be {value!r}")
    return quote(value, safe="")


def render_url(template: str, values: Mapping[str, str]) -> str:
    """The URL with each value encoded for the component it lands in (see the module)."""
    if problem := url_problem(template):
        raise UnsafeTemplate(problem)
    parts = urlsplit(template)
    path = "/".join(_fill(segment, values, _segment) for segment in parts.path.split("/"))
    encode_value = lambda value: quote(value, safe="")  # noqa: E731
    query = _fill(parts.query, values, encode_value)
    fragment = _fill(parts.fragment, values, encode_value)
    return urlunsplit((parts.scheme, parts.netloc, path, query, fragment))


def render_header(template: str, values: Mapping[str, str]) -> str:
    return _CONTROL.sub("", _fill(template, values, str))


def render_value(template: Any, values: Mapping[str, str]) -> Any:
    """``${name}`` filled in strings of a JSON body, recursively; unknown names stay."""
    if isinstance(template, str):
        return string.Template(template).safe_substitute(values)
    if isinstance(template, Mapping):
        return {key: render_value(value, values) for key, value in template.items()}
    if isinstance(template, list):
        return [render_value(item, values) for item in template]
    return template
