"""The docs serve people who have only the package: they cite nothing outside the repository
(the team's reference notes, recorded seeds, paths of a machine) and explain vendor jargon."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from mockserver import MockServer

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")), *sorted((ROOT / "fixtures").glob("*.json")),
           *sorted((ROOT / "examples").glob("*"))]
OUTSIDE = re.compile(r"shared/(reference|seeds)|/work/|/home/\w|/root/|\bseeds?\s+\d{3}\b|\bthe seeds\b|"
                     r"\bseed's\b", re.I)


@pytest.mark.parametrize("path", SHIPPED, ids=lambda path: str(path.relative_to(ROOT)))
def test_no_reference_to_material_outside_the_repository(path):
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        assert not OUTSIDE.search(line), f"{path.name}:{number}: {line.strip()}"


def test_the_served_api_description_cites_nothing_outside_and_explains_its_jargon():
    server = MockServer(["empty"])
    client = server.test_client()
    texts = [json.dumps(client.get("/__mock/openapi.json").json), client.get("/v1/api/docs").get_data(as_text=True)]
    for text in texts:
        assert not OUTSIDE.search(text), OUTSIDE.search(text).group(0)
        assert "axum-util" not in text, "say what the shape is, not the vendor's crate name"


def test_the_wallaroo_error_shape_is_explained_where_it_is_named():
    text = (ROOT / "docs" / "wallaroo.md").read_text(encoding="utf-8")
    assert "axum" not in text or re.search(r"axum web framework; its\s+errors are JSON objects", text)
