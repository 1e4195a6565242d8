"""The safe condition language of the escalation rules (see docs/escalation.md).

Our own tokenizer, parser and evaluator: text is never handed to ``eval``. Compile once with
:func:`compile_expression`; calling the :class:`Expression` with a context of plain values
(strings, numbers, booleans, lists, mappings) gives ``True`` or ``False`` and never raises.
"""

from services.notifier.expr.compiled import MAX_LENGTH, Expression, compile_expression
from services.notifier.expr.errors import ExpressionError
from services.notifier.expr.evaluate import MISSING, value_of
from services.notifier.expr.parser import MAX_DEPTH

__all__ = [
    "MAX_DEPTH",
    "MAX_LENGTH",
    "MISSING",
    "Expression",
    "ExpressionError",
    "compile_expression",
    "value_of",
]
