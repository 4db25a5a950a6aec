"""Grading: the Check/Grade model, the helpers a task's ``grade(g)`` uses, and the isolated runner."""

from lastexam.grading.context import GradeContext, ToolResult
from lastexam.grading.model import Check, Grade

__all__ = ["Check", "Grade", "GradeContext", "ToolResult"]
