"""The narrow channel's host proxy, spoken to over its unix socket as the sandbox's relay would.

Upstream is the local model server; the client is a real HTTP client on the socket. Also: the
relay program itself inside a real sandbox, and a CLI stopped by the channel at its turn limit.
"""

from __future__ import annotations

import asyncio
import json
import socket
from pathlib import Path

import httpx2
import pytest

from cli_agent_trials import SECRET, require_installed, run_cli_trial, trajectory_of
from lastexam.contracts.sandbox import Limits
from lastexam.sandbox import BwrapSandbox, new_workspace
from lastexam.sandbox.channel import (
    OPENAI_CHAT,
    SANDBOX_SOCKET_DIR,
    Credential,
    ModelChannel,
    forward_command,
    model_calls,
    sandbox_base_url,
    stage_forwarder,
)
from modelserver import Failure, ModelServer, Reply, TokenUsage, call


def exchange(base_url: str, tmp_path: Path, requests: list[tuple[str, str, dict]], **channel: object):
    """Send ``requests`` (method, path, headers) through a channel to ``base_url``; returns responses and the channel."""

    async def go():  # type: ignore[no-untyped-def]
        async with ModelChannel(base_url, credential=Credential.bearer(SECRET), socket_dir=tmp_path / "ch",
                                log_path=tmp_path / "channel.jsonl", **channel) as ch:  # type: ignore[arg-type]
            transport = httpx2.AsyncHTTPTransport(uds=str(ch.socket_path))
            async with httpx2.AsyncClient(transport=transport, base_url="http://127.0.0.1:8787") as client:
                answers = []
                for method, path, headers in requests:
                    body = {"model": "m", "messages": [{"role": "user", "content": "hi"}], "stream": "stream" in path}
                    answers.append(await client.request(method, path.replace("?stream", ""), json=body,
                                                        headers=headers))
                return answers, ch

    return asyncio.run(go())


def test_the_sandbox_url_keeps_the_endpoint_path_on_the_loopback_port():
    assert sandbox_base_url("https://openrouter.ai/api/v1") == "http://127.0.0.1:8787/api/v1"
    assert sandbox_base_url("https://api.anthropic.com") == "http://127.0.0.1:8787"
    with pytest.raises(ValueError, match="not an http"):
        sandbox_base_url("file:///etc/passwd")


def test_the_channel_swaps_the_credential_and_reaches_only_the_endpoint(tmp_path):
    with ModelServer([Reply(content="one"), Reply(content="two")]) as server:
        answers, channel = exchange(server.base_url, tmp_path, [
            ("POST", "/v1/chat/completions?key=sandbox", {"authorization": "Bearer sandbox-key", "x-api-key": "s"}),
            ("POST", "/v1/../../etc/chat/completions", {}),
            ("POST", "/elsewhere/chat/completions", {}),
            ("DELETE", "/v1/chat/completions", {}),
            ("POST", "/v1/chat/completions?stream", {}),
        ])
        received = list(server.requests)
    assert [a.status_code for a in answers] == [200, 403, 403, 405, 200]
    assert answers[0].json()["choices"][0]["message"]["content"] == "one"
    assert "chat.completion.chunk" in answers[4].text and answers[4].text.endswith("data: [DONE]\n\n")
    assert len(received) == 2
    assert received[0].headers["authorization"] == f"Bearer {SECRET}" and "x-api-key" not in received[0].headers
    assert received[0].path == "/v1/chat/completions"  # the sandbox's key=... query was dropped
    assert channel.stats.model_calls == 2 and not channel.stats.last_failed
    log = [json.loads(line) for line in (tmp_path / "channel.jsonl").read_text().splitlines()]
    assert [entry["status"] for entry in log] == [200, 403, 403, 405, 200]


def test_only_the_protocols_model_calls_and_listings_are_forwarded_with_the_key(tmp_path):
    chat = model_calls(OPENAI_CHAT)
    refused = [("POST", "/v1/batches"), ("POST", "/v1/files"), ("POST", "/v1/embeddings"), ("GET", "/v1/files"),
               ("GET", "/v1/chat/completions"), ("POST", "/v1/chat/completions/"), ("POST", "/v1//chat/completions"),
               ("POST", "/v1/%2e%2e/v1/chat/completions"), ("POST", "/v1/chat%2fcompletions"),
               ("POST", "/v1/..%2fchat/completions")]
    with ModelServer([Reply(content="one")]) as server:
        answers, channel = exchange(server.base_url, tmp_path, [(m, p, {}) for m, p in refused]
                                    + [("GET", "/v1/models", {}), ("POST", "/v1/chat/completions", {})],
                                    model_calls=chat)
        received = [r.path for r in server.requests]
    statuses = [a.status_code for a in answers]
    assert all(status in (400, 403, 404) for status in statuses[:-2]), str(list(zip(refused, statuses[:-2], strict=True)))
    assert statuses[-2:] == [200, 200]
    assert received == ["/v1/chat/completions"] and channel.stats.model_calls == 1


def test_a_malformed_request_is_answered_400_and_the_channel_goes_on(tmp_path):
    async def go():  # type: ignore[no-untyped-def]
        async with ModelChannel("http://127.0.0.1:9/v1", credential=None, socket_dir=tmp_path / "ch") as ch:
            answers = []
            for raw in (b"POST /v1/chat/completions HTTP/1.1\r\ncontent-length: lots\r\n\r\n",
                        b"POST /v1/chat/completions HTTP/1.1\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n",
                        b"NONSENSE\r\n\r\n"):
                reader, writer = await asyncio.open_unix_connection(str(ch.socket_path))
                writer.write(raw)
                await writer.drain()
                answers.append((await reader.read()).split(b"\r\n", 1)[0])
                writer.close()
            return answers

    assert asyncio.run(go()) == [b"HTTP/1.1 400 Bad Request"] * 3


def test_the_channel_counts_answered_calls_and_refuses_calls_past_the_limit(tmp_path):
    with ModelServer([Failure(status=503), Reply(content="ok"), Reply(content="ok")]) as server:
        answers, channel = exchange(server.base_url, tmp_path, [("POST", "/v1/chat/completions", {})] * 4, max_calls=2)
    assert [a.status_code for a in answers] == [503, 200, 200, 429]
    assert channel.stop_reason == "limit" and channel.stopped.is_set() and channel.stats.refused == 1
    assert channel.stats.model_calls == 2
    assert channel.stats.upstream_failures == ["HTTP 503"] and not channel.stats.last_failed


def test_the_channel_gives_up_on_a_service_that_keeps_failing(tmp_path):
    with ModelServer([Failure(status=500, times=None)]) as server:
        answers, channel = exchange(server.base_url, tmp_path, [("POST", "/v1/chat/completions", {})] * 3,
                                    max_failures=3)
    assert [a.status_code for a in answers] == [500, 500, 500]
    assert channel.stop_reason == "service" and channel.stats.failures_in_a_row == 3 and channel.stats.model_calls == 0


def test_an_unreachable_endpoint_is_a_502_and_an_upstream_failure(tmp_path):
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    answers, channel = exchange(f"http://127.0.0.1:{port}/v1", tmp_path, [("POST", "/v1/chat/completions", {})])
    assert answers[0].status_code == 502 and channel.stats.last_failed


def test_the_relay_in_a_real_sandbox_reaches_the_model_and_nothing_else(tmp_path):
    workspace = new_workspace()
    stage_forwarder(workspace.agent)
    workspace.extra_ro_binds.append((workspace.root / "channel", SANDBOX_SOCKET_DIR))
    (workspace.root / "channel").mkdir()
    probe = (
        "import json, socket, sys, urllib.request\n"
        "body = json.dumps({'model': 'm', 'messages': []}).encode()\n"
        "request = urllib.request.Request(sys.argv[1] + '/chat/completions', body, {'Content-Type': 'application/json'})\n"
        "print('MODEL', json.load(urllib.request.urlopen(request))['choices'][0]['message']['content'])\n"
        "for host, port in (('127.0.0.1', int(sys.argv[2])), ('1.1.1.1', 443)):\n"
        "    try:\n"
        "        socket.create_connection((host, port), timeout=3)\n"
        "        print('REACHED', host)\n"
        "    except OSError as exc:\n"
        "        print('BLOCKED', host, type(exc).__name__)\n"
    )

    async def go():  # type: ignore[no-untyped-def]
        with ModelServer([Reply(content="through the channel")]) as server:
            sandbox = BwrapSandbox(workspace, Limits(memory_mb=1024, processes=64))
            try:
                async with ModelChannel(server.base_url, credential=None, socket_dir=workspace.root / "channel"):
                    argv = forward_command(["/usr/bin/python3", "-c", probe, sandbox_base_url(server.base_url),
                                            str(server.port)])
                    result = await sandbox.exec(argv, timeout=60, stdout=tmp_path / "out", stderr=tmp_path / "err")
            finally:
                sandbox.close()
            return result

    result = asyncio.run(go())
    out = (tmp_path / "out").read_text()
    assert result.returncode == 0, (tmp_path / "err").read_text()
    assert "MODEL through the channel" in out
    assert "BLOCKED 127.0.0.1 ConnectionRefusedError" in out and "BLOCKED 1.1.1.1" in out and "REACHED" not in out


def test_a_cli_past_its_turn_limit_is_stopped_by_the_channel(tmp_path, monkeypatch):
    require_installed("claude_code")
    usage = TokenUsage(prompt_tokens=1000, completion_tokens=10)
    looping = Reply(tool_calls=[call("Bash", command="ls /workspace/input")], usage=usage)
    with ModelServer([looping, looping, looping], on_exhausted=Failure(status=500, times=None)) as server:
        result = run_cli_trial("claude_code", "claude-sonnet-4-20250514", server.base_url.removesuffix("/v1"), tmp_path,
                               monkeypatch, limits={"turns": 2})
        assert server.remaining == 1 and server.exhausted == 0
    assert result.agent_outcome == "limit" and result.status == "failed"
    channel = trajectory_of(result)["final_metrics"]["extra"]["channel"]
    assert channel["model_calls"] == 2 and channel["refused"] >= 1
    assert result.usage.turns == 2 and result.usage.input_tokens == 2000


def test_a_cli_that_the_model_service_turns_away_is_an_infra_error(tmp_path, monkeypatch):
    require_installed("claude_code")
    with ModelServer([Failure(status=401, message="invalid x-api-key", times=None)]) as server:
        result = run_cli_trial("claude_code", "claude-sonnet-4-20250514", server.base_url.removesuffix("/v1"), tmp_path,
                               monkeypatch, limits={"turns": 5}, options={"max_service_failures": 2})
    assert result.status == "infra_error" and result.agent_outcome == "crashed"
    assert "failed 2 times in a row (last: HTTP 401)" in (result.error or "") and result.usage.turns == 0
    assert trajectory_of(result)["final_metrics"]["extra"]["channel"]["upstream_failures"][-1] == "HTTP 401"


def test_a_cli_whose_model_service_hangs_until_the_wall_limit_is_an_infra_error(tmp_path, monkeypatch):
    require_installed("claude_code")
    with ModelServer([Reply(content="late", delay_sec=25)]) as server:
        result = run_cli_trial("claude_code", "claude-sonnet-4-20250514", server.base_url.removesuffix("/v1"), tmp_path,
                               monkeypatch, limits={"wall_sec": 15}, options={"unanswered_sec": 3})
    assert result.status == "infra_error" and result.agent_outcome == "crashed", (result.agent_outcome, result.error)
    assert "had not answered a request for" in (result.error or "") and "15 s wall limit" in (result.error or "")
