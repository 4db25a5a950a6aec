"""Errors that carry what a user needs to fix the problem."""

from __future__ import annotations

from pathlib import Path


class LastExamError(Exception):
    """Base class for every error the framework raises on purpose."""


class ConfigError(LastExamError):
    """Bad user input (a task file, a config, a selector): names the file, the field and the fix."""

    def __init__(self, file: str | Path | None, field: str | None, problem: str, fix: str) -> None:
        self.file = str(file) if file is not None else None
        self.field = field
        self.problem = problem
        self.fix = fix
        where = self.file or "<input>"
        if field:
            where += f" [{field}]"
        super().__init__(f"{where}: {problem}. Fix: {fix}")


class SandboxError(LastExamError):
    """The sandbox could not be created or driven (an infrastructure failure, never the agent's)."""


class GraderError(LastExamError):
    """The grader crashed, hit a limit or ran out of time (whose fault: ``grading.blame`` decides)."""


class MissingToolError(GraderError):
    """A program a grader asked to run (``g.run_tool``) is not installed on this machine: a setup fault,
    an infrastructure error whatever the agent's output."""
