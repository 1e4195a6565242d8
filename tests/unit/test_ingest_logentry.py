"""A log entry's template and parameters, formatted without trusting the sender."""

from __future__ import annotations

import pytest

from services.ingest.normalise.logentry import MAX_FIELD, format_logentry


@pytest.mark.parametrize(
    ("template", "params", "expected"),
    [
        ("user %s failed %d times", ["bob", 3], "user bob failed 3 times"),
        ("%05.1f%% done", [12.34], "012.3% done"),
        ("%(name)s is %(state)s", {"name": "db", "state": "down"}, "db is down"),
        ("%r", ["x"], "'x'"),
        ("%-4d|", [7], "7   |"),
    ],
)
def test_ordinary_templates_format_as_python_would(
    template: str, params: list[object] | dict[str, object], expected: str
) -> None:
    assert format_logentry(template, params, 1000) == expected


@pytest.mark.parametrize(
    "template", ["%1000000000d", "%.1000000000f", "%01000000000x", "%(a)1000000000s"]
)
def test_widths_and_precisions_are_capped(template: str) -> None:
    params: list[object] | dict[str, object] = {"a": "v"} if "(a)" in template else [5]
    out = format_logentry(template, params, 100_000)
    assert len(out) <= MAX_FIELD + 2


@pytest.mark.parametrize(
    ("template", "params"),
    [
        ("%s and %s", ["one"]),  # too few
        ("%s", ["one", "two"]),  # too many
        ("%*d", [5, 1]),  # the width taken from the parameters
        ("%d", ["not a number"]),
        ("%c", [10**9]),
        ("%(missing)s", {"other": 1}),
        ("%(a)s", ["positional"]),
    ],
)
def test_a_template_that_does_not_fit_its_parameters_is_kept_verbatim(
    template: str, params: list[object] | dict[str, object]
) -> None:
    assert format_logentry(template, params, 1000) == template


def test_the_result_is_cut_at_the_limit() -> None:
    assert format_logentry("%s", ["x" * 50], 10) == "x" * 10
    assert format_logentry("%s" * 3 + "y" * 50, [1, 2], 10) == "%s%s%syyyy"
