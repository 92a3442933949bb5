"""The README's install lines work on a machine that has only the repository.

Each line of the README's "Installing" block is run with this interpreter's pip, offline:
the placeholders point at this checkout (its folder, and a ``git+file://`` URL of it), and
``pip install`` runs with ``--dry-run --no-deps --no-index`` and pip's ``--report``, so what
it would install is checked without fetching the dependencies (CI's first-day lane installs
them for real, in .ci/run). ``pip wheel`` really builds the wheel the next line installs.
"""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
PLACEHOLDERS = {"/path/to/mockserver": str(ROOT), "https://git.example.com/you/mockserver.git": f"file://localhost{ROOT}"}
OFFLINE = ["--no-build-isolation", "--no-index", "--disable-pip-version-check", "--quiet"]


def install_lines() -> list[list[str]]:
    section = README.read_text(encoding="utf-8").split("\n## Installing\n", 1)[1].split("\n## ", 1)[0]
    (block,) = re.findall(r"```bash\n(.*?)```", section, flags=re.S)
    lines = []
    for text in block.splitlines():
        for placeholder, real in PLACEHOLDERS.items():
            text = text.replace(placeholder, real)
        if shlex.split(text, comments=True):
            lines.append(shlex.split(text, comments=True))
    return lines


def pip(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pip", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=300)


def test_the_install_lines_install_this_package_with_its_sdk_extra(tmp_path):
    lines = install_lines()
    assert [words[:2] for words in lines] == [["pip", "install"], ["pip", "install"], ["pip", "wheel"],
                                             ["pip", "install"]]
    installed = []
    for words in lines:
        if words[1] == "wheel":
            result = pip(*words[1:], *OFFLINE, cwd=tmp_path)
            assert result.returncode == 0, result.stderr
            continue
        report = tmp_path / "report.json"
        result = pip(*words[1:], "--dry-run", "--no-deps", "--report", str(report), *OFFLINE, cwd=tmp_path)
        assert result.returncode == 0, (words, result.stderr)
        (item,) = json.loads(report.read_text())["install"]
        installed.append((item["metadata"]["name"], item["requested_extras"]))
    assert installed == [("wallaroo-modelarts-mockserver", ["sdk"])] * 3


def test_the_sdk_hint_names_packages_that_exist():
    from mockserver.clients import SDK_EXTRA_HINT

    requirements = re.search(r"pip install ((?:'[^']+' ?)+)", SDK_EXTRA_HINT).group(1)
    names = [re.split(r"[<>=]", requirement.strip("'"))[0] for requirement in requirements.split()]
    assert names == ["wallaroo", "huaweicloudsdkmodelarts"]
    extra = re.search(r'sdk = \[(.*?)\]', (ROOT / "pyproject.toml").read_text()).group(1)
    assert [re.split(r"[<>=]", item.strip(' "'))[0] for item in extra.split(",")] == names
    readme = README.read_text(encoding="utf-8")
    assert requirements.strip() in readme, "the README gives the same line"
