"""Former home of the grading context, kept so that task modules not yet moved to ``lastexam.task`` import.

New code imports from ``lastexam.task``; ``GradeContext`` is the same class as ``lastexam.task.Grading``.
"""

from lastexam.task.grading import Grading, ToolResult
from lastexam.task.values import as_number

GradeContext = Grading

__all__ = ["GradeContext", "ToolResult", "as_number"]
