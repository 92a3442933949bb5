"""Who may use the control API, and which files it may touch (docs/guarantees.md, "Security model").

The control API can replace the whole state, read it with its passwords, and load or save
files, so it must not be usable by a web page the developer happens to have open, nor be
a way to read or write any file the process can reach:

* **Files**: it reads and writes no path that the command line (or the ``MockServer``
  call) did not name. Saves go to the state file or into the save directory; scenarios
  come by built-in name, inline document, a file named at start, or from the scenario
  directories given at start.
* **Browsers**: a call whose ``Host`` is not this server's own address (DNS rebinding:
  a hostile name resolved to 127.0.0.1) is refused, as is a mutating call with a foreign
  ``Origin`` (a cross-site "simple" request) or with a body that is not
  ``application/json`` (which a cross-site form or ``fetch`` cannot send without a
  preflight, which this server never grants).
* **Token**: with a control token set, every control call but ``GET /__mock/health``
  needs it in ``X-Mockserver-Token`` (or ``Authorization: Bearer``).
"""

from __future__ import annotations

import hmac
import ipaddress
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from ..controller import TEMP_NAME_EXTRA
from ..scenarios import SUFFIXES, is_file, looks_like_path
from ..state import ScenarioError

TOKEN_HEADER = "X-Mockserver-Token"
#: the host name of in-process clients (requests never leave the process)
INPROCESS_HOST = "mockserver.local"
MUTATING_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
#: names of state-document members that hold secrets (left out of GET /__mock/state)
SECRET_FIELDS = frozenset({"password", "secret", "secret_key", "signing_key", "private_key", "client_secret"})
_SECRET_SUFFIXES = tuple(f"_{name}" for name in SECRET_FIELDS)


class Refused(Exception):
    """A control call refused by the policy: ``status`` (400, 401, 403, 415) and a message."""

    def __init__(self, status: int, message: str) -> None:
        self.status = status
        self.message = message
        super().__init__(message)


def _host_name(host: str) -> str:
    """``Host`` header or origin authority without its port, lower-case, IPv6 unbracketed."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[1:host.find("]")] if "]" in host else host
    if host.count(":") == 1:
        host = host.split(":", 1)[0]
    return host.rstrip(".")


def _is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


@dataclass
class ControlPolicy:
    """What the control API may do on this server (set at start, never by a request)."""

    #: required in X-Mockserver-Token when set
    token: str | None = None
    #: where POST /__mock/state/save may write besides the state file (None: nowhere else)
    save_dir: Path | None = None
    #: where scenario files may be read from by name or path
    scenario_dirs: tuple[Path, ...] = ()
    #: scenario files named at start (readable again by their path)
    scenario_files: frozenset[Path] = frozenset()
    #: host names accepted besides IP literals, localhost and names without a dot
    host_names: frozenset[str] = field(default_factory=frozenset)

    @classmethod
    def build(cls, *, token: str | None = None, save_dir: str | os.PathLike[str] | None = None,
              scenario_dirs: Iterable[str | os.PathLike[str]] = (), scenario_files: Iterable[Any] = (),
              host_names: Iterable[str] = ()) -> ControlPolicy:
        files = frozenset(Path(ref).resolve() for ref in scenario_files
                          if isinstance(ref, (str, os.PathLike)) and looks_like_path(str(ref)))
        return cls(token=token or None, save_dir=Path(save_dir).resolve() if save_dir else None,
                   scenario_dirs=tuple(Path(folder).resolve() for folder in scenario_dirs), scenario_files=files,
                   host_names=frozenset(_host_name(name) for name in host_names if name))

    # -- requests ----------------------------------------------------------------------
    def check_request(self, method: str, path: str, headers: Any, body: bytes, mimetype: str) -> None:
        """Raise :class:`Refused` when a control call may not run."""
        if self.token is not None and not (method in ("GET", "HEAD") and path.rstrip("/") == "/__mock/health"):
            given = headers.get(TOKEN_HEADER)
            if given is None:
                scheme, _, value = (headers.get("Authorization") or "").partition(" ")
                given = value.strip() if scheme.lower() == "bearer" else None
            if given is None or not hmac.compare_digest(given.encode("utf-8", "replace"),
                                                        self.token.encode("utf-8")):
                raise Refused(401, f"the control API of this server needs its token in the {TOKEN_HEADER} header "
                                   "(--control-token / MOCKSERVER_CONTROL_TOKEN)")
        host = headers.get("Host") or ""
        if not self.own_host(host):
            raise Refused(403, f"Host {host!r} is not an address of this server; the control API answers "
                               "requests to an IP address, localhost, a name without a dot, or a name given "
                               "with --allow-host (a guard against DNS rebinding)")
        if method not in MUTATING_METHODS:
            return
        origin = headers.get("Origin")
        if origin is not None and origin.strip().lower() != f"http://{host.strip().lower()}":
            raise Refused(403, f"cross-origin call from {origin!r} refused: the control API only takes "
                               "changes from clients that are not web pages of another site")
        if body.strip() and mimetype != "application/json":
            raise Refused(415, "a control call with a body must have Content-Type: application/json")

    def own_host(self, host: str) -> bool:
        name = _host_name(host)
        if not name:
            return True  # HTTP/1.0 without Host: no browser sends that
        return (_is_ip(name) or "." not in name or name == "localhost" or name.endswith(".localhost")
                or name == INPROCESS_HOST or name in self.host_names)

    # -- files -------------------------------------------------------------------------
    def save_target(self, path: str) -> Path:
        """Where ``POST /__mock/state/save {"path": ...}`` may write: inside the save directory."""
        if self.save_dir is None:
            raise Refused(403, "saving to a path is off: this server saves only to its --state-file; start it with "
                               "--save-dir DIR to allow saves into DIR")
        # refused before the file system sees them: a NUL raised ValueError, an over-long name
        # OSError (both 500s); they are the client's mistakes, so 400s
        if "\0" in path:
            raise Refused(400, "path: a file name cannot contain a NUL character")
        *folders, name = Path(path).parts or ("",)
        longest = _name_max(self.save_dir)
        if any(len(os.fsencode(part)) > longest for part in folders):
            raise Refused(400, f"path: a directory name is longer than {longest} bytes")
        if len(os.fsencode(name)) > longest - TEMP_NAME_EXTRA:
            raise Refused(400, f"path: the file name is longer than {longest - TEMP_NAME_EXTRA} bytes")
        target = (self.save_dir / path).resolve()
        if target == self.save_dir or not target.is_relative_to(self.save_dir):
            raise Refused(403, f"path {path!r} is outside the save directory {self.save_dir}")
        return target

    def scenario_ref(self, ref: str) -> str:
        """A scenario reference from a request, as the loader should read it; ScenarioError if
        it names a file the server was not given (built-in names pass unchanged)."""
        if not looks_like_path(ref):
            for folder in self.scenario_dirs:
                for suffix in SUFFIXES:
                    candidate = folder / f"{ref}{suffix}"
                    if is_file(candidate):
                        return str(candidate)
            return ref  # a built-in name (or an unknown one, which the loader refuses)
        candidate = Path(ref)
        try:
            resolved = (candidate if candidate.is_absolute() else Path.cwd() / candidate).resolve()
        except (OSError, ValueError):  # a NUL in the path: no file has that name
            raise ScenarioError(ref, "", "no such scenario file") from None
        if resolved in self.scenario_files or any(resolved.is_relative_to(folder) for folder in self.scenario_dirs):
            return str(resolved)
        raise ScenarioError(ref, "", "the control API reads scenario files only from the directories given at "
                                     "start (--scenario-dir) or named with --scenario; send a built-in name or "
                                     "the scenario document itself")


def _name_max(folder: Path) -> int:
    """The longest file name, in bytes, the file system of ``folder`` takes (255 where unknown)."""
    try:
        return os.pathconf(folder, "PC_NAME_MAX")
    except (OSError, ValueError, AttributeError):  # no pathconf (Windows), or the folder is gone
        return 255


def redact(document: Any) -> Any:
    """A copy of a state document without its secrets (passwords, secret and signing keys)."""
    if isinstance(document, dict):
        return {key: redact(value) for key, value in document.items()
                if key not in SECRET_FIELDS and not key.endswith(_SECRET_SUFFIXES)}
    if isinstance(document, list):
        return [redact(item) for item in document]
    return document
