"""Field types shared by the rules-file models.

Every rules-file model is a :class:`shared.models.StrictFrozenModel`: immutable, and its keys are
fixed by the rules-file format, so a typo is a config error.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

#: A level number a rule refers to (``immediate_level``, ``escalate_to_level``, ...).
LevelNumber = Annotated[int, Field(ge=0, le=9, strict=True)]
#: Optional per-rule wait before the first notification (absorbs flapping).
GraceMinutes = Annotated[float | None, Field(default=None, ge=0, le=24 * 60)]
