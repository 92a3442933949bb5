"""Reading answers off raw sockets, for the tests that speak HTTP by hand (half-sent bodies,
held requests, dropped connections) where a client library would hide what they check."""

from __future__ import annotations

import socket

#: "promptly": generous for a loaded 2-core CI machine, far below any attack's effect
PROMPT = 5.0


def _read_until(sock: socket.socket, marker: bytes, timeout: float) -> bytes:
    """Bytes from ``sock`` until ``marker`` has come (or the server closed)."""
    sock.settimeout(timeout)
    data = b""
    while marker not in data:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


def read_status(sock: socket.socket, timeout: float = PROMPT) -> bytes:
    """The status line of the next answer (``b""`` if the server closed first)."""
    return _read_until(sock, b"\r\n", timeout).split(b"\r\n", 1)[0]


def read_answer(sock: socket.socket, timeout: float = PROMPT) -> tuple[int, dict[str, str], bytes]:
    """One HTTP answer (status, headers, body) read from a raw socket."""
    head, _, body = _read_until(sock, b"\r\n\r\n", timeout).partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {name.lower(): value for name, _, value in (line.partition(": ") for line in lines[1:])}
    length = int(headers.get("content-length", "0"))
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    return int(lines[0].split(" ")[1]), headers, body
