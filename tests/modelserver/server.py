"""A real HTTP server on 127.0.0.1 that replays a script of model turns (one per request)."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from modelserver import anthropic_messages, gemini, openai_chat, openai_responses
from modelserver.script import Failure, Reply, TurnSource

CHAT_PATHS = ("/v1/chat/completions", "/chat/completions")
PROTOCOLS = (anthropic_messages, openai_responses, gemini)
"""The other protocols, each a module with ``matches(path)``, ``wants_stream(path, body)``,
``response(reply, body, path)``, ``stream(reply, body, path)`` (SSE frames) and ``error(failure)``."""
EXHAUSTED = Failure(status=400, message="modelserver: the script has no more turns", times=None)


@dataclass
class Received:
    """One request the server got: its path, headers (lower-case names) and JSON body."""

    path: str
    headers: dict[str, str]
    body: dict[str, Any]


class ModelServer:
    """Replays ``turns`` over the OpenAI chat-completions protocol (plain JSON or SSE when ``stream``).

    Each POST to ``/v1/chat/completions`` takes the next turn. A ``Failure`` with ``times=N`` answers
    N requests before the script moves on (``times=None``: every request from then on). When the
    script is spent, ``on_exhausted`` answers (by default a 400 saying so). Use as a context manager.
    """

    def __init__(self, turns: Iterable[TurnSource] = (), *, on_exhausted: Failure = EXHAUSTED) -> None:
        self._turns: deque[TurnSource] = deque(turns)
        self._lock = threading.Lock()
        self._left: dict[int, int] = {}
        self.on_exhausted = on_exhausted
        self.requests: list[Received] = []
        self.exhausted = 0
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return self._httpd.server_address[1]

    @property
    def base_url(self) -> str:
        """What an OpenAI client takes as ``base_url``."""
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def remaining(self) -> int:
        """Turns not yet used."""
        with self._lock:
            return len(self._turns)

    def add(self, *turns: TurnSource) -> None:
        """Append turns to the script."""
        with self._lock:
            self._turns.extend(turns)

    def start(self) -> ModelServer:
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="modelserver", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread:
            self._thread.join(timeout=5)

    def __enter__(self) -> ModelServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def next_turn(self, body: dict[str, Any]) -> Reply | Failure:
        """Take the turn that answers ``body`` (a function turn is called with it)."""
        with self._lock:
            if not self._turns:
                self.exhausted += 1
                return self.on_exhausted
            turn = self._turns[0]
            if isinstance(turn, Failure) and turn.times is None:
                return turn
            if isinstance(turn, Failure) and turn.times > 1:
                left = self._left.get(id(turn), turn.times) - 1
                self._left[id(turn)] = left
                if left > 0:
                    return turn
            self._turns.popleft()
        return turn if isinstance(turn, Reply | Failure) else turn(body)


def _handler(server: ModelServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def setup(self) -> None:
            super().setup()
            # Headers and body go out in separate writes: without this, Nagle's algorithm and the
            # client's delayed ACK add about 40 ms to every answer.
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def log_message(self, format: str, *args: Any) -> None:
            return None

        def _json(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            if self.path.rstrip("/") in ("/v1/models", "/models"):
                self._json(200, {"object": "list", "data": [{"id": "scripted", "object": "model", "owned_by": "test"}]})
            else:
                self._json(404, {"error": {"message": f"no route {self.path}", "type": "not_found"}})

        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            path = urlsplit(self.path).path
            protocol = None if path in CHAT_PATHS else next((p for p in PROTOCOLS if p.matches(path)), None)
            if path not in CHAT_PATHS and protocol is None:
                self._json(404, {"error": {"message": f"no route {self.path}", "type": "not_found"}})
                return
            try:
                body = json.loads(raw)
            except ValueError:
                self._json(400, {"error": {"message": "the body is not JSON", "type": "invalid_request_error"}})
                return
            server.requests.append(Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body))
            turn = server.next_turn(body)
            time.sleep(turn.delay_sec)
            if isinstance(turn, Failure):
                self._fail(turn, protocol.error(turn) if protocol else openai_chat.error(turn))
            elif protocol is not None and protocol.wants_stream(path, body):
                self._sse(protocol.stream(turn, body, path))
            elif protocol is not None:
                self._json(200, protocol.response(turn, body, path))
            elif body.get("stream"):
                self._stream(turn, body)
            else:
                self._json(200, openai_chat.completion(turn, body))

        def _fail(self, failure: Failure, error: dict[str, Any]) -> None:
            if failure.drop_connection:
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            headers = {} if failure.retry_after is None else {"Retry-After": f"{failure.retry_after:g}"}
            self._json(failure.status, error, headers)

        def _stream(self, reply: Reply, body: dict[str, Any]) -> None:
            frames = [f"data: {json.dumps(chunk)}\n\n".encode() for chunk in openai_chat.chunks(reply, body)]
            self._sse([*frames, b"data: [DONE]\n\n"])

        def _sse(self, frames: Iterable[bytes]) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-cache")
            self.send_header("Connection", "close")
            self.end_headers()
            for frame in frames:
                self.wfile.write(frame)
                self.wfile.flush()
            self.close_connection = True

    return Handler
