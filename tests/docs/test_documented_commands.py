"""Every command line the README and docs/ show is run, not only parsed.

Command lines are every line of a ```bash / ```sh / ```shell block, every ``$ `` line of a
```console block (a trailing ``\\`` continues a line), and every inline code span of the prose
(outside HTML comments) that starts with a program (``python -m ...``, ``mockserver ...``, ``curl``, ``pip``,
``apt-get``, ``pytest``). Each must have a runner below, so a new one nobody handles fails
``test_every_documented_command_line_has_a_runner``:

* ``mockserver`` / ``python -m mockserver`` lines run as written (environment prefix
  included) from a folder that has the repository's ``examples/``: ``--check`` and
  ``--list-scenarios`` lines must exit 0; server lines must print their URL first, answer
  ``/__mock/health`` and exit 0 on SIGTERM. A line without ``--port`` gets
  ``MOCKSERVER_PORT=0`` (the flag, when given, wins), so nothing needs port 8080. A line with
  a pipe runs verbatim in ``bash``.
* ``curl`` lines run with the real ``curl`` against one server, ``localhost:8080`` (and
  ``127.0.0.1:8080``, and the ``.../`` of a shortened URL) pointed at it, and must succeed
  (``--fail``) with a JSON answer.
* ``python -m benchmarks.*`` lines run verbatim in ``bash`` with ``MOCKSERVER_BENCH_BUDGET=smoke``
  (benchmarks/common.py: minimal sizes, one round, the shortest loops): every section the line
  asks for prints its heading and its table, no traceback, the exit status is the number of
  ``FAIL`` lines (benchmarks.run) or 0, and ``--json PATH`` writes valid JSON.
* ``pip install`` lines outside the README's Installing block run verbatim with pip's
  ``--dry-run --no-deps --no-index`` and ``--report`` (offline; the README's block is run by
  tests/docs/test_install_lines.py).
* the rest cannot run verbatim inside a test run; ``EXPLAINED`` says why for each and what is
  checked instead.
* every file a command line names (``examples/...``) exists in the repository.

A ``python``, ``python3``, ``mockserver``, ``pip`` or ``pytest`` in a line run by ``bash`` is
this interpreter's (small wrappers first on ``PATH``).
"""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import stat
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pytest
import requests

from mockserver import MockServer

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
FENCE = re.compile(r"^```([A-Za-z]*)[^\n]*\n(.*?)^```", re.S | re.M)
SHELL_FENCES = {"bash", "sh", "shell", "console"}
#: an inline code span (it may wrap onto the next line of the paragraph)
SPAN = re.compile(r"(?<!`)`([^`\n]+(?:\n[^`\n]+)?)`(?!`)")
PROGRAMS = {"python", "python3", ".venv/bin/python", "mockserver", "curl", "pip", "apt-get", "pytest", "brew"}
TIMEOUT = 60
#: a benchmark command line under the smoke budget (each takes seconds to a minute on a busy 2-core machine)
BENCH_TIMEOUT = 240


@dataclass(frozen=True)
class Command:
    where: str  # file:line of its first appearance
    text: str  # as written (the prompt removed, a continued line joined)
    inline: bool  # an inline code span of the prose, not a code block

    @property
    def words(self) -> list[str]:
        return shlex.split(self.text, comments=True)

    @property
    def key(self) -> tuple[str, ...]:
        """The words, so the same command with or without a comment is one command."""
        return tuple(self.words)


def _program(words: list[str]) -> str | None:
    _, argv = split_environment(words)
    return argv[0] if argv and argv[0] in PROGRAMS else None


def _inline_is_command(words: list[str]) -> bool:
    program = _program(words)
    if program is None:
        return False
    if program in ("python", "python3", ".venv/bin/python"):
        return words[1:2] == ["-m"]
    if program in ("mockserver", "pytest"):  # the `mockserver` fixture, the `pytest11` entry point...
        return len(words) > 1
    return True


def documented_commands() -> list[Command]:
    """Every command line of README.md and docs/*.md, each command once (its first place)."""
    found: dict[tuple[str, ...], Command] = {}
    for path in DOCS:
        text = path.read_text(encoding="utf-8")
        prose = text
        for match in FENCE.finditer(text):
            # the prose without code blocks (same line numbers) for the inline spans
            prose = prose[:match.start()] + re.sub(r"[^\n]", " ", match.group(0)) + prose[match.end():]
            if match.group(1) not in SHELL_FENCES:
                continue
            first = text.count("\n", 0, match.start()) + 2
            pending, start = "", 0
            for offset, line in enumerate(match.group(2).splitlines()):
                if not pending:
                    start = first + offset
                    if match.group(1) == "console":
                        if not line.startswith("$ "):
                            continue  # output
                        line = line[2:]
                if line.rstrip().endswith("\\"):
                    pending += line.rstrip()[:-1].rstrip() + " "
                    continue
                line, pending = pending + line.strip(), ""
                command = Command(f"{path.name}:{start}", line, inline=False)
                if command.words:
                    found.setdefault(command.key, command)
        prose = re.sub(r"<!--.*?-->", lambda comment: re.sub(r"[^\n]", " ", comment.group(0)), prose, flags=re.S)
        for match in SPAN.finditer(prose):
            span = " ".join(match.group(1).split())
            try:
                words = shlex.split(span)
            except ValueError:
                continue
            if words and _inline_is_command(words):
                line = text.count("\n", 0, match.start()) + 1
                found.setdefault(tuple(words), Command(f"{path.name}:{line}", span, inline=True))
    return list(found.values())


def split_environment(words: list[str]) -> tuple[dict[str, str], list[str]]:
    environ = {}
    while words and re.fullmatch(r"[A-Z_]+=.*", words[0]):
        name, _, value = words[0].partition("=")
        environ[name] = value
        words = words[1:]
    return environ, words


# -- what runs each command line ------------------------------------------------------------------
def _ci_lines() -> list[str]:
    return (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()


def _readme_install_block() -> set[str]:
    section = (ROOT / "README.md").read_text(encoding="utf-8").split("\n## Installing\n", 1)[1].split("\n## ", 1)[0]
    (block,) = re.findall(r"```bash\n(.*?)```", section, flags=re.S)
    return {line.strip() for line in block.splitlines() if line.strip()}


def _check_ci_runs_it_verbatim(command: Command) -> None:
    assert command.text in _ci_lines(), "CI (.ci/run) runs this line verbatim"


def _check_ci_runs_the_suite(command: Command) -> None:
    assert any(line.endswith(f"-m {command.text}") for line in _ci_lines()), "CI (.ci/run) runs the suite so"


def _check_the_first_setup_line(command: Command) -> None:
    # CI's first-day lane creates a venv and installs the checkout into it with `pip install .`
    # for real; the server at the end of the line runs here as `python -m mockserver`
    ci = "\n".join(_ci_lines())
    assert "python3 -m venv" in ci and "-m pip install -q . pytest" in ci
    first, install, serve = (part.strip() for part in command.text.split("&&"))
    assert first == "python3 -m venv .venv" and install == ".venv/bin/pip install ."
    assert serve == ".venv/bin/python -m mockserver"
    assert "python -m mockserver" in {c.text for c in documented_commands() if runner(c) == "mockserver"}


def _check_the_install_block_is_run(command: Command) -> None:
    sys.path.insert(0, str(Path(__file__).parent))
    try:
        from test_install_lines import install_lines
    finally:
        sys.path.pop(0)
    assert len(install_lines()) == len(_readme_install_block())


def _check_the_browser_lane(command: Command) -> None:
    ci = "\n".join(_ci_lines())
    assert "apt-get install -y" in ci and "chromium" in ci
    assert "-m pytest -m browser" in ci


def _check_wrk_is_optional(command: Command) -> None:
    # root and the network are not a test's to use: the benchmark must say when wrk is missing
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from benchmarks import loadgen
    from benchmarks.common import Report

    original = loadgen.wrk_path
    loadgen.wrk_path = lambda: None  # type: ignore[assignment]
    try:
        report = Report()
        out = _capture(lambda: loadgen.load_generator(report, seconds=1, repeats=1, peers=False))
    finally:
        loadgen.wrk_path = original  # type: ignore[assignment]
    assert "wrk: not installed, skipped" in out and "apt-get install wrk" in out
    assert report.verdicts == [] and "wrk" not in report.data


def _check_the_benchmark_runs_pytest_quietly(command: Command) -> None:
    source = (ROOT / "benchmarks" / "pytest_run.py").read_text(encoding="utf-8")
    assert '[sys.executable, "-m", "pytest", "-q",' in source


def _run_the_guarantee_tests_collection(command: Command) -> None:
    # running them is the suite's job (they are part of it, hypothesis takes minutes): the line
    # as written must name test files that exist and collect
    result = _bash(command.text.replace(".venv/bin/python", "python") + " --collect-only -q -n 0 -p no:cacheprovider",
                   cwd=ROOT, timeout=BENCH_TIMEOUT)
    assert result.returncode == 0, (result.stdout[-3000:], result.stderr[-3000:])
    assert re.search(r"^\d+ tests collected", result.stdout, re.M), result.stdout[-2000:]


def _run_the_contributing_part_line(command: Command) -> None:
    # `tests/<files>` is a placeholder: one small docs test file stands in for it
    line = command.text.replace(".venv/bin/python", "python").replace("tests/<files>",
                                                                     "tests/docs/test_setup_commands.py")
    result = _bash(line + " -p no:cacheprovider", cwd=ROOT, timeout=TIMEOUT * 2)
    assert result.returncode == 0, (result.stdout[-3000:], result.stderr[-3000:])
    assert re.search(r"^\d+ passed", result.stdout, re.M), result.stdout


#: lines that cannot run verbatim in a test run: why, and what is checked instead
EXPLAINED: dict[str, tuple[str, Callable[[Command], None]]] = {
    "python3 -m venv .venv && .venv/bin/pip install . && .venv/bin/python -m mockserver": (
        "a fresh venv installing from the network: CI's first-day lane does that; its server runs here",
        _check_the_first_setup_line),
    "python3 -m venv .venv && .venv/bin/pip install -e '.[test]' && .venv/bin/python -m pytest -n 2": (
        "the whole suite from a fresh venv: that is CI, which runs this line verbatim", _check_ci_runs_it_verbatim),
    "pytest -n 2": ("the whole suite: CI runs it (the README's set-up line)", _check_ci_runs_the_suite),
    "pytest -m browser": ("needs Chromium (root installs it): CI's browser lane runs it", _check_the_browser_lane),
    "apt-get install -y chromium": ("needs root and Debian's network: CI's browser lane installs it",
                                    _check_the_browser_lane),
    "apt-get install wrk": ("needs root and Debian's network: the benchmark runs without wrk and says so",
                            _check_wrk_is_optional),
    "pytest -q": ("not a user's command: how benchmarks/pytest_run.py runs its generated suites",
                  _check_the_benchmark_runs_pytest_quietly),
    ".venv/bin/python -m pytest tests/guarantees/test_stateful_wallaroo.py tests/guarantees/test_stateful_modelarts.py "
    "tests/guarantees/test_fuzz_endpoints.py tests/guarantees/test_fuzz_http.py tests/guarantees/test_fuzz_control.py "
    "tests/guarantees/test_concurrency.py tests/guarantees/test_body_limits.py tests/guarantees/test_error_shapes.py "
    "-n 2": ("these files are part of the suite (minutes of hypothesis): collected here with --collect-only",
             _run_the_guarantee_tests_collection),
    ".venv/bin/python -m pytest tests/<files> -q": (
        "a placeholder: run with one small test file in its place", _run_the_contributing_part_line),
}


def explained(command: Command) -> tuple[str, Callable[[Command], None]] | None:
    return {tuple(shlex.split(text)): row for text, row in EXPLAINED.items()}.get(command.key)


def runner(command: Command) -> str | None:
    """The name of what runs this command line (None: nobody does, the test below fails)."""
    if explained(command):
        return "explained"
    if not command.inline and command.text in _readme_install_block():
        return "install-lines"
    environ, argv = split_environment(command.words)
    if not argv:
        return None
    if argv[:1] == ["mockserver"] or argv[:3] == ["python", "-m", "mockserver"]:
        return "mockserver-shell" if "|" in argv else "mockserver"
    if argv[0] == "curl" and not environ:
        return "curl"
    if argv[:2] == ["python", "-m"] and argv[2] in ("benchmarks.run", "benchmarks.soak", "benchmarks.graphql_hold"):
        return "benchmark"
    if argv[:2] == ["pip", "install"] and not environ:
        return "pip"
    return None


def commands_for(name: str) -> list:
    return [pytest.param(command, id=command.where) for command in documented_commands() if runner(command) == name]


def test_every_documented_command_line_has_a_runner():
    commands = documented_commands()
    unhandled = [f"{command.where}: {command.text}" for command in commands if runner(command) is None]
    assert not unhandled, "command lines in the docs that no test runs (add a runner or an EXPLAINED row):\n" + \
        "\n".join(unhandled)
    stale = {text for text in EXPLAINED if tuple(shlex.split(text)) not in {command.key for command in commands}}
    assert not stale, f"EXPLAINED rows for command lines the docs no longer show: {stale}"
    by_runner = {name: len(commands_for(name)) for name in
                 ("mockserver", "mockserver-shell", "curl", "benchmark", "pip", "install-lines")}
    assert by_runner["mockserver"] >= 6 and by_runner["curl"] >= 5 and by_runner["benchmark"] >= 9, by_runner
    assert all(by_runner.values()), by_runner


def test_the_docs_shell_blocks_are_labelled():
    """A command in an unlabelled block would be invisible to the runners above."""
    for path in DOCS:
        text = path.read_text(encoding="utf-8")
        for match in FENCE.finditer(text):
            if match.group(1) in ("", "text"):
                for line in match.group(2).splitlines():
                    words = line.removeprefix("$ ").split()
                    assert not (words and _program(words)), f"{path.name}: label the block of {line!r} ```bash"


@pytest.mark.parametrize("command", commands_for("explained"))
def test_every_line_that_cannot_run_verbatim_is_checked_otherwise(command):
    _, check = explained(command)
    check(command)


def test_every_file_a_command_line_names_exists():
    """Scenario files given to ``--scenario`` or ``MOCKSERVER_SCENARIO`` (outputs, such as a
    state file or a benchmark's figures, are written by the command)."""
    named = set()
    for command in documented_commands():
        environ, argv = split_environment(command.words)
        refs = [part for part in environ.get("MOCKSERVER_SCENARIO", "").split(",") if part]
        refs += [argv[index + 1] for index, word in enumerate(argv[:-1]) if word == "--scenario"]
        refs += [word for word in argv if word.startswith("tests/") and word.endswith(".py")]
        named.update(ref for ref in refs if ref.endswith((".json", ".yaml", ".yml", ".py")))
    assert any(name.startswith("examples/") for name in named), "the command lines name example files"
    for name in sorted(named):
        assert (ROOT / name).is_file(), f"{name} is named by a documented command but is not in the repository"


# -- running them ---------------------------------------------------------------------------------
def _capture(action: Callable[[], object]) -> str:
    import contextlib
    import io

    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        action()
    return buffer.getvalue()


def _wrappers(folder: Path) -> Path:
    """``python``, ``python3``, ``mockserver``, ``pip``, ``pytest``: this interpreter's."""
    folder.mkdir(exist_ok=True)
    for name, module in (("python", ""), ("python3", ""), ("mockserver", "-m mockserver"), ("pip", "-m pip"),
                         ("pytest", "-m pytest")):
        script = folder / name
        script.write_text(f'#!/bin/sh\nexec {shlex.quote(sys.executable)} {module} "$@"\n', encoding="utf-8")
        script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return folder


def _environment(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("MOCKSERVER_", "PYTEST_", "COV_")) and key != "PYTHONDONTWRITEBYTECODE"}
    env["PATH"] = str(_wrappers(Path(_shared_tmp()) / "bin")) + os.pathsep + env.get("PATH", "")
    env["PYTHONPATH"] = str(ROOT) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env.update(extra or {})
    return env


_TMP: list[str] = []


def _shared_tmp() -> str:
    if not _TMP:
        import atexit
        import shutil
        import tempfile

        _TMP.append(tempfile.mkdtemp(prefix="mockserver-doc-commands-"))
        atexit.register(shutil.rmtree, _TMP[0], True)
    return _TMP[0]


def _bash(line: str, *, cwd: Path, timeout: float, extra: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", "-c", line], cwd=cwd, env=_environment(extra), capture_output=True, text=True,
                          timeout=timeout)


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """A user's folder with the repository's examples in it (state files land here)."""
    (tmp_path / "examples").symlink_to(ROOT / "examples", target_is_directory=True)
    return tmp_path


@pytest.mark.parametrize("command", commands_for("mockserver"))
def test_every_mockserver_line_runs(workdir, command):
    environ, argv = split_environment(command.words)
    argv = argv[1:] if argv[0] == "mockserver" else argv[3:]
    env = {key: value for key, value in os.environ.items() if not key.startswith("MOCKSERVER_")}
    env.update(environ)
    if "--port" not in argv:
        env.setdefault("MOCKSERVER_PORT", "0")
    process_command = [sys.executable, "-m", "mockserver", *argv]
    if {"--check", "--list-scenarios", "--version", "--help"} & set(argv):
        result = subprocess.run(process_command, cwd=workdir, env=env, capture_output=True, text=True, timeout=TIMEOUT)
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip()
        return
    process = subprocess.Popen(process_command, cwd=workdir, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
    try:
        url = _first_line(process)
        assert requests.get(f"{url}/__mock/health", timeout=10).json()["status"] == "ok"
    finally:
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=TIMEOUT)
    assert process.returncode == 0, err
    assert "Traceback" not in err


def _first_line(process: subprocess.Popen) -> str:
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.append(process.stdout.readline()), daemon=True)
    reader.start()
    reader.join(TIMEOUT)
    assert lines and lines[0].startswith("http://127.0.0.1:"), (lines, process.poll())
    return lines[0].strip()


@pytest.mark.parametrize("command", commands_for("mockserver-shell"))
def test_every_mockserver_pipeline_runs_in_a_shell(workdir, command):
    """``mockserver --port 0 | head -1``, verbatim: the URL comes out, the server keeps serving."""
    process = subprocess.Popen(["bash", "-c", command.text], cwd=workdir, env=_environment(), text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    try:
        url = _first_line(process)
        assert requests.get(f"{url}/__mock/health", timeout=10).json()["status"] == "ok"
    finally:
        os.killpg(process.pid, signal.SIGINT)  # Ctrl+C reaches the whole pipeline
        out, err = process.communicate(timeout=TIMEOUT)
    assert out == "" and "Traceback" not in err and "BrokenPipeError" not in err, (out, err)


def test_every_curl_line_runs_against_a_server():
    commands = [parameter.values[0] for parameter in commands_for("curl")]
    with MockServer(["default"]) as server:
        address = server.url.removeprefix("http://")
        for command in commands:
            argv = [word.replace("localhost:8080", address).replace("http://127.0.0.1:8080", server.url)
                    .replace(".../", f"{server.url}/") for word in command.words]
            result = subprocess.run([argv[0], "--fail", "--max-time", "30", *argv[1:]], capture_output=True,
                                    text=True, timeout=TIMEOUT)
            assert result.returncode == 0, (command.where, result.returncode, result.stdout, result.stderr)
            json.loads(result.stdout)


@pytest.mark.parametrize("command", commands_for("pip"))
def test_every_pip_line_resolves_offline(tmp_path, command):
    """Run from the checkout (``.`` is this repository), as the docs' lines are."""
    report = tmp_path / "report.json"
    line = command.text.split(" #")[0].rstrip()
    result = _bash(f"{line} --dry-run --no-deps --no-index --no-build-isolation --disable-pip-version-check "
                   f"--quiet --report {shlex.quote(str(report))}", cwd=ROOT, timeout=300)
    assert result.returncode == 0, result.stderr
    installs = json.loads(report.read_text())["install"]
    local = [word for word in command.words[2:] if word.startswith(".")]
    if local:  # this package, with the extra the line names
        (item,) = installs
        extra = re.search(r"\[(\w+)\]", local[0])
        assert item["metadata"]["name"] == "wallaroo-modelarts-mockserver"
        assert item.get("requested_extras") == ([extra.group(1)] if extra else None), item.get("requested_extras")
    else:  # named requirements: installed already (the test extra has them) or resolvable
        wanted = {re.split(r"[<>=\[ ]", word)[0].lower() for word in command.words[2:]}
        assert {item["metadata"]["name"].lower() for item in installs} <= wanted


# -- the benchmark command lines, under the smoke budget ------------------------------------------
SECTION_HEADINGS = {"wrk": "== standalone servers under wrk", "socket": "== socket:", "inprocess": "== in-process:",
                    "startup": "== start-up, reset, stop:", "pytest": "== pytest:", "scale": "== scale:",
                    "memory": "== memory:"}
SECTION_DATA = {"wrk": "wrk", "socket": "socket", "inprocess": "inprocess", "startup": "startup", "pytest": "pytest",
                "scale": "scale", "memory": "memory_per_workspace_bytes"}


@pytest.mark.parametrize("command", commands_for("benchmark"))
def test_every_benchmark_line_runs_under_the_smoke_budget(tmp_path, command):
    result = _bash(command.text, cwd=tmp_path, timeout=BENCH_TIMEOUT, extra={"MOCKSERVER_BENCH_BUDGET": "smoke"})
    out, err = result.stdout, result.stderr
    assert "Traceback" not in err, err[-3000:]
    assert "MOCKSERVER_BENCH_BUDGET=smoke" in out + err, "the run says it ran under the smoke budget"
    module = command.words[2]
    if module == "benchmarks.soak":
        assert result.returncode == 0, err[-3000:]
        assert "server alive at the end: True" in out and "RSS:" in out and "p99" in out, out
        return
    if module == "benchmarks.graphql_hold":
        assert result.returncode == 0, err[-3000:]
        assert "GraphQL at" in out and "the issue's attack: 100 aliases" in out and "refused" in out, out
        return
    from benchmarks.run import SECTIONS, parse_args

    args = parse_args(command.words[3:])
    sections = args.only.split(",")
    assert set(sections) <= set(SECTIONS)
    failed = sum(1 for line in out.splitlines() if line.startswith("FAIL "))
    assert result.returncode == failed, (result.returncode, out[-3000:], err[-3000:])  # failed targets, never a crash
    assert "== summary ==" in out and re.search(r"^  \d+ passed, \d+ failed$", out, re.M), out[-3000:]
    blocks = re.split(r"(?m)^(?===)", out)
    for section in SECTIONS:
        heading = SECTION_HEADINGS[section]
        mine = [block for block in blocks if block.startswith(heading)]
        if section not in sections:
            assert not mine, f"{section} ran but the line did not ask for it"
            continue
        assert len(mine) == 1, f"missing section {heading!r}:\n{out}"
        if section == "wrk" and "wrk: not installed" in mine[0]:
            continue  # the C load generator is a system package (see EXPLAINED)
        assert re.search(r"(?m)^  -+(  -+)+$", mine[0]), f"section {section} printed no table:\n{mine[0]}"
    for section, heading in (("socket", "== socket:"), ("inprocess", "== in-process:")):
        if section in sections:  # the budget wins over the line's --repeats and --seconds
            assert re.search(rf"(?m)^{heading}.* 1 x 0\.05 s per", out), out
    if args.json:
        figures = json.loads((tmp_path / args.json).read_text(encoding="utf-8"))
        assert figures["budget"] == "smoke" and "environment" in figures
        for section in sections:
            if section != "wrk" or "wrk: not installed" not in out:
                assert SECTION_DATA[section] in figures, section
