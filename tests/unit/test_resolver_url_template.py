"""Request templates filled with attacker-influenced error text never change where a request
goes: values are encoded per URL component, the host is fixed, headers lose control bytes."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from services.resolver.executors.url_template import (
    UnsafeTemplate,
    render_header,
    render_url,
    render_value,
    url_problem,
)

BASE = "https://runbooks.internal/services/${service}/restart?env=${environment}&by=alertorch"


@pytest.mark.parametrize(
    "service",
    [
        "evil.example.com/",
        "@evil.example.com",
        "x/../../admin",
        "x?admin=1#",
        "x&env=production",
        "%2e%2e",
        "\u202ename",
    ],
)
def test_a_value_stays_inside_its_path_segment(service: str) -> None:
    url = render_url(BASE, {"service": service, "environment": "staging"})
    parts = urlsplit(url)
    assert parts.netloc == "runbooks.internal"
    assert parts.path.split("/")[:2] == ["", "services"]
    assert len(parts.path.split("/")) == 4  # /services/<one segment>/restart
    assert parts.path.endswith("/restart")
    assert parts.query.startswith("env=staging&by=alertorch")


def test_a_value_stays_inside_its_query_value() -> None:
    url = render_url(BASE, {"service": "api", "environment": "prod&by=attacker&x=y"})
    query = urlsplit(url).query
    assert query.count("&") == 1
    assert query.startswith("env=prod%26by%3Dattacker%26x%3Dy&by=alertorch")


@pytest.mark.parametrize("value", [".", ".."])
def test_a_dot_segment_is_refused(value: str) -> None:
    with pytest.raises(UnsafeTemplate, match="path segment"):
        render_url(BASE, {"service": value, "environment": "x"})


def test_a_dot_value_elsewhere_is_fine() -> None:
    url = render_url("https://h.internal/fix?svc=${service}", {"service": ".."})
    assert url == "https://h.internal/fix?svc=.."


@pytest.mark.parametrize(
    "template",
    [
        "https://${service}.internal/restart",
        "https://runbooks.internal:${port}/x",
        "${scheme}://runbooks.internal/x",
        "https://user:${token}@runbooks.internal/x",
        "/relative/${service}",
        "ftp://runbooks.internal/x",
    ],
)
def test_templates_in_the_scheme_or_host_are_refused(template: str) -> None:
    assert url_problem(template) is not None
    with pytest.raises(UnsafeTemplate):
        render_url(template, {"service": "api", "port": "1", "scheme": "https", "token": "t"})


def test_unknown_names_stay_and_headers_lose_control_characters() -> None:
    assert render_url("https://h.internal/${nope}", {}) == "https://h.internal/${nope}"
    header = render_header("Bearer ${service}", {"service": "x\r\nX-Admin: 1"})
    assert header == "Bearer xX-Admin: 1"
    body = render_value({"problem": "${title}", "n": 3}, {"title": '"}, "admin": true'})
    assert body == {"problem": '"}, "admin": true', "n": 3}
