"""Versioned event contracts for every topic (CloudEvents 1.0 structured envelopes)."""

from shared.events.audit import AuditOutcome, AuditRecord, AuditRecordData
from shared.events.classified import (
    CORE_CATEGORIES,
    ClassifiedError,
    ClassifiedErrorData,
    Frequency,
    Incident,
    IncidentLink,
)
from shared.events.codec import (
    decode_event,
    decode_raw_error,
    describe_validation_error,
    lift_custom_alert,
    load_json_object,
)
from shared.events.command import Command, CommandAction, CommandData
from shared.events.common import (
    Actor,
    ErrorSummary,
    IncidentRef,
    ProblemSignals,
    Severity,
    Trend,
    parse_severity,
)
from shared.events.envelope import Envelope, derived_event_id, new_event_id
from shared.events.long_text import keep_ends
from shared.events.notification import (
    REPORT_KINDS,
    ButtonAction,
    FixOutcome,
    Notification,
    NotificationData,
    NotificationKind,
    Target,
)
from shared.events.raw import CustomAlert, ExceptionInfo, Origin, RawError, RawErrorData, StackFrame
from shared.events.resolution import (
    SAFETY_ORDER,
    Gate,
    Resolution,
    ResolutionData,
    ResolutionStatus,
    SafetyLevel,
)
from shared.events.silence import (
    SILENCE_MATCHERS,
    Facts,
    Matchers,
    Silence,
    SilenceData,
    silence_audit,
    silencing,
)

__all__ = [
    "CORE_CATEGORIES",
    "REPORT_KINDS",
    "SAFETY_ORDER",
    "SILENCE_MATCHERS",
    "Actor",
    "AuditOutcome",
    "AuditRecord",
    "AuditRecordData",
    "ButtonAction",
    "ClassifiedError",
    "ClassifiedErrorData",
    "Command",
    "CommandAction",
    "CommandData",
    "CustomAlert",
    "Envelope",
    "ErrorSummary",
    "ExceptionInfo",
    "Facts",
    "FixOutcome",
    "Frequency",
    "Gate",
    "Incident",
    "IncidentLink",
    "IncidentRef",
    "Matchers",
    "Notification",
    "NotificationData",
    "NotificationKind",
    "Origin",
    "ProblemSignals",
    "RawError",
    "RawErrorData",
    "Resolution",
    "ResolutionData",
    "ResolutionStatus",
    "SafetyLevel",
    "Severity",
    "Silence",
    "SilenceData",
    "StackFrame",
    "Target",
    "Trend",
    "decode_event",
    "decode_raw_error",
    "derived_event_id",
    "describe_validation_error",
    "keep_ends",
    "lift_custom_alert",
    "load_json_object",
    "new_event_id",
    "parse_severity",
    "silence_audit",
    "silencing",
]
