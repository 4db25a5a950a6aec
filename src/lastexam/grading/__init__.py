"""Grading: the Check/Grade model and the isolated grader runner (the task author's API is ``lastexam.task``)."""

from lastexam.grading.model import Check, Grade, Probe

__all__ = ["Check", "Grade", "Probe"]
