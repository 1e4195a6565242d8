"""The one base for immutable pydantic models: event values, config sections, rules files.

:class:`FrozenModel` is immutable and ignores unknown fields (a tolerant reader: events and
outside payloads); :class:`StrictFrozenModel` is the same but refuses unknown fields, so a typo in
a file we own is reported instead of dropped. A model that keeps unknown fields says
``model_config = ConfigDict(extra="allow")``; pydantic merges that with the base's settings, so
the model stays frozen.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class FrozenModel(BaseModel):
    """Immutable once built; unknown fields are ignored."""

    model_config = ConfigDict(frozen=True, extra="ignore")


class StrictFrozenModel(FrozenModel):
    """Immutable once built; unknown fields are refused."""

    model_config = ConfigDict(extra="forbid")
