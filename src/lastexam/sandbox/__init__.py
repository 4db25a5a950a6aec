"""Sandboxes: the isolated machine an agent works in (bubblewrap backend)."""

from lastexam.sandbox.base import (
    AGENT_DIR,
    HOME_DIR,
    INPUT_DIR,
    OUTPUT_DIR,
    ExecResult,
    Limits,
    Sandbox,
    Workspace,
)
from lastexam.sandbox.bwrap import BwrapSandbox, new_workspace, run_in_scratch_sandbox, tools_dir

__all__ = [
    "AGENT_DIR", "HOME_DIR", "INPUT_DIR", "OUTPUT_DIR", "BwrapSandbox", "ExecResult", "Limits",
    "Sandbox", "Workspace", "new_workspace", "run_in_scratch_sandbox", "tools_dir",
]
