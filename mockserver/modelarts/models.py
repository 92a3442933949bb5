"""ModelArts state (placeholder until issue 3 lands)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..state import State


@dataclass
class ModelArtsData:
    document: dict[str, Any]


class ModelArtsBackend:
    name = "modelarts"
    data: ModelArtsData

    def __init__(self, state: State) -> None:
        self.state = state

    def empty(self) -> ModelArtsData:
        return ModelArtsData({})

    def merge(self, data: ModelArtsData, section: Any, path: str) -> None:
        data.document.update(section)

    def export(self, data: ModelArtsData) -> dict[str, Any]:
        return dict(data.document)
