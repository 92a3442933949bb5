"""The web helpers views use: JSON answers, request headers as a dict, request ids.

Views import these (not :mod:`mockserver.app`, which assembles the views), so the app
module can import every API's routes without a cycle.
"""

from __future__ import annotations

import os
from typing import Any

from flask import Response, current_app


def app_json(body: Any, status: int = 200) -> Response:
    """``body`` as a compact JSON answer, encoded as the app's API answers are (field order
    kept, no ASCII escaping, no trailing newline)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    encoder = app.extensions.get("mockserver.json_encoder")
    text = encoder.encode(body) if encoder is not None else app.json.dumps(body, separators=(",", ":"))
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError:
        # a lone surrogate (e.g. from a scenario file) has no UTF-8 form: \u-escape it
        # rather than fail while answering, possibly while answering an error
        data = current_app.json.dumps(body, ensure_ascii=True, separators=(",", ":")).encode("ascii")
    # content_type, not mimetype: the same header ("application/json" gets no charset),
    # without working it out on every answer
    return app.response_class(data, status=status, content_type="application/json")


#: WSGI environ key -> header name ("" for keys that are not headers), filled as seen
_HEADER_NAMES: dict[str, str] = {}


def request_headers(environ: dict[str, Any]) -> dict[str, str]:
    """``dict(request.headers)`` (same names, values and order), at a third of the cost.

    Werkzeug's ``EnvironHeaders`` title-cases every ``HTTP_*`` key on every pass; the
    journal copies the headers of every request, so the names are worked out once.
    """
    headers = {}
    names = _HEADER_NAMES
    for key, value in environ.items():
        name = names.get(key)
        if name is None:
            if key[:5] == "HTTP_" and key not in ("HTTP_CONTENT_TYPE", "HTTP_CONTENT_LENGTH"):
                name = key[5:].replace("_", "-").title()
            elif key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
                name = key.replace("_", "-").title()
            else:
                name = ""
            if len(names) < 4096:
                names[key] = name
        if name and (value or key[:5] == "HTTP_"):  # empty CONTENT_TYPE/LENGTH are no header
            headers[name] = value
    return headers


def new_request_id() -> str:
    """``uuid.uuid4().hex`` (random, version 4, RFC 4122 variant) without building a UUID object."""
    value = int.from_bytes(os.urandom(16), "big")
    value = (value & _UUID4_CLEAR) | _UUID4_SET
    return f"{value:032x}"


_UUID4_CLEAR = ~((0xF000 << 64) | (0xC000 << 48))
_UUID4_SET = (0x4000 << 64) | (0x8000 << 48)
