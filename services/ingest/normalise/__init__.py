"""Pure normalisation: a vendor payload in, ``RawError`` events out. No I/O, no clock, no HTTP.

Each function raises :class:`services.ingest.errors.InvalidPayload` naming the field when a
required part is missing or wrong; optional parts of the wrong shape are dropped (tolerant reader).
"""
