"""Types of the knobs that mean the same in several sections of ``config.yaml``.

Each knob's type and bounds are defined here once; every setting of it keeps its own key, default
and description, given with ``Field`` as usual (pydantic merges the two), and may narrow the
bounds further.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

#: Timeout of each call to an outside service (an HTTP API, an iCalendar feed, SMTP), in seconds.
RequestTimeout = Annotated[float, Field(gt=0)]

#: Longest wait for the broker to acknowledge a publish, in seconds.
PublishTimeout = Annotated[float, Field(gt=0)]

#: A delay before a retry, in seconds: the first of a doubling backoff or the longest; 0 retries
#: at once.
BackoffSeconds = Annotated[float, Field(ge=0)]

#: How long the state kept about a problem lives untouched before it is forgotten, in hours.
StateTtlHours = Annotated[float, Field(gt=0)]
