"""``mockserver`` / ``python -m mockserver``: the mock as a standalone server.

Every flag has an environment variable (the flag wins)::

    --host           MOCKSERVER_HOST          default 127.0.0.1
    --port           MOCKSERVER_PORT          default 8080; 0 picks a free port
    --scenario       MOCKSERVER_SCENARIO      repeatable (comma-separated in the variable); default "default"
    --state-file     MOCKSERVER_STATE_FILE    loaded at start if it exists, saved on shutdown and on demand
    --autosave-seconds MOCKSERVER_AUTOSAVE_SECONDS  also save it every N seconds when the state changed
    --durable        MOCKSERVER_DURABLE       answer a request that may write only once the state file holds it
    --log-requests   MOCKSERVER_LOG_REQUESTS  one line per request on stderr
    --quiet          MOCKSERVER_QUIET         print only the URL
    --server         MOCKSERVER_SERVER        auto (default), granian or waitress: the HTTP server
    --signing-key-file MOCKSERVER_SIGNING_KEY_FILE  PEM RSA key signing every token (created if
                     missing); without it the keys are random per process (mockserver/keys.py)
    --control-token  MOCKSERVER_CONTROL_TOKEN the control API (/__mock/) requires it in X-Mockserver-Token
    --save-dir       MOCKSERVER_SAVE_DIR      POST /__mock/state/save may write into this directory
    --scenario-dir   MOCKSERVER_SCENARIO_DIRS repeatable (comma-separated): the control API may load files here
    --allow-host     MOCKSERVER_ALLOW_HOSTS   repeatable (comma-separated): host names the control API answers
    --journal-limit      MOCKSERVER_JOURNAL_LIMIT      most requests the journal keeps (default 10000)
    --journal-max-bytes  MOCKSERVER_JOURNAL_MAX_BYTES  the journal's memory budget (default 64MiB)

When ready it prints the URL on the first line of stdout and the docs page's URL on the
second (``--quiet``: the URL alone), then the credentials of both APIs read from the loaded
state. Every usage error (a bad flag, value, file or address) is one line on stderr and exit
status 2; closing stdout early (``mockserver | head -1``) is not an error. SIGINT, SIGTERM and SIGHUP
(a closed terminal) save the state file (if any) and exit 0; SIGUSR1 and ``POST /__mock/state/save`` save it without
stopping. Exit codes: 0 clean shutdown, 1 cannot listen or cannot save, 2 bad usage
(an unknown flag, a bad value, an invalid scenario or state file).
"""

from __future__ import annotations

import argparse
import errno
import gc
import ipaddress
import logging
import os
import re
import signal
import socket
import sys
import threading
import time
from typing import Any, Callable, Sequence, TextIO

from ._version import __version__
from .keys import KEY_FILE_ENV, PROCESS_KEYS, UnusableKey
from . import scenarios as scenario_files
from .journal import DEFAULT_JOURNAL_LIMIT, DEFAULT_JOURNAL_MAX_BYTES
from .server import DEFAULT_SCENARIOS, MockServer
from .serving import SERVERS
from .state import ScenarioError
from .statefile import StateFileLock, UnusableStateFile, check_writable

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8080
TRUE_WORDS = ("1", "true", "yes", "on")
FALSE_WORDS = ("", "0", "false", "no", "off")

EXIT_OK = 0
EXIT_RUNTIME = 1
EXIT_USAGE = 2


def port_number(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a port number (0-65535), got {text!r}") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"expected a port number (0-65535), got {port}")
    return port


class OneLineParser(argparse.ArgumentParser):
    """argparse, but a usage error is one line (argparse prints the whole usage first)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


_SIZE_UNITS = {"": 1, "b": 1, "k": 1024, "kb": 1024, "kib": 1024, "m": 1024 ** 2, "mb": 1024 ** 2,
               "mib": 1024 ** 2, "g": 1024 ** 3, "gb": 1024 ** 3, "gib": 1024 ** 3}


def byte_size(text: str) -> int:
    """``65536``, ``64KiB``, ``64MiB`` or ``1g`` as a number of bytes (units are powers of 1024)."""
    match = re.fullmatch(r"\s*(\d{1,15})\s*([A-Za-z]*)\s*", text)
    unit = match and _SIZE_UNITS.get(match.group(2).lower())
    if not match or unit is None or int(match.group(1)) < 1:
        raise argparse.ArgumentTypeError(f"expected a positive size in bytes (e.g. 67108864, 64MiB), got {text!r}")
    return int(match.group(1)) * unit


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog="mockserver",
        description="A stateful test double for the Wallaroo MLOps API and the ModelArts workspace API.",
        epilog="Environment variables MOCKSERVER_HOST, MOCKSERVER_PORT, MOCKSERVER_SCENARIO (comma-separated), "
               "MOCKSERVER_STATE_FILE, MOCKSERVER_AUTOSAVE_SECONDS, MOCKSERVER_DURABLE, MOCKSERVER_LOG_REQUESTS, MOCKSERVER_QUIET, MOCKSERVER_SERVER, "
               "MOCKSERVER_SIGNING_KEY_FILE, MOCKSERVER_CONTROL_TOKEN, MOCKSERVER_SAVE_DIR, MOCKSERVER_SCENARIO_DIRS, "
               "MOCKSERVER_ALLOW_HOSTS, MOCKSERVER_JOURNAL_LIMIT and MOCKSERVER_JOURNAL_MAX_BYTES set the defaults of the "
               "flags. SIGINT/SIGTERM/SIGHUP save the state file and stop; SIGUSR1 saves it.")
    parser.add_argument("--host", help=f"address to listen on (default {DEFAULT_HOST})")
    parser.add_argument("--port", type=port_number, help=f"port to listen on; 0 picks a free one (default {DEFAULT_PORT})")
    parser.add_argument("--scenario", action="append", metavar="NAME_OR_FILE",
                        help="a built-in scenario or a scenario file (JSON or YAML); repeat to combine "
                             "(default: default)")
    parser.add_argument("--state-file", metavar="PATH",
                        help="load the state from PATH at start if it exists; save it there on shutdown "
                             "and on demand (SIGUSR1, POST /__mock/state/save)")
    parser.add_argument("--autosave-seconds", type=positive_int, metavar="N",
                        help="also save the state file every N seconds when the state changed, so a kill -9 or "
                             "a crash loses at most N seconds of writes (default: off)")
    parser.add_argument("--durable", action="store_true", default=None,
                        help="answer every request that may write (any method but GET, HEAD, OPTIONS) only once "
                             "the state file holds its change: no acknowledged write is lost, even to kill -9; "
                             "concurrent writes share one save (default: off)")
    parser.add_argument("--log-requests", action="store_true", default=None, help="log every request on stderr")
    parser.add_argument("--control-token", metavar="TOKEN",
                        help="require TOKEN in the X-Mockserver-Token header of every control call but "
                             "GET /__mock/health (prefer MOCKSERVER_CONTROL_TOKEN: flags show in ps)")
    parser.add_argument("--save-dir", metavar="DIR",
                        help="let POST /__mock/state/save write files into DIR (otherwise only to --state-file)")
    parser.add_argument("--scenario-dir", action="append", metavar="DIR",
                        help="let the control API load scenario files from DIR, by name or path; repeatable")
    parser.add_argument("--allow-host", action="append", metavar="NAME",
                        help="a host name (e.g. a DNS name of this machine) the control API answers besides IP "
                             "addresses, localhost and names without a dot; repeatable")
    parser.add_argument("--journal-limit", type=positive_int, metavar="N",
                        help=f"the most requests the journal keeps, oldest dropped first (default {DEFAULT_JOURNAL_LIMIT})")
    parser.add_argument("--journal-max-bytes", type=byte_size, metavar="SIZE",
                        help="the memory the journal may hold, e.g. 64MiB; oldest entries dropped first "
                             f"(default {DEFAULT_JOURNAL_MAX_BYTES // 1024 ** 2}MiB)")
    parser.add_argument("--quiet", action="store_true", default=None, help="print only the URL when ready")
    parser.add_argument("--server", choices=SERVERS,
                        help="the HTTP server: granian (native, the fastest), waitress (pure Python), or auto: "
                             "granian where it is installed, else waitress (default auto)")
    parser.add_argument("--signing-key-file", metavar="PATH",
                        help="PEM RSA private key that signs the tokens of both APIs, created if missing, so tokens "
                             "stay valid across restarts (default: random keys per process)")
    parser.add_argument("--check", action="store_true",
                        help="only validate the scenarios and the state file, then exit (0 valid, 2 invalid)")
    parser.add_argument("--list-scenarios", action="store_true", help="list the built-in scenarios and exit")
    parser.add_argument("--version", action="version", version=f"mockserver {__version__}")
    return parser


def _env_flag(parser: argparse.ArgumentParser, name: str, environ: dict[str, str]) -> bool:
    value = environ.get(name, "").strip().lower()
    if value in TRUE_WORDS:
        return True
    if value in FALSE_WORDS:
        return False
    parser.error(f"{name}: expected one of {', '.join(TRUE_WORDS)} or {', '.join(w for w in FALSE_WORDS if w)}, "
                 f"got {environ[name]!r}")
    raise AssertionError  # parser.error exits


def _number_from_env(parser: argparse.ArgumentParser, environ: dict[str, str], name: str,
                     parse: Callable[[str], int], default: int | None) -> int | None:
    """``name`` from the environment read by ``parse`` (``default`` when unset or blank); a bad
    value is a usage error naming the variable."""
    text = environ.get(name, "").strip()
    try:
        return parse(text) if text else default
    except argparse.ArgumentTypeError as error:
        parser.error(f"{name}: {error}")


def parse_args(argv: Sequence[str] | None = None, environ: dict[str, str] | None = None) -> argparse.Namespace:
    """The flags, with environment variables filling in what was not given."""
    environ = dict(os.environ if environ is None else environ)
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.host is None:
        args.host = environ.get("MOCKSERVER_HOST") or DEFAULT_HOST
    if args.port is None:
        args.port = _number_from_env(parser, environ, "MOCKSERVER_PORT", port_number, DEFAULT_PORT)
    if args.scenario is None:
        from_env = [part.strip() for part in environ.get("MOCKSERVER_SCENARIO", "").split(",") if part.strip()]
        args.scenario = from_env or list(DEFAULT_SCENARIOS)
    elif not all(name.strip() for name in args.scenario):
        parser.error("--scenario: an empty name; give a built-in scenario (mockserver --list-scenarios) "
                     "or a .json/.yaml file")
    if args.state_file is None:
        args.state_file = environ.get("MOCKSERVER_STATE_FILE") or None
    if args.autosave_seconds is None:
        args.autosave_seconds = _number_from_env(parser, environ, "MOCKSERVER_AUTOSAVE_SECONDS", positive_int, None)
    if args.autosave_seconds is not None and not args.state_file:
        parser.error("--autosave-seconds: there is no --state-file to save to")
    if args.durable is None:
        args.durable = _env_flag(parser, "MOCKSERVER_DURABLE", environ)
    if args.durable and not args.state_file:
        parser.error("--durable: there is no --state-file to write changes to")
    if args.log_requests is None:
        args.log_requests = _env_flag(parser, "MOCKSERVER_LOG_REQUESTS", environ)
    if args.control_token is None:
        args.control_token = environ.get("MOCKSERVER_CONTROL_TOKEN") or None
    if args.save_dir is None:
        args.save_dir = environ.get("MOCKSERVER_SAVE_DIR") or None
    for name, variable in (("scenario_dir", "MOCKSERVER_SCENARIO_DIRS"), ("allow_host", "MOCKSERVER_ALLOW_HOSTS")):
        if getattr(args, name) is None:
            setattr(args, name, [part.strip() for part in environ.get(variable, "").split(",") if part.strip()])
    for folder in [args.save_dir, *args.scenario_dir]:
        if folder is not None and not os.path.isdir(folder):
            parser.error(f"{folder}: not a directory")
    for name, variable, convert, default in (
            ("journal_limit", "MOCKSERVER_JOURNAL_LIMIT", positive_int, DEFAULT_JOURNAL_LIMIT),
            ("journal_max_bytes", "MOCKSERVER_JOURNAL_MAX_BYTES", byte_size, DEFAULT_JOURNAL_MAX_BYTES)):
        if getattr(args, name) is None:
            text = environ.get(variable, "").strip()
            try:
                setattr(args, name, convert(text) if text else default)
            except argparse.ArgumentTypeError as error:
                parser.error(f"{variable}: {error}")
    if args.quiet is None:
        args.quiet = _env_flag(parser, "MOCKSERVER_QUIET", environ)
    if args.server is None:
        args.server = environ.get("MOCKSERVER_SERVER", "").strip().lower() or "auto"
        if args.server not in SERVERS:
            parser.error(f"MOCKSERVER_SERVER: expected one of {', '.join(SERVERS)}, got {environ['MOCKSERVER_SERVER']!r}")
    if args.signing_key_file is None:
        args.signing_key_file = environ.get(KEY_FILE_ENV) or None
    return args


# -- the banner --------------------------------------------------------------------
def credentials_lines(server: MockServer) -> list[str]:
    """The default credentials of every mocked API, as loaded (nothing here is hard-coded)."""
    lines: list[str] = []
    for api in server.apis:
        if api.banner is not None:
            lines.extend(api.banner(server))
    return lines


def is_loopback(host: str) -> bool:
    """Whether ``host`` (an address or a name to listen on) is reachable from this machine only."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a name: it may resolve to any interface


def exposure_warning(server: MockServer, args: argparse.Namespace) -> str | None:
    """The warning for a server others can reach (None on a loopback address)."""
    if is_loopback(args.host):
        return None
    where = "every interface" if args.host in ("0.0.0.0", "::", "") else args.host
    guard = ("the control API requires the token" if args.control_token else
             "anyone who can reach this port can read the state with its passwords, replace it and reset it "
             "through /__mock/; set MOCKSERVER_CONTROL_TOKEN (or --control-token) to require a token")
    return f"mockserver: warning: listening on {where} (port {server.port}), not only on this machine: {guard}"


DOCS_PAGE = "/v1/api/docs"


def banner_lines(server: MockServer, args: argparse.Namespace) -> list[str]:
    """What the server prints when ready: the URL first (scripts read that line), then the docs."""
    if args.quiet:
        return [server.url]
    lines = [server.url,
             f"docs: {server.url}{DOCS_PAGE}",
             f"mockserver {__version__}, scenarios: {', '.join(server.state.scenarios) or '(none)'}",
             *_listening_lines(server, args),
             f"  control API: {server.url}/__mock/health",
             f"  HTTP server: {server.server_name}"]
    if server.state_file is not None:
        lines.append(f"  state file: {server.state_file}")
    if args.control_token:
        lines.append("  control API: requires the token in the X-Mockserver-Token header")
    lines.extend(credentials_lines(server))
    lines.append("Press Ctrl+C to stop.")
    return lines


def _listening_lines(server: MockServer, args: argparse.Namespace) -> list[str]:
    """Where it really listens, when that is not the URL above (0.0.0.0, a name, ...)."""
    listening = f"http://{args.host if ':' not in args.host else f'[{args.host}]'}:{server.port}"
    return [] if listening == server.url else [f"  listening on {listening}"]


def print_banner(server: MockServer, args: argparse.Namespace, out: TextIO, err: TextIO | None = None) -> None:
    warning = exposure_warning(server, args)
    if warning is not None:
        print(warning, file=err or sys.stderr, flush=True)
    for line in banner_lines(server, args):
        if not _print(line, out):
            return


def _print(line: str, out: TextIO) -> bool:
    """Print a line; False (and stdout silenced) when the reader has gone (``| head -1``)."""
    try:
        print(line, file=out, flush=True)
        return True
    except BrokenPipeError:
        # The reader closed the pipe: keep serving, and point stdout at /dev/null so that
        # neither later prints nor the interpreter's final flush raise again.
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, out.fileno())
            os.close(devnull)
        except (OSError, ValueError, AttributeError):
            pass  # not a real file (a StringIO in tests): nothing to redirect
        return False


# -- main ----------------------------------------------------------------------------
def _fail(message: str, code: int, err: TextIO) -> int:
    _say(f"mockserver: error: {message}", err)
    return code


def _say(line: str, err: TextIO) -> None:
    """Print on stderr; after SIGHUP the terminal may be gone, and a failed print must not
    turn a finished save into a traceback."""
    try:
        print(line, file=err, flush=True)
    except (OSError, ValueError):
        pass


def list_scenarios(out: TextIO) -> int:
    for item in scenario_files.describe_builtin():
        print(f"{item['name']}: {item['description']}", file=out)
    return EXIT_OK


def main(argv: Sequence[str] | None = None, *, out: TextIO | None = None, err: TextIO | None = None) -> int:
    out = out or sys.stdout
    err = err or sys.stderr
    args = parse_args(argv)
    if args.list_scenarios:
        return list_scenarios(out)
    if args.log_requests:
        handler = logging.StreamHandler(err)
        handler.setFormatter(logging.Formatter("%(asctime)s %(message)s"))
        logger = logging.getLogger("mockserver")
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
    if args.state_file:
        try:  # refused now rather than at the first save, when every write since start is lost
            check_writable(args.state_file)
        except UnusableStateFile as error:
            return _fail(f"--state-file {args.state_file}: {error}", EXIT_USAGE, err)
    if args.check and args.state_file and not os.path.isfile(args.state_file):
        return _fail(f"{args.state_file}: no such state file (--check validates an existing one; "
                     "without --check the server creates it on the first save)", EXIT_USAGE, err)
    if args.signing_key_file:
        try:
            PROCESS_KEYS.use_file(args.signing_key_file, create=not args.check)  # --check writes nothing
        except UnusableKey as error:
            return _fail(f"--signing-key-file {args.signing_key_file}: {error}", EXIT_USAGE, err)
    # --check only reads, so it may look at the file of a running server
    lock = StateFileLock(args.state_file) if args.state_file and not args.check else None
    if lock is not None:
        try:  # before the file is read: what another server saves later would be lost
            lock.acquire()
        except UnusableStateFile as error:
            return _fail(f"--state-file {args.state_file}: {error}", EXIT_USAGE, err)
    try:
        return _run(args, out, err)
    finally:
        if lock is not None:
            lock.release()  # after the final save


def _run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    try:
        server = MockServer(args.scenario, host=args.host, port=args.port, state_file=args.state_file,
                            log_requests=args.log_requests, server=args.server, journal_limit=args.journal_limit,
                            journal_max_bytes=args.journal_max_bytes, control_token=args.control_token,
                            save_dir=args.save_dir, scenario_dirs=args.scenario_dir, allow_hosts=args.allow_host,
                            durable=bool(getattr(args, "durable", False)))
    except ScenarioError as error:
        return _fail(str(error), EXIT_USAGE, err)
    if args.check:
        _print(f"ok: scenarios {', '.join(args.scenario)}"
               + (f", state file {args.state_file}" if args.state_file else ""), out)
        return EXIT_OK
    try:
        server.start()
    except (OSError, ValueError) as error:
        if _bad_address(error):
            return _fail(f"--host {args.host}: not an address of this machine ({_reason(error)})", EXIT_USAGE, err)
        return _fail(f"cannot listen on {args.host}:{args.port}: {_reason(error)}", EXIT_RUNTIME, err)
    tune_collector()
    return serve(server, args, out, err)


def _bad_address(error: Exception) -> bool:
    """A host that does not resolve or is not ours is a usage error; a busy port is not."""
    return (isinstance(error, (ValueError, socket.gaierror))
            or getattr(error, "errno", None) in (errno.EADDRNOTAVAIL, errno.EAFNOSUPPORT))


def _reason(error: Exception) -> str:
    if isinstance(error, ValueError):
        return "invalid host"  # waitress: "Invalid host/port specified."
    return str(getattr(error, "strerror", None) or error)


def tune_collector() -> None:
    """For a long-running server process: what is loaded at start (modules, scenarios) stays
    for good, so it is moved out of the collector's reach (``gc.freeze``), and young objects are
    collected in larger batches. About a tenth of the CPU per request (docs/performance.md)."""
    gc.freeze()
    gc.set_threshold(10_000, 50, 100)


#: the signals that save the state file and stop: SIGHUP too, as closing the terminal or the
#: ssh session sends it, and its default action exits without saving
STOP_SIGNALS = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name))


def serve(server: MockServer, args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Run until SIGINT/SIGTERM/SIGHUP; save on SIGUSR1. Returns the exit code."""
    wake = threading.Event()
    requests: dict[str, bool] = {"stop": False, "save": False}

    def on_stop(signum: int, frame: Any) -> None:
        requests["stop"] = True
        wake.set()

    def on_save(signum: int, frame: Any) -> None:
        requests["save"] = True
        wake.set()

    previous = {sig: signal.signal(sig, on_stop) for sig in STOP_SIGNALS}
    if hasattr(signal, "SIGUSR1"):
        previous[signal.SIGUSR1] = signal.signal(signal.SIGUSR1, on_save)
    code = EXIT_OK
    autosave = getattr(args, "autosave_seconds", None)
    if autosave:
        server.controller.note_saved()  # what was just loaded needs no save until it changes
    next_autosave = time.monotonic() + (autosave or 0)
    try:
        print_banner(server, args, out, err)
        while not requests["stop"]:
            wake.wait(1.0)
            wake.clear()
            if requests["save"] and not requests["stop"]:
                requests["save"] = False
                code = max(code, _save(server, err, quiet=args.quiet))
            if autosave and not requests["stop"] and time.monotonic() >= next_autosave:
                code = max(code, _save(server, err, quiet=args.quiet, only_if_changed=True))
                next_autosave = time.monotonic() + autosave
    finally:
        # From here to the end of the final save, a further SIGINT/SIGTERM is noted, not
        # obeyed: the save holds every acknowledged write (a second signal 0.3 s after the
        # first used to kill it half-way, losing them and leaving a temp file).
        for sig in STOP_SIGNALS:
            signal.signal(sig, _while_stopping(err, quiet=args.quiet))
        try:
            state_file, server.state_file = server.state_file, None  # saved below, with error handling
            server.stop()
            server.state_file = state_file
            if server.state_file is not None:
                code = max(code, _save(server, err, quiet=args.quiet))
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
    if not args.quiet:
        _say("mockserver stopped", err)
    return code


def _while_stopping(err: TextIO, *, quiet: bool) -> Any:
    told: list[bool] = []

    def on_signal(signum: int, frame: Any) -> None:
        if not told and not quiet:
            told.append(True)
            try:
                print("mockserver: stopping (saving the state); please wait", file=err, flush=True)
            except (OSError, ValueError):
                pass
    return on_signal


def _save(server: MockServer, err: TextIO, *, quiet: bool, only_if_changed: bool = False) -> int:
    if server.state_file is None:
        _say("mockserver: no --state-file to save to", err)
        return EXIT_OK
    try:
        path = server.controller.save_state_if_changed() if only_if_changed else server.save_state()
        if path is None:
            return EXIT_OK
    except OSError as error:
        return _fail(f"cannot save the state to {server.state_file}: {error.strerror or error}", EXIT_RUNTIME, err)
    if not quiet:
        _say(f"mockserver: state saved to {path}", err)
    return EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
