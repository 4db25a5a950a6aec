"""The llm agent loop's own cost per step, against the local scripted model server, beside a bare
HTTP round trip to the same server measured in the same run.

    .venv/bin/python benchmarks/agent_overhead.py [--steps 200] [--sandbox-steps 20]

Loop: the ``llm`` agent runs ``--steps`` model turns whose tool call names no tool (so no sandbox
process starts): per step, one model call through the openai SDK plus the loop's bookkeeping
(parsing, accounting, limits, context management, the ATIF step). Bare: the very same request
bodies the loop sent, posted again with ``http.client`` over one keep-alive connection. Also shown:
a step whose tool call is a real ``shell`` command (``true``) in a bubblewrap sandbox.
Prints medians per step and the ratio loop / bare.
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from lastexam.agents.base import AgentContext
from lastexam.agents.config import AgentConfig
from lastexam.agents.llm import LlmAgent
from lastexam.contracts.sandbox import Limits
from lastexam.sandbox import BwrapSandbox, new_workspace

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from modelserver import ModelServer, Reply, TokenUsage, call

USAGE = TokenUsage(prompt_tokens=1000, completion_tokens=20)


def run_loop(server: ModelServer, steps: int, tool: Reply) -> tuple[list[float], list[float]]:
    """Per-step wall seconds and model-call seconds of one agent run of ``steps`` turns."""
    server.add(*[tool] * steps, Reply(tool_calls=[call("finish", summary="done")], usage=USAGE))
    os.environ["ALE_BENCH_KEY"] = "k"
    agent = LlmAgent(AgentConfig(harness="llm", model="gpt-4o-mini", base_url=server.base_url,
                                 api_key_env="ALE_BENCH_KEY", limits={"turns": steps + 1}))
    workspace = new_workspace()
    agent.stage(workspace, None)  # type: ignore[arg-type]  # the llm agent stages no task files
    logs = Path(tempfile.mkdtemp(prefix="ale-bench-logs-"))
    sandbox = BwrapSandbox(workspace, Limits())
    try:
        run = asyncio.run(agent.run(sandbox, AgentContext(instruction="benchmark", timeout=3600, logs_dir=logs)))
    finally:
        sandbox.close()
        shutil.rmtree(logs, ignore_errors=True)
    assert run.outcome == "completed", run.detail
    metrics = [s.metrics.extra for s in run.trajectory.steps if s.metrics and s.metrics.extra][:-1]
    return [m["wall_seconds"] for m in metrics], [m["model_seconds"] for m in metrics]


def bare_round_trips(server: ModelServer, bodies: list[dict]) -> list[float]:
    """Seconds per POST of each body over one keep-alive connection (the server answers each)."""
    server.add(*[Reply(tool_calls=[call("noop")], usage=USAGE)] * len(bodies))
    connection = http.client.HTTPConnection("127.0.0.1", server.port)
    times = []
    for body in bodies:
        data = json.dumps(body).encode()
        started = time.perf_counter()
        connection.request("POST", "/v1/chat/completions", body=data,
                           headers={"Content-Type": "application/json", "Authorization": "Bearer k"})
        response = connection.getresponse()
        json.loads(response.read())
        times.append(time.perf_counter() - started)
        assert response.status == 200
    connection.close()
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--sandbox-steps", type=int, default=20)
    args = parser.parse_args()
    with ModelServer() as server:
        loop_wall, loop_model = run_loop(server, args.steps, Reply(tool_calls=[call("noop")], usage=USAGE))
        bodies = [r.body for r in server.requests[:args.steps]]
        bare = bare_round_trips(server, bodies)
        shell_wall, _ = run_loop(server, args.sandbox_steps,
                                 Reply(tool_calls=[call("shell", command="true")], usage=USAGE))
    ms = 1000.0
    loop, bare_median = statistics.median(loop_wall), statistics.median(bare)
    size = statistics.median(len(json.dumps(b)) for b in bodies)
    bookkeeping = (sum(loop_wall) - sum(loop_model)) / len(loop_wall)
    print(f"llm loop step (no sandbox exec), {args.steps} steps: median {loop * ms:.2f} ms "
          f"(the SDK call: median {statistics.median(loop_model) * ms:.2f} ms; the loop's own work around it: "
          f"mean {bookkeeping * ms:.2f} ms)")
    print(f"bare HTTP round trip, same {len(bodies)} request bodies (median {size / 1024:.1f} KiB): "
          f"median {bare_median * ms:.2f} ms")
    print(f"ratio loop / bare: {loop / bare_median:.2f}x")
    print(f"llm loop step with a real sandbox exec (shell true), {args.sandbox_steps} steps: "
          f"median {statistics.median(shell_wall) * ms:.2f} ms")


if __name__ == "__main__":
    main()
