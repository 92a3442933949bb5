"""One HTTP stack in a process of its own: ``python -m benchmarks.stacks KIND``.

Prints ``URL TOKEN`` on its first line once it answers, then serves until SIGTERM. The C
load generator (:mod:`benchmarks.loadgen`) drives these, so every stack is a standalone
server, as a team's shared test double would be:

``mock-cli``             the CLI exactly as users run it (``python -m mockserver``, default server)
``mock-cli-waitress``    the CLI on the pure-Python fallback (``--server waitress``): what it was
``flask-waitress``       a minimal Flask app (the same answer, no work) on waitress
``raw-waitress``         a raw WSGI callable (no framework) on waitress
``flask-granian``        the minimal Flask app on the native server the mock uses
``raw-granian``          the raw WSGI callable on that server
``httpserver``           pytest-httpserver answering the same JSON (Werkzeug, its own thread)

Every stack answers ``POST /v1/api/workspaces/list`` with the same three workspaces.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from typing import Any

KINDS = ("mock-cli", "mock-cli-waitress", "flask-waitress", "raw-waitress", "flask-granian", "raw-granian",
         "httpserver")


def raw_app() -> Any:
    from .apps import baseline_body

    body = baseline_body()

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        environ["wsgi.input"].read()
        start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
        return [body]

    return app


def serve(kind: str) -> None:
    from .apps import BASELINE_WORKSPACES, LIST_PATH, minimal_app

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    app = raw_app() if kind.startswith("raw") else minimal_app()
    if kind.endswith("-waitress"):
        from waitress.server import create_server

        server = create_server(app, host="127.0.0.1", port=0, threads=8, ident="bench")
        threading.Thread(target=server.run, daemon=True).start()
        url = f"http://127.0.0.1:{server.effective_port}"
    elif kind.endswith("-granian"):
        from mockserver.native import NativeServer

        native = NativeServer(app, "127.0.0.1", 0, threads=8, on_crash=None)
        native.start()
        url = f"http://127.0.0.1:{native.port}"
    elif kind == "httpserver":
        import logging

        from pytest_httpserver import HTTPServer

        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        httpserver = HTTPServer(host="127.0.0.1", port=0)
        httpserver.expect_request(LIST_PATH, method="POST").respond_with_json({"workspaces": BASELINE_WORKSPACES})
        httpserver.start()
        url = httpserver.url_for("").rstrip("/")
    else:
        raise SystemExit(f"unknown stack {kind!r}; choose from {', '.join(KINDS)}")
    print(url, "-", flush=True)
    stop.wait()
    os._exit(0)


def launch(kind: str, source: str | None = None) -> tuple[subprocess.Popen[str], str, str]:
    """Start a stack; returns the process, its URL and a bearer token (``-`` when none is needed).

    ``source``: for ``mock-cli``, a folder holding another version of the project (see
    :func:`source_at`), whose ``mockserver`` is run instead of this checkout's.
    """
    from .common import REPO_ROOT, child_env

    env = child_env()
    if kind.startswith("mock-cli"):
        command = [sys.executable, "-m", "mockserver", "--port", "0", "--quiet", "--scenario", "default",
                   "--scenario", _bench_scenario_file()]
        if kind == "mock-cli-waitress":
            command += ["--server", "waitress"]
        if source is not None:
            env["PYTHONPATH"] = source
    else:
        command = [sys.executable, "-m", "benchmarks.stacks", kind]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                               cwd=source or REPO_ROOT, env=env)
    line = process.stdout.readline().split() if process.stdout else []
    if not line:
        process.kill()
        raise RuntimeError(f"stack {kind} did not start")
    url = line[0]
    token = line[1] if len(line) > 1 else _token(url)
    return process, url, token


def source_at(ref: str, folder: str) -> str:
    """The project's files at git commit ``ref`` (``git archive``), unpacked into ``folder``."""
    import io
    import tarfile

    from .common import REPO_ROOT

    archive = subprocess.run(["git", "-C", REPO_ROOT, "archive", "--format=tar", ref], capture_output=True,
                             timeout=60)
    if archive.returncode != 0:
        raise SystemExit(f"--then {ref}: git archive failed: {archive.stderr.decode(errors='replace').strip()}")
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        if hasattr(tarfile, "data_filter"):  # Python 3.10.12+: refuse members that leave the folder
            tar.extractall(folder, filter="data")
        else:
            tar.extractall(folder)  # noqa: S202 - our own repository's archive
    return folder


def _bench_scenario_file() -> str:
    """The bench scenario as a file in a temporary folder (removed at exit), for ``--scenario``."""
    import atexit
    import shutil
    import tempfile

    from .apps import BENCH_SCENARIO

    folder = tempfile.mkdtemp(prefix="mockserver-bench-")
    atexit.register(shutil.rmtree, folder, True)
    path = os.path.join(folder, "bench.json")
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(BENCH_SCENARIO, handle)
    return path


def _token(url: str) -> str:
    """A token from the mock's own Keycloak endpoint (the CLI's signing key is its own)."""
    import requests

    from .apps import BENCH_USER

    answer = requests.post(f"{url}/auth/realms/master/protocol/openid-connect/token",
                           data={"grant_type": "password", "client_id": "sdk-client", "username": BENCH_USER,
                                 "password": "developer"}, timeout=10)
    answer.raise_for_status()
    return answer.json()["access_token"]


if __name__ == "__main__":
    serve(sys.argv[1] if len(sys.argv) > 1 else "")
