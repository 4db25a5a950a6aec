"""Every trajectory the framework writes validates against the packaged ATIF v1.7 JSON Schema."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from conftest import FIXTURE_TASKS
from lastexam.contracts.trajectory import json_schema, packaged_json_schema
from lastexam.runner.config import ExperimentConfig
from lastexam.runner.experiment import run_experiment
from modelserver import ModelServer, Reply, TokenUsage, call

VALIDATOR = jsonschema.Draft202012Validator(packaged_json_schema())


def test_the_packaged_schema_is_the_one_the_models_generate():
    assert packaged_json_schema() == json_schema(), (
        "src/lastexam/data/atif-v1.7.schema.json is stale. Fix: python -c \"import json; from lastexam.contracts.trajectory "
        "import json_schema; print(json.dumps(json_schema(), indent=2))\" > src/lastexam/data/atif-v1.7.schema.json")
    jsonschema.Draft202012Validator.check_schema(packaged_json_schema())


@pytest.fixture(scope="module")
def trajectories(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    """One trajectory each from oracle, nop and llm (with tools, an image, an elision and a limit stop)."""
    tmp = tmp_path_factory.mktemp("atif")
    png = ("python3 -c \"import base64;open('/home/agent/p.png','wb').write(base64.b64decode("
           "'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4z8AAAAMBAQDJ/pLvAAAAAElFTkSuQmCC'))\"")
    turns = [Reply(content="start", reasoning="plan first", tool_calls=[call("shell", command=png)],
                   usage=TokenUsage(prompt_tokens=3000, completion_tokens=20, cached_tokens=100, cost=0.001)),
             Reply(tool_calls=[call("view_image", path="/home/agent/p.png"), call("list_dir", path="/workspace")]),
             Reply(tool_calls=[call("shell", command="python3 -c \"print('z' * 20000)\"")]),
             Reply(tool_calls=[call("read_file", path="/workspace/input/matches.csv")])]
    with ModelServer(turns) as server, pytest.MonkeyPatch.context() as patch:
        patch.setenv("ALE_TEST_MODEL_KEY", "k")
        config = tmp / "llm.yaml"
        config.write_text(yaml.safe_dump({
            "harness": "llm", "model": "gpt-4o-mini", "base_url": server.base_url, "api_key_env": "ALE_TEST_MODEL_KEY",
            "limits": {"turns": 4}, "options": {"context_tokens": 4000, "keep_recent_results": 1}}))
        results = run_experiment(ExperimentConfig(
            name="atif", agents=["oracle", "nop", str(config)], selectors=["other/league_table@0"],
            results_dir=tmp / "results", tasks_dir=FIXTURE_TASKS)).recorded
    return {r.key.agent.split(":")[0]: json.loads((Path(r.run_dir) / "trajectory.json").read_text()) for r in results}


@pytest.mark.parametrize("agent", ["oracle", "nop", "llm"])
def test_trajectories_of_real_runs_validate(trajectories, agent):
    trajectory = trajectories[agent]
    VALIDATOR.validate(trajectory)
    assert trajectory["schema_version"] == "ATIF-v1.7"
    assert [s["step_id"] for s in trajectory["steps"]] == list(range(1, len(trajectory["steps"]) + 1))


def test_the_llm_trajectory_exercises_the_rich_parts_of_the_schema(trajectories):
    steps = trajectories["llm"]["steps"]
    assert any(isinstance(r["content"], list) for s in steps for r in (s["observation"] or {}).get("results", []))
    assert any((s["extra"] or {}).get("context_elision") for s in steps)
    assert steps[-1]["source"] == "system" and (steps[-1]["extra"] or {}).get("stop") == "limit"
    assert steps[2]["reasoning_content"] == "plan first" and steps[2]["metrics"]["cost_usd"] == 0.001


@pytest.mark.parametrize("break_it", [
    lambda t: t.update(schema_version="ATIF-v1.4"),
    lambda t: t["steps"][0].update(step_id=0),
    lambda t: t["steps"][0].update(source="tool"),
    lambda t: t["agent"].pop("name"),
    lambda t: t["steps"][-1].update(surprise=1),
    lambda t: t["steps"][2]["metrics"].update(prompt_tokens="many"),
])
def test_the_schema_rejects_broken_trajectories(trajectories, break_it):
    broken = copy.deepcopy(trajectories["llm"])
    break_it(broken)
    assert not VALIDATOR.is_valid(broken)
