"""Adapters that put real agent CLIs on the benchmark: Claude Code, Codex, Gemini CLI and mini-swe-agent.

Each CLI is installed at a pinned version by ``install_cli_agents`` (``ale setup --agents``), runs
inside the sandbox in its non-interactive mode, reaches its model only through the narrow channel
(``lastexam.sandbox.channel``), and has its native transcript normalized into ATIF. Importing this
package registers the harnesses ``claude_code``, ``codex``, ``gemini_cli`` and ``mini_swe_agent``.
"""

from lastexam.agents.cli.adapter import CliAgent, CliDriver, CliOptions
from lastexam.agents.cli.claude_code import ClaudeCodeDriver
from lastexam.agents.cli.codex import CodexDriver
from lastexam.agents.cli.gemini_cli import GeminiCliDriver
from lastexam.agents.cli.install import PACKAGES, entry_point, install_cli_agents, installed
from lastexam.agents.cli.mini_swe_agent import MiniSweAgentDriver
from lastexam.agents.config import AgentConfig
from lastexam.agents.registry import Harness, register_harness

DRIVERS: dict[str, CliDriver] = {d.package.harness: d for d in (ClaudeCodeDriver(), CodexDriver(), GeminiCliDriver(), MiniSweAgentDriver())}


def _harness(driver: CliDriver) -> Harness:
    def build(config: AgentConfig) -> CliAgent:
        return CliAgent(config, driver)

    return Harness(driver.package.harness, build, f"{driver.summary} ({driver.package.spec})",
                   executable=str(entry_point(driver.package.harness)))


for _driver in DRIVERS.values():
    register_harness(_harness(_driver))

__all__ = ["DRIVERS", "PACKAGES", "CliAgent", "CliDriver", "CliOptions", "install_cli_agents", "installed"]
