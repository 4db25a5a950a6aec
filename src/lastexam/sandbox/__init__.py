"""Sandboxes: the isolated machine an agent works in (bubblewrap backend); its paths and limits are
``lastexam.contracts.sandbox``."""

from lastexam.sandbox.base import Sandbox, Workspace
from lastexam.sandbox.bwrap import BwrapSandbox, new_workspace, run_in_scratch_sandbox, sandbox_path

__all__ = ["BwrapSandbox", "Sandbox", "Workspace", "new_workspace", "run_in_scratch_sandbox", "sandbox_path"]
