"""Finding and reading scenario files (JSON, or YAML).

Built-in scenarios live in the repository's ``fixtures/`` folder (shipped inside the
package as ``mockserver/_fixtures``). A scenario is named by its file stem (``default``,
``wallaroo-tutorial``...) or given as a path. Validation of the content happens when the
store loads it (see :meth:`mockserver.state.State.load`), so errors name the file and
the JSON path.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterable, Union

from .state import ScenarioError

ScenarioRef = Union[str, Path, dict]
_SUFFIXES = (".json", ".yaml", ".yml")


def fixtures_dirs() -> list[Path]:
    """Where built-in scenarios are looked up: the installed copy, then the source tree."""
    here = Path(__file__).resolve().parent
    return [path for path in (here / "_fixtures", here.parent / "fixtures") if path.is_dir()]


def builtin_names() -> list[str]:
    names = set()
    for folder in fixtures_dirs():
        names.update(path.stem for path in folder.iterdir() if path.suffix in _SUFFIXES)
    return sorted(names)


def find(name: str) -> Path:
    """The file of a built-in scenario, or of a path; raises ScenarioError if none."""
    candidate = Path(name)
    if candidate.suffix in _SUFFIXES or "/" in name or "\\" in name:
        if candidate.is_file():
            return candidate
        raise ScenarioError(name, "", "no such scenario file")
    for folder in fixtures_dirs():
        for suffix in _SUFFIXES:
            path = folder / f"{name}{suffix}"
            if path.is_file():
                return path
    raise ScenarioError(name, "", f"unknown scenario; built-in scenarios are: {', '.join(builtin_names())}")


def read(path: Path) -> dict[str, Any]:
    """Parse a scenario file; syntax errors name the file and the line."""
    source = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ScenarioError(source, "", f"cannot read the file: {error}") from None
    if path.suffix in (".yaml", ".yml"):
        import yaml

        try:
            document = yaml.safe_load(text)
        except yaml.YAMLError as error:
            raise ScenarioError(source, "", f"invalid YAML: {error}") from None
    else:
        try:
            document = json.loads(text)
        except json.JSONDecodeError as error:
            raise ScenarioError(source, "", f"invalid JSON: {error.msg} at line {error.lineno} column {error.colno}") from None
    if not isinstance(document, dict):
        raise ScenarioError(source, "", "a scenario must be a JSON object")
    return document


def resolve(ref: ScenarioRef) -> tuple[str, dict[str, Any]]:
    """``(source, document)`` for a scenario name, a path, or an in-memory document."""
    if isinstance(ref, dict):
        return (str(ref.get("name", "<inline scenario>")), ref)
    path = find(str(ref))
    document = read(path)
    document.setdefault("name", path.stem)
    return (str(path), document)


def cache_key(refs: Iterable[ScenarioRef]) -> str:
    """A string identifying a list of scenario references (names, paths, documents).

    Equal keys mean equal baselines, so a server can skip rebuilding one it already has.
    Files are identified by resolved path, size and modification time, so an edited file
    is read again.
    """
    parts = []
    for ref in refs:
        if isinstance(ref, dict):
            parts.append("doc:" + json.dumps(ref, sort_keys=True, default=str))
            continue
        try:
            path = find(str(ref)).resolve()
            stat = path.stat()
            parts.append(f"file:{path}:{stat.st_size}:{stat.st_mtime_ns}")
        except (ScenarioError, OSError):
            parts.append(f"ref:{ref}")  # loading it will raise the real error
    return "\n".join(parts)


def describe_builtin() -> list[dict[str, Any]]:
    """``{"name", "description", "file"}`` of each built-in scenario (unreadable ones say why)."""
    described = []
    for name in builtin_names():
        path = find(name)
        try:
            description = read(path).get("description", "")
        except ScenarioError as error:
            description = f"(invalid: {error})"
        described.append({"name": name, "description": description, "file": str(path)})
    return described
