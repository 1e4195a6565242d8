"""Base of every rules-file model: immutable, unknown keys rejected."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field


class Strict(BaseModel):
    """A section whose keys are fixed by the rules-file format: a typo is a config error."""

    model_config = ConfigDict(frozen=True, extra="forbid")


#: A level number a rule refers to (``immediate_level``, ``escalate_to_level``, ...).
LevelNumber = Annotated[int, Field(ge=0, le=9, strict=True)]
#: Optional per-rule wait before the first notification (absorbs flapping).
GraceMinutes = Annotated[float | None, Field(default=None, ge=0, le=24 * 60)]
