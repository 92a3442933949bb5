"""Finding and reading scenario files (JSON, or YAML).

Built-in scenarios live in the repository's ``fixtures/`` folder (shipped inside the
package as ``mockserver/_fixtures``). A scenario is named by its file stem (``default``,
``wallaroo-tutorial``...) or given as a path. Validation of the content happens when the
store loads it (see :meth:`mockserver.state.State.load`), so errors name the file and
the JSON path.
"""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path
from typing import Any, Iterable, Union

from .state import ScenarioError

ScenarioRef = Union[str, Path, dict]
#: the file suffixes of scenario and state files
SUFFIXES = (".json", ".yaml", ".yml")
#: the largest scenario or state file read (a state file of 100 000 workspaces per API is
#: about 60 MB); a bigger one is refused before it is read
MAX_FILE_BYTES = 256 * 1024 * 1024


def fixtures_dirs() -> list[Path]:
    """Where built-in scenarios are looked up: the installed copy, then the source tree."""
    return list(_fixtures_dirs())


@functools.lru_cache(maxsize=1)
def _fixtures_dirs() -> tuple[Path, ...]:
    # the package's folders do not move while it runs; the pytest plugin asks before every test
    here = Path(__file__).resolve().parent
    return tuple(path for path in (here / "_fixtures", here.parent / "fixtures") if path.is_dir())


def builtin_names() -> list[str]:
    names: set[str] = set()
    for folder in fixtures_dirs():
        names.update(path.stem for path in folder.iterdir() if path.suffix in SUFFIXES)
    return sorted(names)


def looks_like_path(ref: str) -> bool:
    """Is ``ref`` taken for a file by the control API's policy and the pytest plugin's lookup
    next to the test file: a scenario suffix or a path separator. Every reference the loader
    reads as a file (:func:`_names_a_file`) passes this too (they differ only for a bare suffix,
    ``.json`` alone), so the policy sees every file the loader would read."""
    return ref.endswith(SUFFIXES) or "/" in ref or "\\" in ref


def _names_a_file(name: str) -> bool:
    """A scenario reference with a file suffix or a path separator names a file, not a built-in."""
    return Path(name).suffix in SUFFIXES or "/" in name or "\\" in name


def is_file(path: Path) -> bool:
    """``path.is_file()``, false for names no file can have: ``Path.is_file`` raises OSError for
    a name over the file system's limit ("File name too long"), a 500 for a request's name."""
    try:
        return path.is_file()
    except (OSError, ValueError):
        return False


def find(name: str) -> Path:
    """The file of a built-in scenario, or of a path; raises ScenarioError if none."""
    if not name.strip():
        raise ScenarioError(repr(name), "", "an empty scenario name; built-in scenarios are: "
                            f"{', '.join(builtin_names())}, or give a .json/.yaml file")
    candidate = Path(name)
    if _names_a_file(name):
        if candidate.suffix not in SUFFIXES:
            raise ScenarioError(name, "", "not a scenario file: a scenario file ends in .json, .yaml or .yml")
        if is_file(candidate):
            return candidate
        raise ScenarioError(name, "", "no such scenario file")
    for folder in fixtures_dirs():
        for suffix in SUFFIXES:
            path = folder / f"{name}{suffix}"
            if is_file(path):
                return path
    raise ScenarioError(name, "", f"unknown scenario; built-in scenarios are: {', '.join(builtin_names())}")


def read(path: Path, max_bytes: int | None = None) -> dict[str, Any]:
    """Parse a scenario (or state) file; errors name the file and the line or the reason.

    Refused with a :class:`ScenarioError`, never a traceback: a file over ``max_bytes``
    (default :data:`MAX_FILE_BYTES`), invalid UTF-8, JSON or YAML, a JSON object or YAML mapping
    naming a member twice, and nesting deeper than :data:`~mockserver.validation.MAX_JSON_DEPTH`.
    """
    from .validation import MAX_JSON_DEPTH, check_depth, json_error_text, object_without_duplicates

    source = str(path)
    limit = MAX_FILE_BYTES if max_bytes is None else max_bytes
    try:
        size = path.stat().st_size
        if size > limit:
            raise ScenarioError(source, "", f"the file is {size} bytes, over the limit of {limit} bytes")
        with path.open("rb") as handle:
            data = handle.read(limit + 1)  # the file may have grown since stat
        if len(data) > limit:
            raise ScenarioError(source, "", f"the file is over the limit of {limit} bytes")
        text = data.decode("utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ScenarioError(source, "", f"cannot read the file: {error}") from None
    if path.suffix in (".yaml", ".yml"):
        import yaml

        try:
            document = yaml.load(text, Loader=_unique_key_loader())  # a SafeLoader subclass
        except yaml.YAMLError as error:
            raise ScenarioError(source, "", f"invalid YAML: {_yaml_problem(error)}",
                                line=_yaml_line(error)) from None
        except RecursionError:
            raise ScenarioError(source, "", f"the document is nested more than {MAX_JSON_DEPTH} levels deep") from None
    else:
        try:
            document = json.loads(text, object_pairs_hook=object_without_duplicates)
        except json.JSONDecodeError as error:
            raise ScenarioError(source, "", f"invalid JSON: {json_error_text(error)}") from None
        except RecursionError:
            raise ScenarioError(source, "", f"the document is nested more than {MAX_JSON_DEPTH} levels deep") from None
        except ValueError as error:  # a duplicate key, or an integer of over 4300 digits
            raise ScenarioError(source, "", f"invalid JSON: {error}") from None
    try:
        # JSON needs a byte or more per value; far more values means YAML aliases expanding
        check_depth(document, what="the document", max_values=2 * len(data) + 1000)
    except ValueError as error:
        raise ScenarioError(source, "", str(error)) from None
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


@functools.lru_cache(maxsize=1)
def _unique_key_loader() -> type:
    """A ``yaml.SafeLoader`` that refuses a mapping naming a key twice, as the JSON reader does
    (PyYAML keeps the last value silently, so a repeated ``users:`` lost the first list).
    Built on first use: PyYAML is imported only when a YAML file is read."""
    import yaml

    class UniqueKeyLoader(yaml.SafeLoader):
        def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
            seen: set[Any] = set()
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    continue  # '<<: *base' then a key overriding it is YAML's own way to extend
                key = self.construct_object(key_node, deep=deep)
                try:
                    repeated = key in seen
                    seen.add(key)
                except TypeError:
                    continue  # an unhashable key: the base class reports it
                if repeated:
                    raise yaml.constructor.ConstructorError(
                        "while constructing a mapping", node.start_mark, f"found duplicate key {key!r}",
                        key_node.start_mark)
            return super().construct_mapping(node, deep=deep)  # type: ignore[no-any-return]

    return UniqueKeyLoader


def label(ref: ScenarioRef) -> str:
    """A scenario as the user named it, for messages: ``default`` (not its installed file), a
    path as given, an inline document's ``name``."""
    if isinstance(ref, dict):
        return str(ref.get("name", "<inline scenario>"))
    return str(ref)


def _yaml_problem(error: Exception) -> str:
    """PyYAML's message without its multi-line excerpt of the input."""
    problem = getattr(error, "problem", None)
    context = getattr(error, "context", None)
    mark = getattr(error, "problem_mark", None)
    if problem is None:
        return " ".join(str(error).split())
    text = f"{context}, {problem}" if context else str(problem)
    if mark is not None:
        text += f" (column {mark.column + 1})"
    return " ".join(text.split())


def _yaml_line(error: Exception) -> int | None:
    mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
    return mark.line + 1 if mark is not None else None


_PATH_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def line_of(source: str, json_path: str) -> int | None:
    """The line of a YAML scenario file where ``json_path`` (``wallaroo.users[1].email``) is
    written, or of the nearest enclosing item that is; None when unknown or not YAML (JSON
    errors name the path, which a JSON file spells out)."""
    path = Path(source)
    if path.suffix not in (".yaml", ".yml") or not path.is_file():
        return None
    import yaml

    try:
        node = yaml.compose(path.read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
    except (yaml.YAMLError, OSError, UnicodeDecodeError):
        return None
    line = node.start_mark.line + 1 if node is not None else None
    for key, index in _PATH_PART.findall(json_path):
        if isinstance(node, yaml.MappingNode) and key:
            found = [(k, v) for k, v in node.value if isinstance(k, yaml.ScalarNode) and k.value == key]
            if not found:
                break
            key_node, node = found[0]
            line = key_node.start_mark.line + 1
        elif isinstance(node, yaml.SequenceNode) and index and int(index) < len(node.value):
            node = node.value[int(index)]
            line = node.start_mark.line + 1
        else:
            break
    return line


def located(error: ScenarioError) -> ScenarioError:
    """``error`` with the line of its JSON path in the scenario file, when it has a path and a file."""
    if error.line is not None or not error.path:
        return error
    line = line_of(error.source, error.path)
    return error if line is None else ScenarioError(error.source, error.path, error.message, line=line)


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
            path = _resolved(str(ref))
            stat = path.stat()
            parts.append(f"file:{path}:{stat.st_size}:{stat.st_mtime_ns}")
        except (ScenarioError, OSError):
            parts.append(f"ref:{ref}")  # loading it will raise the real error
    return "\n".join(parts)


def _resolved(ref: str) -> Path:
    """``find(ref).resolve()``; a built-in name's answer is remembered (its file is still
    stat'ed by the caller, so an edited file is read again)."""
    if ref in _BUILTIN_PATHS:
        return _BUILTIN_PATHS[ref]
    path = find(ref).resolve()
    if not _names_a_file(ref) and len(_BUILTIN_PATHS) < 256:
        _BUILTIN_PATHS[ref] = path
    return path


#: built-in scenario name -> its file (a name never means another file while the package runs)
_BUILTIN_PATHS: dict[str, Path] = {}


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
