"""The llm agent end to end on a real task: scripted good work passes, scripted wrong work fails.

The task is engineering/active_filter_design, the fastest task whose oracle passes. The scripted
model does the oracle's work the way an agent would: it writes the task's own solution files into
its home directory with write_file and runs them with the shell tool, inside the sandbox.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
import yaml

from lastexam.agents.registry import recorded_name
from lastexam.contracts.trial import TrialResult
from lastexam.runner.trial import run_trial, trial_request
from lastexam.tasks.instance import Instance
from lastexam.tasks.loader import Task, load_task
from modelserver import ModelServer, Reply, call

TASK = Path(__file__).parent.parent / "tasks" / "engineering" / "active_filter_design"
FINISH = Reply(tool_calls=[call("finish", summary="filter designed and verified")])


def run_llm(task: Task, turns: list[Reply], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> TrialResult:
    monkeypatch.setenv("ALE_TEST_MODEL_KEY", "k")
    with ModelServer(turns) as server:
        config = tmp_path / "scripted.yaml"
        config.write_text(yaml.safe_dump({"harness": "llm", "model": "gpt-4o-mini", "base_url": server.base_url,
                                          "api_key_env": "ALE_TEST_MODEL_KEY", "limits": {"turns": 10}}))
        request = trial_request(Instance(task, 0), str(config), 1, tmp_path / "run",
                                agent_name=recorded_name(str(config)))
        result = asyncio.run(run_trial(request))
        assert server.remaining == 0 and server.exhausted == 0
    return result


def test_scripted_solution_work_is_graded_passed(tmp_path, monkeypatch):
    task = load_task(TASK)
    files = sorted(p for p in task.solution_dir.rglob("*") if p.is_file())
    entry = task.solution_entrypoint
    interpreter = "python3" if entry.endswith(".py") else "bash"
    turns = [
        Reply(content="Let me see the inputs.", tool_calls=[call("list_dir", path="/workspace/input")]),
        Reply(content="I will write my design script.", tool_calls=[
            call("write_file", path=f"/home/agent/work/{p.relative_to(task.solution_dir)}", content=p.read_text())
            for p in files]),
        Reply(tool_calls=[call("shell", command=f"cd /home/agent/work && {interpreter} {entry} && ls /workspace/output")]),
        FINISH,
    ]
    result = run_llm(task, turns, tmp_path, monkeypatch)
    assert result.status == "passed" and result.score == 1.0, (result.error, [c for c in result.checks if not c.passed])
    assert result.agent_outcome == "completed" and result.key.agent == "llm:gpt-4o-mini@scripted"
    assert result.usage.turns == 4 and result.usage.input_tokens > 0 and result.usage.cost_usd > 0
    shell_step = json.loads((tmp_path / "run" / "trajectory.json").read_text())["steps"][-2]
    assert shell_step["observation"]["results"][0]["content"].startswith("exit status 0")


def test_scripted_wrong_work_is_graded_failed(tmp_path, monkeypatch):
    netlist = ".subckt FILTER in out\nR1 in out 10k\nC1 out 0 1n\n.ends FILTER\n"
    summary = {"components": {"R1": 10000, "C1": 1e-9}, "opamp_count": 0, "gain_at_fp_db": 0.0,
               "passband_min_gain_db": 0.0, "passband_max_gain_db": 0.0, "stopband_max_gain_db": -60.0,
               "attenuation_at_fs_db": 60.0, "f_3db_hz": 1500.0}
    turns = [
        Reply(tool_calls=[call("write_file", path="/workspace/output/filter.cir", content=netlist),
                          call("write_file", path="/workspace/output/design_summary.json", content=json.dumps(summary))]),
        FINISH,
    ]
    result = run_llm(load_task(TASK), turns, tmp_path, monkeypatch)
    assert result.status == "failed" and not result.passed and result.score < 1.0, result.error
    assert result.agent_outcome == "completed"
    assert any(not c.passed for c in result.checks)
