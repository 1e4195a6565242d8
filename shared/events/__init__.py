"""Versioned event contracts for every topic (CloudEvents 1.0 structured envelopes)."""

from shared.events.audit import AuditRecord, AuditRecordData
from shared.events.classified import ClassifiedError, ClassifiedErrorData, Frequency
from shared.events.codec import (
    decode_event,
    decode_raw_error,
    describe_validation_error,
    lift_custom_alert,
    load_json_object,
)
from shared.events.command import Command, CommandAction, CommandData
from shared.events.common import Actor, ErrorSummary, Severity, Trend, parse_severity
from shared.events.envelope import Envelope, derived_event_id, new_event_id
from shared.events.notification import Notification, NotificationData, Target
from shared.events.raw import CustomAlert, ExceptionInfo, Origin, RawError, RawErrorData, StackFrame
from shared.events.resolution import Resolution, ResolutionData

__all__ = [
    "Actor",
    "AuditRecord",
    "AuditRecordData",
    "ClassifiedError",
    "ClassifiedErrorData",
    "Command",
    "CommandAction",
    "CommandData",
    "CustomAlert",
    "Envelope",
    "ErrorSummary",
    "ExceptionInfo",
    "Frequency",
    "Notification",
    "NotificationData",
    "Origin",
    "RawError",
    "RawErrorData",
    "Resolution",
    "ResolutionData",
    "Severity",
    "StackFrame",
    "Target",
    "Trend",
    "decode_event",
    "decode_raw_error",
    "derived_event_id",
    "describe_validation_error",
    "lift_custom_alert",
    "load_json_object",
    "new_event_id",
    "parse_severity",
]
