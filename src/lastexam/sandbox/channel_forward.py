"""The sandbox end of the model channel: relay 127.0.0.1:PORT to a unix socket, and run a command.

Copied into the sandbox (``/agent``) and run by Debian's python3, so it uses only the standard
library. Usage::

    python3 channel_forward.py --socket /run/ale-channel/model.sock --port 8787 -- COMMAND [ARG...]

It listens on the sandbox's own loopback before the command starts, relays every connection byte
for byte to the socket (the host's proxy answers there), and exits with the command's status.
"""

from __future__ import annotations

import argparse
import contextlib
import signal
import socket
import subprocess
import sys
import threading


def _pipe(source: socket.socket, sink: socket.socket) -> None:
    try:
        while data := source.recv(65536):
            sink.sendall(data)
    except OSError:
        pass
    finally:
        for end, how in ((sink, socket.SHUT_WR), (source, socket.SHUT_RD)):
            with contextlib.suppress(OSError):
                end.shutdown(how)


def _relay(client: socket.socket, socket_path: str) -> None:
    upstream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        upstream.connect(socket_path)
    except OSError:
        client.close()
        upstream.close()
        return
    back = threading.Thread(target=_pipe, args=(upstream, client), daemon=True)
    back.start()
    _pipe(client, upstream)
    back.join()
    client.close()
    upstream.close()


def _serve(listener: socket.socket, socket_path: str) -> None:
    while True:
        client, _ = listener.accept()
        client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        threading.Thread(target=_relay, args=(client, socket_path), daemon=True).start()


def main() -> int:
    parser = argparse.ArgumentParser(description="relay 127.0.0.1:PORT to a unix socket while COMMAND runs")
    parser.add_argument("--socket", required=True, help="the unix socket of the host's model proxy")
    parser.add_argument("--port", type=int, required=True, help="the loopback port to listen on")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="-- COMMAND [ARG...]")
    args = parser.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("no command given")
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", args.port))
    listener.listen(64)
    threading.Thread(target=_serve, args=(listener, args.socket), daemon=True).start()
    try:
        child = subprocess.Popen(command)
    except OSError as exc:
        print(f"channel_forward: cannot start {command[0]}: {exc}", file=sys.stderr)
        return 127
    signal.signal(signal.SIGTERM, lambda *_: child.terminate())
    return child.wait()


if __name__ == "__main__":
    sys.exit(main())
