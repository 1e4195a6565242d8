from services.notifier.delivery.disabled import disabled


def test_a_disabled_integration_skips_and_names_its_setting() -> None:
    result = disabled("GitHub", "github")
    assert result.delivered
    assert result.reference is None
    assert result.details == {"skipped": "GitHub is disabled (integrations.github.enabled)"}
