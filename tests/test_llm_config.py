"""Agent configs (agents/*.yaml), the harness registry and `ale agents list`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from lastexam.agents import registry, resolve_agent
from lastexam.agents.config import AgentConfig, load_agent_config
from lastexam.agents.llm import LlmAgent, LlmOptions
from lastexam.agents.registry import Harness, harnesses, list_agents, recorded_name, register_harness
from lastexam.cli import app
from lastexam.errors import ConfigError

REPO = Path(__file__).parent.parent


def write(tmp_path: Path, name: str, data: dict | str) -> Path:
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else yaml.safe_dump(data))
    return path


GOOD = {"harness": "llm", "model": "gpt-4o-mini", "base_url": "http://127.0.0.1:9/v1", "api_key_env": "ALE_T_KEY",
        "limits": {"turns": 5, "cost_usd": 1.5}, "options": {"temperature": 0}}


def test_a_config_resolves_to_an_llm_agent_named_by_harness_model_and_file(tmp_path, monkeypatch):
    monkeypatch.setenv("ALE_T_KEY", "secret")
    path = write(tmp_path, "mini.yaml", GOOD)
    agent = resolve_agent(str(path))
    assert isinstance(agent, LlmAgent)
    assert agent.name == "llm:gpt-4o-mini@mini" == recorded_name(str(path))
    assert agent.config.limits.turns == 5 and agent.options.temperature == 0
    named = write(tmp_path, "other.yml", {**GOOD, "name": "my-agent"})
    assert recorded_name(str(named)) == "my-agent"
    assert recorded_name("oracle") == "oracle"


@pytest.mark.parametrize(("data", "field", "fix"), [
    ({**GOOD, "limit": {}}, "[limit]", "remove it or fix its spelling"),
    ({k: v for k, v in GOOD.items() if k != "model"}, "[model]", "add it"),
    ({**GOOD, "harness": "gpt"}, "[harness]", "valid value"),
    ({**GOOD, "limits": {"turns": 0}}, "[limits.turns]", "valid value"),
    ({**GOOD, "api_key_env": "sk-live-123"}, "[api_key_env]", "valid value"),
    ({**GOOD, "options": {"temprature": 1}}, "[options.temprature]", "remove it or fix its spelling"),
])
def test_a_bad_config_names_file_field_and_fix(tmp_path, monkeypatch, data, field, fix):
    monkeypatch.setenv("ALE_T_KEY", "secret")
    path = write(tmp_path, "bad.yaml", data)
    with pytest.raises(ConfigError) as caught:
        resolve_agent(str(path))
    message = str(caught.value)
    assert str(path) in message and field in message and "Fix:" in message and fix in message


def test_not_yaml_and_missing_file_are_config_errors(tmp_path):
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_agent_config(write(tmp_path, "x.yaml", "harness: [llm\n"))
    with pytest.raises(ConfigError, match="must hold a mapping"):
        load_agent_config(write(tmp_path, "y.yaml", "- llm\n"))
    with pytest.raises(ConfigError, match="no such agent config"):
        resolve_agent(str(tmp_path / "absent.yaml"))


def test_an_unset_key_variable_is_named_with_the_fix(tmp_path, monkeypatch):
    monkeypatch.delenv("ALE_T_KEY", raising=False)
    path = write(tmp_path, "mini.yaml", GOOD)
    with pytest.raises(ConfigError) as caught:
        resolve_agent(str(path))
    assert "ALE_T_KEY is not set" in str(caught.value) and "export ALE_T_KEY=" in str(caught.value)


def test_ale_run_stops_before_any_trial_when_the_key_is_missing(tmp_path, monkeypatch):
    monkeypatch.delenv("ALE_T_KEY", raising=False)
    path = write(tmp_path, "mini.yaml", GOOD)
    result = CliRunner().invoke(app, ["run", "--agent", str(path), "--tasks", "other/league_table@0",
                                      "--tasks-dir", str(REPO / "tests/fixtures/tasks"),
                                      "--results-dir", str(tmp_path / "results")])
    assert result.exit_code == 2
    output = " ".join(result.output.split())
    assert "[api_key_env]: the environment variable ALE_T_KEY is not set" in output
    assert "Fix: export ALE_T_KEY=" in output
    assert not (tmp_path / "results" / "runs").exists()


def test_a_registered_harness_builds_agents_and_is_listed_with_its_needs(tmp_path, monkeypatch):
    built: list[AgentConfig] = []

    def build(config: AgentConfig) -> LlmAgent:
        built.append(config)
        return LlmAgent(config.model_copy(update={"harness": "llm", "options": {}}))

    monkeypatch.setattr(registry, "HARNESSES", dict(harnesses()))  # harness modules imported first
    register_harness(Harness("codex", build, "test double", executable="ale-no-such-cli"))
    monkeypatch.setenv("ALE_T_KEY", "secret")
    path = write(tmp_path, "codex.yaml", {**GOOD, "harness": "codex", "options": {"anything": 1}})
    assert resolve_agent(str(path)).name == "llm:gpt-4o-mini@codex"
    assert built and built[0].options == {"anything": 1}
    entry = next(e for e in list_agents(tmp_path) if e.harness == "codex")
    assert [(r.kind, r.name, r.present) for r in entry.requirements] == [
        ("env", "ALE_T_KEY", True), ("executable", "ale-no-such-cli", False)]
    assert not entry.ready


def test_a_harness_that_is_not_registered_is_a_config_error(tmp_path, monkeypatch):
    monkeypatch.setattr(registry, "HARNESSES", {k: v for k, v in harnesses().items() if k != "gemini_cli"})
    path = write(tmp_path, "g.yaml", {**GOOD, "harness": "gemini_cli"})
    with pytest.raises(ConfigError, match=r"\[harness\].*not available here.*Fix: use one of: .*llm"):
        resolve_agent(str(path))


def test_agents_list_shows_builtins_configs_needs_and_presence(tmp_path, monkeypatch):
    monkeypatch.delenv("ALE_T_KEY", raising=False)
    monkeypatch.setenv("ALE_T_KEY2", "set")
    write(tmp_path, "a.yaml", GOOD)
    write(tmp_path, "b.yaml", {**GOOD, "api_key_env": "ALE_T_KEY2"})
    write(tmp_path, "c.yaml", {**GOOD, "modle": "x"})
    result = CliRunner().invoke(app, ["agents", "list", "--agents-dir", str(tmp_path), "--json"])
    assert result.exit_code == 0, result.output
    entries = {e["spec"].rsplit("/", 1)[-1]: e for e in json.loads(result.output)}
    assert {"oracle", "nop", "script:PATH"} <= set(entries)
    assert entries["a.yaml"]["requirements"] == [
        {"kind": "env", "name": "ALE_T_KEY", "present": False, "fix": "export ALE_T_KEY=<your API key>"}]
    assert entries["a.yaml"]["ready"] is False and entries["a.yaml"]["name"] == "llm:gpt-4o-mini@a"
    assert entries["b.yaml"]["ready"] is True
    assert "[modle]" in entries["c.yaml"]["problem"] and entries["c.yaml"]["ready"] is False
    table = CliRunner().invoke(app, ["agents", "list", "--agents-dir", str(tmp_path)], terminal_width=200)
    assert "$ALE_T_KEY (missing)" in table.output and "llm:gpt-4o-mini@b" in table.output


def test_the_shipped_agent_configs_load():
    configs = sorted((REPO / "agents").glob("*.yaml"))
    assert configs
    for path in configs:
        config = load_agent_config(path)
        assert config.api_key_env is None or config.api_key_env.isupper()
        if config.harness == "llm":
            config.parse_options(LlmOptions)
