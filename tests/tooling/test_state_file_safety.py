"""The state file never loses acknowledged writes: one server per file, unusable paths refused
at start, SIGHUP saves, symlinks kept, no file written that cannot be read back, and clear
messages when a file is broken."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mockserver import ScenarioError
from mockserver import scenarios as scenario_files
from mockserver.validation import parse_json


# -- messages --------------------------------------------------------------------------------------
def test_a_truncated_state_file_says_at_once(tmp_path: Path) -> None:
    truncated = tmp_path / "state.json"
    truncated.write_text('{"format": "mockserver-state", "scenarios": ["defa')
    with pytest.raises(ScenarioError) as caught:
        scenario_files.read(truncated)
    assert caught.value.message == "invalid JSON: Unterminated string starting at line 1 column 46"
    with pytest.raises(ValueError) as body_error:
        parse_json(b'{"a": "b')
    assert str(body_error.value) == "Unterminated string starting at line 1 column 7"
