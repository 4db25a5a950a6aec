"""The model server's other protocols, answered without streaming and as errors (the CLIs test the streams)."""

from __future__ import annotations

import httpx2

from modelserver import Failure, ModelServer, Reply, TokenUsage, call

USAGE = TokenUsage(prompt_tokens=1000, completion_tokens=50, cached_tokens=300, cache_write_tokens=100,
                   reasoning_tokens=20)
REPLY = Reply(content="text", reasoning="think", tool_calls=[call("run", command="ls")], usage=USAGE)


def post(server: ModelServer, path: str, body: dict) -> httpx2.Response:
    return httpx2.post(f"http://127.0.0.1:{server.port}{path}", json=body, timeout=10)


def test_anthropic_messages_count_cache_outside_the_input_and_send_blocks():
    with ModelServer([REPLY, Failure(status=529, message="busy")]) as server:
        message = post(server, "/v1/messages?beta=true", {"model": "claude-x", "messages": []}).json()
        failed = post(server, "/v1/messages", {"model": "claude-x", "messages": []})
    assert [b["type"] for b in message["content"]] == ["thinking", "text", "tool_use"]
    assert message["content"][2]["input"] == {"command": "ls"} and message["stop_reason"] == "tool_use"
    assert message["usage"] == {"input_tokens": 600, "cache_read_input_tokens": 300,
                                "cache_creation_input_tokens": 100, "output_tokens": 50}
    assert failed.status_code == 529 and failed.json()["error"]["type"] == "overloaded_error"


def test_openai_responses_have_items_and_usage_with_cached_inside_the_input():
    with ModelServer([REPLY]) as server:
        response = post(server, "/v1/responses", {"model": "gpt-x", "input": "hi"}).json()
    assert [i["type"] for i in response["output"]] == ["reasoning", "message", "function_call"]
    assert response["output"][2]["arguments"] == '{"command": "ls"}' and response["status"] == "completed"
    assert response["usage"]["input_tokens"] == 1000 and response["usage"]["input_tokens_details"]["cached_tokens"] == 300
    assert response["usage"]["output_tokens_details"]["reasoning_tokens"] == 20


def test_gemini_generate_content_reports_thoughts_apart_from_candidates():
    with ModelServer([REPLY, Failure(status=429)]) as server:
        answer = post(server, "/v1beta/models/gemini-x:generateContent", {"contents": []}).json()
        failed = post(server, "/v1beta/models/gemini-x:generateContent", {"contents": []})
        missing = post(server, "/v1beta/models/gemini-x:countTokens", {"contents": []})
    parts = answer["candidates"][0]["content"]["parts"]
    assert parts[0] == {"text": "think", "thought": True} and parts[2]["functionCall"]["args"] == {"command": "ls"}
    assert answer["modelVersion"] == "gemini-x"
    assert answer["usageMetadata"] == {"promptTokenCount": 1000, "cachedContentTokenCount": 300,
                                       "candidatesTokenCount": 30, "thoughtsTokenCount": 20, "totalTokenCount": 1050}
    assert failed.status_code == 429 and failed.json()["error"]["status"] == "RESOURCE_EXHAUSTED"
    assert missing.status_code == 404
