"""The built-in agents: ``oracle`` (the task's solution), ``nop`` (does nothing), ``script:PATH``."""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path

from lastexam.agents.base import INSTRUCTION_PATH, AgentContext, sandbox_limit_detail
from lastexam.contracts.agent import AgentRun, Usage
from lastexam.contracts.sandbox import AGENT_DIR
from lastexam.contracts.trajectory import AgentInfo, Observation, ObservationResult, ToolCall, Trajectory
from lastexam.desktop import keep_final_screenshot, record_final_screenshot
from lastexam.errors import ConfigError
from lastexam.sandbox import Sandbox, Workspace
from lastexam.tasks.loader import Task

_TAIL = 4000


def _tail(path: Path) -> str:
    text = path.read_text(errors="replace") if path.exists() else ""
    return text if len(text) <= _TAIL else "[... earlier output elided ...]\n" + text[-_TAIL:]


class CommandAgent:
    """An agent that is one program run inside the sandbox; its trajectory is that one command."""

    def __init__(self, name: str, version: str = "1") -> None:
        self.name = name
        self.version = version

    def stage(self, workspace: Workspace, task: Task) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def argv(self) -> list[str]:  # pragma: no cover - overridden
        raise NotImplementedError

    async def run(self, sandbox: Sandbox, context: AgentContext) -> AgentRun:
        trajectory = Trajectory(session_id=str(uuid.uuid4()), agent=AgentInfo(name=self.name, version=self.version))
        trajectory.add_step("user", context.instruction)
        argv = self.argv()
        out, err = context.logs_dir / "agent.stdout", context.logs_dir / "agent.stderr"
        result = await sandbox.exec(argv, env={"ALE_INSTRUCTION": INSTRUCTION_PATH}, timeout=context.timeout,
                                    stdout=out, stderr=err)
        limit = None if result.limit in (None, "wall") else result.limit
        if result.timed_out:
            outcome, detail = "timeout", f"stopped at the {context.timeout:g} s limit"
        elif limit:
            outcome, detail = "limit", sandbox_limit_detail(limit)
        elif result.returncode != 0:
            outcome, detail = "crashed", f"exited with status {result.returncode}"
        else:
            outcome, detail = "completed", ""
        observation = f"exit status: {result.returncode}\n--- stdout ---\n{_tail(out)}\n--- stderr ---\n{_tail(err)}"
        trajectory.add_step(
            "agent", f"ran {' '.join(argv)}",
            tool_calls=[ToolCall(tool_call_id="call_1", function_name="exec", arguments={"argv": argv})],
            observation=Observation(results=[ObservationResult(source_call_id="call_1", content=observation)]),
            extra={"duration_sec": round(result.duration, 3)},
        )
        if sandbox.display:
            record_final_screenshot(trajectory, keep_final_screenshot(sandbox.workspace, context.logs_dir),
                                    context.logs_dir)
        return AgentRun(outcome=outcome, usage=Usage(), trajectory=trajectory.finalize(), detail=detail,
                        sandbox_limit=limit)


EXEC_TRACE = ["strace", "-f", "-qq", "-s", "256", "-e", "trace=execve", "-e", "signal=none", "--"]
"""Prefix that logs every program a command executes to its stderr, one ``execve(...)`` line each."""


class OracleAgent(CommandAgent):
    """Runs the task's ``solution/`` inside the sandbox, exactly as an agent would run.

    With ``trace_exec`` (agent ``oracle:traced``) it runs under ``EXEC_TRACE``, so that the programs
    the solution executes are in ``logs/agent.stderr`` (read with ``lastexam.runner.validate.executed_declared``).
    """

    def __init__(self, *, trace_exec: bool = False) -> None:
        super().__init__("oracle")
        self._entry = "solve.sh"
        self._trace_exec = trace_exec

    def stage(self, workspace: Workspace, task: Task) -> None:
        shutil.copytree(task.solution_dir, workspace.agent, dirs_exist_ok=True)
        self._entry = task.solution_entrypoint

    def argv(self) -> list[str]:
        interpreter = "python3" if self._entry.endswith(".py") else "bash"
        return [*(EXEC_TRACE if self._trace_exec else []), interpreter, f"{AGENT_DIR}/{self._entry}"]


class NopAgent(CommandAgent):
    """Does nothing: the floor every task must score 0 against."""

    def __init__(self) -> None:
        super().__init__("nop")

    def stage(self, workspace: Workspace, task: Task) -> None:
        return None

    def argv(self) -> list[str]:
        return ["true"]


class ScriptAgent(CommandAgent):
    """Any executable on the host, copied in and run inside the sandbox as the agent."""

    def __init__(self, path: Path) -> None:
        path = Path(path)
        if not path.is_file():
            raise ConfigError(path, "--agent", "no such file for a script agent", "give the path of an executable file")
        super().__init__(f"script:{path.name}")
        self.path = path

    def stage(self, workspace: Workspace, task: Task) -> None:
        shutil.copy(self.path, workspace.agent / self.path.name)

    def argv(self) -> list[str]:
        script = f"{AGENT_DIR}/{self.path.name}"
        with open(self.path, "rb") as handle:
            has_shebang = handle.read(2) == b"#!"
        return [script] if has_shebang else ["bash", script]
