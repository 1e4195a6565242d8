from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from services.cli.schemas import stale_files
from shared.asyncapi import render_asyncapi
from shared.events import Envelope, RawError
from shared.topics import TOPICS, TopicSpec, all_topic_names, topic

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures"


@pytest.mark.parametrize("spec", TOPICS, ids=lambda s: s.name)
def test_every_topic_has_valid_examples(spec: TopicSpec) -> None:
    examples = spec.examples()
    assert examples, f"{spec.name} has no example messages"
    for name, body in examples.items():
        event = spec.decode(
            json.dumps(body).encode(), coordinates=f"{spec.name}/0/0", producer="/test"
        )
        assert isinstance(event, Envelope), name
        assert isinstance(event, spec.latest), name
        assert event.subject, name
        if "specversion" in body:
            assert event.id == body["id"], name


def test_raw_topic_examples_include_a_bare_custom_alert() -> None:
    spec = topic("errors.raw")
    bare = [body for body in spec.examples().values() if "specversion" not in body]
    assert bare
    event = spec.decode(json.dumps(bare[0]).encode(), coordinates="x/0/1", producer="/test")
    assert isinstance(event, RawError)


def test_registry_names_dlq_twins_and_services() -> None:
    names = all_topic_names()
    assert len(names) == 2 * len(TOPICS)
    for spec in TOPICS:
        assert spec.dlq == spec.name + ".dlq"
        assert spec.producers
        assert spec.consumers
        assert spec.latest.model_fields["type"].default == spec.latest.event_type
    with pytest.raises(KeyError):
        topic("nope")


def test_committed_schemas_match_the_models() -> None:
    stale = stale_files(REPO / "docs" / "schemas")
    assert not stale, f"run `alertorch schemas` to regenerate: {stale}"


def test_schema_check_notices_drift(tmp_path: Path) -> None:
    (tmp_path / "errors.raw.v1.schema.json").write_text("{}\n")
    (tmp_path / "gone.schema.json").write_text("{}\n")
    stale = stale_files(tmp_path)
    assert "errors.raw.v1.schema.json" in stale
    assert "gone.schema.json" in stale
    assert "audit.v1.schema.json" in stale


def test_the_asyncapi_document_is_valid_and_names_every_topic_and_service() -> None:
    text = (REPO / "docs" / "asyncapi.yaml").read_text("utf-8")
    assert text == render_asyncapi(), "run `alertorch schemas` to regenerate docs/asyncapi.yaml"
    document = yaml.safe_load(text)
    spec = json.loads((FIXTURES / "asyncapi" / "asyncapi-3.0.0.schema.json").read_text("utf-8"))
    errors = list(jsonschema.Draft7Validator(spec).iter_errors(document))
    assert not errors, [f"{list(e.absolute_path)}: {e.message}" for e in errors]
    addresses = {c["address"] for c in document["channels"].values()}
    assert addresses == {t.name for t in TOPICS}
    operations = {(o["action"], o["summary"].split()[0], o["summary"].split()[-1])
                  for o in document["operations"].values()}  # fmt: skip
    assert ("send", "resolver", "resolutions") in operations
    assert ("receive", "notifier", "silences") in operations
    for message in document["components"]["messages"].values():
        payload = REPO / "docs" / message["payload"]["$ref"]
        assert payload.exists(), payload
    # the check notices a document that drifted
    assert "../asyncapi.yaml" in stale_files(FIXTURES)
