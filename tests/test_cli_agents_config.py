"""CLI harness configs: the shipped examples build, and what a CLI harness cannot run is a ConfigError."""

from __future__ import annotations

import fcntl
import threading
from pathlib import Path

import pytest
import yaml

from conftest import REPO
from lastexam.agents.cli import PACKAGES, CliAgent, entry_point, install_cli_agents
from lastexam.agents.cli.install import install_dir
from lastexam.agents.config import load_agent_config
from lastexam.agents.registry import build_agent
from lastexam.errors import ConfigError, LastExamError

EXAMPLES = sorted(p for p in (REPO / "agents").glob("*.yaml") if load_agent_config(p).harness in PACKAGES)


def write(tmp_path: Path, **config: object) -> Path:
    path = tmp_path / "cli.yaml"
    path.write_text(yaml.safe_dump({"model": "m", "api_key_env": "ALE_T_CLI_KEY", **config}))
    return path


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_the_example_configs_build_their_cli_agent(path, monkeypatch, tmp_path):
    config = load_agent_config(path)
    monkeypatch.setenv(config.api_key_env, "k")
    monkeypatch.setenv("ALE_CLI_AGENTS_DIR", str(tmp_path))
    (tmp_path / config.harness).mkdir()
    (tmp_path / config.harness / ".ale-installed").write_text(PACKAGES[config.harness].spec)
    entry = tmp_path / config.harness / PACKAGES[config.harness].entry
    entry.parent.mkdir(parents=True)
    entry.touch()
    agent = build_agent(config)
    assert isinstance(agent, CliAgent) and agent.sandbox_url.startswith("http://127.0.0.1:8787")


def test_every_cli_harness_has_an_example():
    assert {load_agent_config(p).harness for p in EXAMPLES} == set(PACKAGES)


@pytest.mark.parametrize("harness", sorted(PACKAGES))
def test_a_cli_that_is_not_installed_names_the_setup_command(harness, tmp_path, monkeypatch):
    monkeypatch.setenv("ALE_T_CLI_KEY", "k")
    monkeypatch.setenv("ALE_CLI_AGENTS_DIR", str(tmp_path / "none"))
    with pytest.raises(ConfigError, match=rf"not installed.*ale setup --agents {harness}"):
        build_agent(load_agent_config(write(tmp_path, harness=harness)))


def test_limits_a_cli_harness_cannot_keep_are_refused(tmp_path, monkeypatch):
    monkeypatch.setenv("ALE_T_CLI_KEY", "k")
    with pytest.raises(ConfigError, match=r"\[limits\].*remove limits.tokens"):
        build_agent(load_agent_config(write(tmp_path, harness="codex", limits={"cost_usd": 1.0})))


def test_install_names_only_known_clis_and_dry_runs(tmp_path, monkeypatch):
    monkeypatch.setenv("ALE_CLI_AGENTS_DIR", str(tmp_path))
    with pytest.raises(LastExamError, match="unknown agent CLI aider"):
        install_cli_agents(["aider"])
    log = install_cli_agents(["codex"], dry_run=True)
    assert log == [f"codex: @openai/codex@0.169.0 would install into {tmp_path / 'codex'}"]
    assert not (tmp_path / "codex").exists()


def test_a_second_setup_waits_for_the_first_and_keeps_what_it_built(tmp_path, monkeypatch):
    monkeypatch.setenv("ALE_CLI_AGENTS_DIR", str(tmp_path))
    second: list[list[str]] = []
    with open(tmp_path / ".install.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # the first setup, mid-install
        waiting = threading.Thread(target=lambda: second.append(install_cli_agents(["codex"])))
        waiting.start()
        waiting.join(0.5)
        assert waiting.is_alive(), "the second setup must wait for the lock"
        built = entry_point("codex")
        built.parent.mkdir(parents=True)
        built.write_text("#!/bin/sh\n")
        (install_dir("codex") / ".ale-installed").write_text(PACKAGES["codex"].spec + "\n")
        fcntl.flock(lock, fcntl.LOCK_UN)
    waiting.join(10)
    assert second == [[f"codex: {PACKAGES['codex'].spec} is installed in {tmp_path / 'codex'}"]]
    assert built.read_text() == "#!/bin/sh\n", "the first setup's install was kept"
