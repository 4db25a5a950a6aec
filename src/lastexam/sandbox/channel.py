"""The narrow channel: the one route from an offline sandbox to its configured model endpoint.

The sandbox keeps no network of its own (bwrap ``--unshare-net``). On the host, ``ModelChannel``
listens on a unix socket that is bind-mounted into the sandbox; inside, ``channel_forward.py``
relays ``127.0.0.1:PORT`` (the sandbox's own loopback) to that socket, and the agent's base URL
is ``http://127.0.0.1:PORT/<path of the endpoint>``. The host proxy:

- forwards only to the configured endpoint (its scheme, host and port), and there only the model
  calls of the agent's protocol (POST, exact paths below the endpoint's path) and model listings
  (GET); any other path, a trailing slash, an empty, ``.`` or ``..`` segment, or a percent-encoded
  ``.``, ``/`` or ``\\`` is refused, so every request forwarded with the key is a counted model call;
- drops every credential the sandbox sends and adds the real one from the host, so the API key
  never enters the sandbox;
- counts the model calls the endpoint answered, refuses calls past a limit (answering 429), and
  gives up on an endpoint that fails ``max_failures`` times in a row (401/403/429/5xx or no answer);
  either way it sets ``stopped`` and ``stop_reason`` (``limit`` or ``service``) so the run can end;
  and logs each exchange (method, path, status, bytes, seconds) to a JSON-lines file.

Responses are relayed as they arrive (chunked), so streamed (SSE) answers stream through.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import shutil
import time
from dataclasses import dataclass, field
from http import HTTPStatus
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx2

from lastexam.sandbox.answer_usage import answer_usage

SOCKET_NAME = "model.sock"
SANDBOX_SOCKET_DIR = "/run/ale-channel"
SANDBOX_PORT = 8787
FORWARDER = "channel_forward.py"
CREDENTIAL_HEADERS = frozenset({"authorization", "x-api-key", "x-goog-api-key", "api-key", "proxy-authorization"})
CREDENTIAL_QUERY = frozenset({"key", "api_key", "api-key"})
_HOP_BY_HOP = frozenset({"connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding",
                         "upgrade", "host", "content-length", "expect"})
_SERVICE_FAILURES = frozenset({401, 403, 429})
"""Answers that are the service's or the key's fault, never the agent's (as are 5xx)."""
_MAX_HEAD = 1 << 20
_ENCODED_SEPARATOR = re.compile(r"%(2e|2f|5c|00)", re.IGNORECASE)
_MODEL_LISTING = re.compile(r"(/v1\w*)?/models(/[\w.-]+)?")
"""GET paths forwarded uncounted: the endpoint's list of models, or one model's card."""

# The model-call paths of each protocol, below the endpoint's own path.
OPENAI_CHAT = r"/chat/completions"
OPENAI_RESPONSES = r"/responses"
ANTHROPIC_MESSAGES = r"(/v1)?/messages"
GEMINI_GENERATE = r"(/v1beta|/v1)?/models/[\w.-]+:(generateContent|streamGenerateContent)"


def model_calls(*paths: str) -> re.Pattern[str]:
    """A pattern matching exactly the given protocols' model-call paths (the constants above)."""
    return re.compile("|".join(f"({path})" for path in paths))
_MAX_BODY = 256 << 20


@dataclass(frozen=True)
class Credential:
    """The header that carries the real key upstream, e.g. ``("x-api-key", KEY)``; None sends no key."""

    header: str
    value: str

    @staticmethod
    def bearer(key: str) -> Credential:
        return Credential("authorization", f"Bearer {key}")


@dataclass
class ChannelStats:
    """What went through the channel."""

    model_calls: int = 0
    """Model calls forwarded and answered with a success status."""
    refused: int = 0
    model_seconds: float = 0.0
    """Time from each model call's request to the end of its answer, summed."""
    upstream_failures: list[str] = field(default_factory=list)
    """Connection errors and 401/403/429/5xx answers from the endpoint, in order."""
    last_failed: bool = False
    """Whether the endpoint's latest answer was such a failure."""
    failures_in_a_row: int = 0
    usages: list[dict[str, Any] | None] = field(default_factory=list)
    """The usage each answered model call reported in its answer (None: it reported none), in order."""


class _BadRequest(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass
class _Request:
    method: str
    path: str
    query: str
    headers: list[tuple[str, str]]
    body: bytes
    keep_alive: bool


class ModelChannel:
    """A host proxy on a unix socket to one HTTP(S) endpoint. Use ``async with`` (``start``/``close``).

    Args:
        base_url: the endpoint, e.g. ``https://api.anthropic.com`` or ``https://openrouter.ai/api/v1``.
        credential: the header to add upstream (the sandbox's own credentials are always dropped).
        socket_dir: a host directory of its own for the socket (bind it into the sandbox read-only).
        model_calls: the POST paths below the endpoint's path that are model calls, matched whole
            (counted, and refused past ``max_calls``); every other POST is refused. None: any path.
        max_calls: the most model calls to forward (None: no limit).
        max_failures: how many failed answers in a row end the run as the service's failure.
        log_path: a JSON-lines file that gets one line per exchange.

    Raises:
        ValueError: ``base_url`` is not an http(s) URL with a host.
    """

    def __init__(self, base_url: str, *, credential: Credential | None, socket_dir: Path,
                 model_calls: re.Pattern[str] | None = None, max_calls: int | None = None,
                 max_failures: int = 8, log_path: Path | None = None) -> None:
        self.origin, self.prefix = _split_endpoint(base_url)
        self.credential = credential
        self.socket_dir = socket_dir
        self.model_calls = model_calls
        self.max_calls = max_calls
        self.max_failures = max_failures
        self.log_path = log_path
        self.stats = ChannelStats()
        self.stopped = asyncio.Event()
        self.stop_reason: str | None = None
        self._server: asyncio.Server | None = None
        self._client: httpx2.AsyncClient | None = None
        self._connections: set[asyncio.Task[None]] = set()
        self._waiting: dict[int, float] = {}

    def unanswered_for(self) -> float:
        """Seconds the oldest forwarded request has waited for the head of its answer (0 when none is)."""
        return time.monotonic() - min(self._waiting.values()) if self._waiting else 0.0

    @property
    def socket_path(self) -> Path:
        return self.socket_dir / SOCKET_NAME

    async def start(self) -> ModelChannel:
        self.socket_dir.mkdir(parents=True, exist_ok=True)
        os.chmod(self.socket_dir, 0o755)
        with contextlib.suppress(FileNotFoundError):
            self.socket_path.unlink()
        self._client = httpx2.AsyncClient(timeout=httpx2.Timeout(connect=30, read=900, write=120, pool=30),
                                          follow_redirects=False)
        self._server = await asyncio.start_unix_server(self._serve, path=str(self.socket_path), limit=_MAX_HEAD)
        # Any sandbox uid may connect; only this sandbox sees the socket.
        os.chmod(self.socket_path, 0o666)
        return self

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            for task in list(self._connections):
                task.cancel()
            await asyncio.gather(*self._connections, return_exceptions=True)
            await self._server.wait_closed()
            self._server = None
        if self._client is not None:
            await self._client.aclose()
            self._client = None
        with contextlib.suppress(FileNotFoundError):
            self.socket_path.unlink()

    async def __aenter__(self) -> ModelChannel:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._connections.add(task)
        try:
            while True:
                try:
                    request = await _read_request(reader)
                except (ValueError, asyncio.LimitOverrunError) as exc:
                    await _write_error(writer, 400, f"malformed request ({exc})")
                    return
                except _BadRequest as exc:
                    await _write_error(writer, exc.status, str(exc))
                    return
                if request is None:
                    return
                if not await self._exchange(request, writer) or not request.keep_alive:
                    return
        except (ConnectionError, asyncio.IncompleteReadError):
            return
        finally:
            self._connections.discard(task)
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    def _upstream_path(self, method: str, path: str) -> str:
        """``path`` when it is one the channel forwards for ``method``; else raises ``_BadRequest``."""
        segments = path.split("/")[1:]
        if (_ENCODED_SEPARATOR.search(path) or "\\" in path
                or any(segment in ("", ".", "..") for segment in segments)):
            raise _BadRequest(400, f"the path {path!r} has an empty, '.' or '..' segment or an encoded separator")
        if not (path == self.prefix or path.startswith(self.prefix + "/")):
            raise _BadRequest(403, f"the model channel only reaches {self.origin}{self.prefix or '/'}; not {path}")
        below = path[len(self.prefix):]
        if method == "GET":
            allowed = _MODEL_LISTING.fullmatch(below) is not None
        else:
            allowed = self.model_calls is None or self.model_calls.fullmatch(below) is not None
        if not allowed:
            raise _BadRequest(404, f"{method} {path} is not a model call of this agent's protocol")
        return path

    async def _exchange(self, request: _Request, writer: asyncio.StreamWriter) -> bool:
        """Forward one request and relay its answer; False when the connection must close."""
        began = time.monotonic()
        record: dict[str, object] = {"method": request.method, "path": request.path}
        try:
            if request.method not in ("GET", "POST"):
                raise _BadRequest(405, f"method {request.method} is not allowed on the model channel")
            path = self._upstream_path(request.method, request.path)
            model_call = request.method == "POST"
            record["model_call"] = model_call
            if model_call and self.max_calls is not None and self.stats.model_calls >= self.max_calls:
                self.stats.refused += 1
                self._stop("limit")
                raise _BadRequest(429, f"the trial's limit of {self.max_calls} model calls is reached")
            self._waiting[id(request)] = began
            try:
                response = await self._open(request, path)
            finally:
                del self._waiting[id(request)]
        except _BadRequest as exc:
            record.update(status=exc.status, refused=str(exc))
            self._log(record, began)
            await _write_error(writer, exc.status, str(exc))
            return True
        except httpx2.HTTPError as exc:
            record.update(status=502, upstream_error=self._failed(exc))
            self._log(record, began)
            await _write_error(writer, 502, f"the model endpoint could not be reached ({exc})")
            return True
        try:
            record["status"] = response.status_code
            answer = bytearray() if model_call and response.is_success else None
            record["bytes"] = await _relay(response, writer, answer)
            if model_call:
                self.stats.model_seconds += time.monotonic() - began
            if answer is not None:
                self.stats.model_calls += 1
                self.stats.usages.append(answer_usage(bytes(answer)))
            return True
        except httpx2.HTTPError as exc:  # the answer broke off after its head was relayed
            record["upstream_error"] = self._failed(exc)
            return False
        finally:
            await response.aclose()
            self._log(record, began)

    def _stop(self, reason: str) -> None:
        if self.stop_reason is None:
            self.stop_reason = reason
        self.stopped.set()

    def _failed(self, exc: Exception) -> str:
        failure = f"{type(exc).__name__}: {exc}"
        self._count(failure)
        return failure

    def _count(self, failure: str | None) -> None:
        """Note an answer of the endpoint: a failure (its description) or None for any other answer."""
        self.stats.last_failed = failure is not None
        if failure is None:
            self.stats.failures_in_a_row = 0
            return
        self.stats.upstream_failures.append(failure)
        self.stats.failures_in_a_row += 1
        if self.stats.failures_in_a_row >= self.max_failures:
            self._stop("service")

    async def _open(self, request: _Request, path: str) -> httpx2.Response:
        """Send ``request`` upstream with the real credential; the response is open for streaming."""
        assert self._client is not None
        query = urlencode([(k, v) for k, v in parse_qsl(request.query, keep_blank_values=True)
                           if k.lower() not in CREDENTIAL_QUERY])
        headers = [(k, v) for k, v in request.headers
                   if k.lower() not in _HOP_BY_HOP | CREDENTIAL_HEADERS | {"accept-encoding"}]
        # Uncompressed, so that the channel can read the usage each answer reports.
        headers.append(("accept-encoding", "identity"))
        if self.credential is not None:
            headers.append((self.credential.header, self.credential.value))
        url = self.origin + path + (f"?{query}" if query else "")
        body = request.body if request.method == "POST" else None  # a listing carries nothing upstream
        response = await self._client.send(
            self._client.build_request(request.method, url, headers=headers, content=body), stream=True)
        failed = response.status_code in _SERVICE_FAILURES or response.status_code >= 500
        self._count(f"HTTP {response.status_code}" if failed else None)
        return response

    def _log(self, record: dict[str, object], began: float) -> None:
        record["seconds"] = round(time.monotonic() - began, 3)
        if self.log_path is not None:
            with open(self.log_path, "a", encoding="utf-8") as log:
                log.write(json.dumps(record) + "\n")


def _split_endpoint(base_url: str) -> tuple[str, str]:
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"the model endpoint {base_url!r} is not an http(s) URL with a host")
    return f"{parts.scheme}://{parts.netloc}", parts.path.rstrip("/")


def sandbox_base_url(base_url: str, port: int = SANDBOX_PORT) -> str:
    """The URL the agent uses inside the sandbox for ``base_url``: its path on the relayed loopback port.

    Raises:
        ValueError: ``base_url`` is not an http(s) URL with a host.
    """
    return f"http://127.0.0.1:{port}{_split_endpoint(base_url)[1]}"


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


async def _relay(response: httpx2.Response, writer: asyncio.StreamWriter, copy: bytearray | None = None) -> int:
    """Write ``response`` to the client as it arrives (chunked); returns the body bytes relayed.

    With ``copy``, the body is also kept there, up to ``_MAX_BODY`` bytes.
    """
    head = [f"HTTP/1.1 {response.status_code} {response.reason_phrase or _reason(response.status_code)}"]
    head += [f"{k}: {v}" for k, v in response.headers.multi_items() if k.lower() not in _HOP_BY_HOP]
    writer.write("\r\n".join([*head, "transfer-encoding: chunked", "", ""]).encode("latin-1"))
    sent = 0
    async for chunk in response.aiter_raw():
        if chunk:
            writer.write(b"%x\r\n%b\r\n" % (len(chunk), chunk))
            await writer.drain()
            sent += len(chunk)
            if copy is not None and len(copy) + len(chunk) <= _MAX_BODY:
                copy += chunk
    writer.write(b"0\r\n\r\n")
    await writer.drain()
    return sent


async def _read_request(reader: asyncio.StreamReader) -> _Request | None:
    """The next request on a connection, or None when the client closed it between requests."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError as exc:
        if exc.partial.strip():
            raise _BadRequest(400, "incomplete request head") from exc
        return None
    except asyncio.LimitOverrunError as exc:
        raise _BadRequest(431, "request head too large") from exc
    lines = head.decode("latin-1").split("\r\n")
    try:
        method, target, version = lines[0].split(" ", 2)
    except ValueError as exc:
        raise _BadRequest(400, "bad request line") from exc
    headers = []
    for line in lines[1:]:
        if line:
            name, _, value = line.partition(":")
            headers.append((name.strip(), value.strip()))
    named = {k.lower(): v for k, v in headers}
    if named.get("transfer-encoding", "").lower() == "chunked":
        body = await _read_chunked(reader)
    else:
        length = int(named.get("content-length") or 0)
        if length > _MAX_BODY:
            raise _BadRequest(413, "request body too large")
        body = await reader.readexactly(length)
    parts = urlsplit(target)
    connection = named.get("connection", "").lower()
    keep_alive = connection != "close" if version == "HTTP/1.1" else connection == "keep-alive"
    return _Request(method.upper(), parts.path or "/", parts.query, headers, body, keep_alive)


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    body = bytearray()
    while True:
        size = int((await reader.readuntil(b"\r\n")).split(b";")[0].strip() or b"0", 16)
        if size == 0:
            while (await reader.readuntil(b"\r\n")) != b"\r\n":
                pass
            return bytes(body)
        if len(body) + size > _MAX_BODY:
            raise _BadRequest(413, "request body too large")
        body += await reader.readexactly(size)
        await reader.readexactly(2)


async def _write_error(writer: asyncio.StreamWriter, status: int, message: str) -> None:
    data = json.dumps({"error": {"type": "model_channel_error", "message": message}}).encode()
    head = (f"HTTP/1.1 {status} {_reason(status)}\r\ncontent-type: application/json\r\n"
            f"content-length: {len(data)}\r\n\r\n")
    writer.write(head.encode("latin-1") + data)
    with contextlib.suppress(ConnectionError):
        await writer.drain()


def stage_forwarder(agent_dir: Path) -> str:
    """Copy the sandbox end of the channel into the agent directory; returns its path inside the sandbox."""
    source = resources.files("lastexam.sandbox").joinpath(FORWARDER)
    with resources.as_file(source) as path:
        shutil.copyfile(path, agent_dir / FORWARDER)
    return f"/agent/{FORWARDER}"


def forward_command(argv: list[str], port: int = SANDBOX_PORT) -> list[str]:
    """``argv`` wrapped so that it runs with the channel's relay listening on ``127.0.0.1:port``."""
    return ["/usr/bin/python3", f"/agent/{FORWARDER}", "--socket", f"{SANDBOX_SOCKET_DIR}/{SOCKET_NAME}",
            "--port", str(port), "--", *argv]
