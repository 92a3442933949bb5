"""The README opens with exactly two set-up commands, and CI runs the second one verbatim."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def setup_commands() -> list[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    before_first_section = readme.split("\n## ", 1)[0]
    return re.findall(r"```bash\n(.*?)\n```", before_first_section, flags=re.S)


def test_readme_starts_with_two_single_line_commands():
    commands = setup_commands()
    assert len(commands) == 2
    assert all("\n" not in command for command in commands)
    install_and_serve, install_and_test = commands
    assert install_and_serve.startswith("python3 -m venv .venv && ")
    assert install_and_serve.endswith("-m mockserver")
    assert "pytest" in install_and_test and "'.[test]'" in install_and_test


def test_ci_runs_the_readme_test_command_verbatim():
    ci_lines = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert setup_commands()[1] in ci_lines


def test_the_serve_command_uses_the_default_scenario():
    # No --scenario flag: the server must come up on the built-in default scenario.
    assert "--scenario" not in setup_commands()[0]
    assert (ROOT / "fixtures" / "default.json").is_file()


def test_ci_runs_the_tests_first_then_the_lint_and_type_gates():
    ci_lines = [line for line in (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
                if line and not line.startswith(("#", "set ", "cd "))]
    assert ci_lines[0] == setup_commands()[1]
    assert ".venv/bin/python -m ruff check ." in ci_lines[1:]
    assert ".venv/bin/python -m mypy" in ci_lines[1:]
