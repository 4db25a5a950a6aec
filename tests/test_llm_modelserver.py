"""The scripted model server speaks the real protocol: checked with the openai SDK as the client."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import openai
import pytest

from modelserver import Failure, ModelServer, Reply, TokenUsage, call, dump_script

TESTS = Path(__file__).parent
ASK = {"model": "m", "messages": [{"role": "user", "content": "hi"}]}


def client(server: ModelServer) -> openai.OpenAI:
    return openai.OpenAI(base_url=server.base_url, api_key="k", max_retries=0)


def test_replies_failures_and_their_repetition_follow_the_script():
    turns = [Failure(status=503, times=2, message="busy"), Failure(status=429, retry_after=1.5),
             Reply(content="hello", reasoning="think", usage=TokenUsage(prompt_tokens=9, completion_tokens=2,
                                                                         cached_tokens=4, cost=0.5)),
             Failure(drop_connection=True), Failure(status=500, times=None)]
    with ModelServer(turns) as server:
        api = client(server)
        for _ in range(2):
            with pytest.raises(openai.InternalServerError, match="busy"):
                api.chat.completions.create(**ASK)
        with pytest.raises(openai.RateLimitError) as limited:
            api.chat.completions.create(**ASK)
        assert limited.value.response.headers["retry-after"] == "1.5"
        reply = api.chat.completions.create(**ASK).to_dict()
        assert reply["choices"][0]["message"]["content"] == "hello"
        assert reply["choices"][0]["message"]["reasoning_content"] == "think"
        assert reply["usage"]["prompt_tokens_details"]["cached_tokens"] == 4 and reply["usage"]["cost"] == 0.5
        with pytest.raises(openai.APIConnectionError):
            api.chat.completions.create(**ASK)
        for _ in range(3):
            with pytest.raises(openai.InternalServerError):
                api.chat.completions.create(**ASK)
        assert server.remaining == 1 and server.exhausted == 0 and len(server.requests) == 8


def test_a_spent_script_answers_400_and_counts_it():
    with ModelServer([Reply(content="only")]) as server:
        client(server).chat.completions.create(**ASK)
        with pytest.raises(openai.BadRequestError, match="no more turns"):
            client(server).chat.completions.create(**ASK)
        assert server.exhausted == 1


def test_streamed_tool_calls_and_usage_assemble_in_the_sdk():
    long_command = "echo " + "x" * 300
    with ModelServer([Reply(content="Running it now.", tool_calls=[call("shell", id="c1", command=long_command),
                                                                  call("finish", summary="ok")],
                            usage=TokenUsage(prompt_tokens=50, completion_tokens=7))]) as server:
        stream = client(server).chat.completions.create(**ASK, stream=True, stream_options={"include_usage": True})
        content, calls, usage, finish = "", {}, None, None
        for chunk in stream:
            usage = chunk.usage or usage
            for choice in chunk.choices:
                content += choice.delta.content or ""
                finish = choice.finish_reason or finish
                for delta in choice.delta.tool_calls or []:
                    entry = calls.setdefault(delta.index, {"id": delta.id, "name": "", "arguments": ""})
                    entry["name"] += (delta.function.name or "") if delta.function else ""
                    entry["arguments"] += (delta.function.arguments or "") if delta.function else ""
    assert content == "Running it now." and finish == "tool_calls"
    assert calls[0] == {"id": "c1", "name": "shell", "arguments": f'{{"command": "{long_command}"}}'}
    assert calls[1]["name"] == "finish" and usage.prompt_tokens == 50 and usage.completion_tokens == 7


def test_the_server_runs_as_its_own_process_from_a_json_script(tmp_path):
    script = tmp_path / "turns.json"
    script.write_text(dump_script([Failure(status=429), Reply(tool_calls=[call("finish", summary="s")])]))
    process = subprocess.Popen([sys.executable, "-m", "modelserver", "--script", str(script)], cwd=TESTS,
                               stdout=subprocess.PIPE, text=True)
    try:
        base_url = process.stdout.readline().strip()
        assert base_url.startswith("http://127.0.0.1:") and base_url.endswith("/v1")
        api = openai.OpenAI(base_url=base_url, api_key="k", max_retries=1)  # the SDK's own retry takes the 429
        reply = api.chat.completions.create(**ASK)
        assert reply.choices[0].message.tool_calls[0].function.name == "finish"
    finally:
        process.terminate()
        assert process.wait(timeout=10) == 0
