"""ModelArts errors: ``{"error_code", "error_msg", "request_id"}`` (placeholder, see issue 3)."""

from __future__ import annotations

from typing import Any

from ..errors import ApiError


class ModelArtsError(ApiError):
    status = 400
    error_code = "ModelArts.0104"
    description = "Parameter error."

    def body(self, request_id: str) -> dict[str, Any]:
        return {"error_code": self.error_code, "error_msg": self.description, "request_id": request_id}


class HttpError(ModelArtsError):
    def __init__(self, status: int, description: str) -> None:
        self.status = status
        self.error_code = "APIG.0101" if status in (404, 405) else f"ModelArts.{status:04d}"
        super().__init__(description)
