"""Server-side verification of ``SDK-HMAC-SHA256`` request signatures (AK/SK authentication).

The Huawei Cloud SDKs sign each request (``huaweicloudsdkcore`` signer, the default
algorithm) and the API gateway recomputes the signature from what it received. This
module does the gateway's half from the raw request: the decoded path, the raw query
string, the values of the headers named in ``SignedHeaders`` and the body bytes. It knows
nothing about Flask; the routes hand it a :class:`SignedRequest`.

The canonical form (see docs/modelarts.md, "AK/SK signatures"):

* CanonicalURI: every ``/``-separated segment of the decoded path percent-encoded (only
  ``A-Za-z0-9_.-~`` left as is), always ending in ``/``;
* CanonicalQuery: the ``(key, value)`` pairs decoded as the server reads them (``+`` is a
  space), sorted by key (the values of a repeated key keep the order they were sent in,
  which for the SDK is sorted), each ``key=value`` percent-encoded the same way, joined by
  ``&``. So a query re-encoded or reordered to mean something else (``a%2Bb`` sent as
  ``a+b``, repeated values swapped) no longer verifies;
* CanonicalHeaders: ``name:value`` (value stripped) for each signed header, one per line;
* the payload hash: sha256 of the body, ``X-Sdk-Content-Sha256`` when sent with a body,
  the hash of nothing for an empty body. :func:`verify` also checks that header against
  the body actually received, and refuses ``UNSIGNED-PAYLOAD`` with a body, so the
  signature always covers the body.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Mapping
from urllib.parse import quote, unquote_plus

ALGORITHM = "SDK-HMAC-SHA256"
#: other algorithms the SDKs can be configured to use; recognised, not verified (documented)
OTHER_ALGORITHMS = ("SDK-HMAC-SM3", "SDK-ECDSA-P256-SHA256", "SDK-SM2-SM3", "V11-HMAC-SHA256")
DATE_FORMAT = "%Y%m%dT%H%M%SZ"
DATE_HEADER = "x-sdk-date"
CONTENT_SHA256_HEADER = "x-sdk-content-sha256"
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"


class SignatureError(ValueError):
    """The request cannot be verified; ``reason`` completes the gateway's message."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


@dataclass(frozen=True)
class Authorization:
    """The parts of ``Authorization: SDK-HMAC-SHA256 Access=..., SignedHeaders=..., Signature=...``."""

    algorithm: str
    access_key: str
    signed_headers: tuple[str, ...]
    signature: str


@dataclass
class SignedRequest:
    """What the signature covers, as received. ``headers`` keys are lower-case."""

    method: str
    path: str  # decoded (percent-escapes resolved), as the WSGI server hands it over
    query_string: str  # raw, still percent-encoded
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""


def is_signature_scheme(authorization: str) -> bool:
    """Whether an ``Authorization`` value uses one of the SDK signing schemes."""
    scheme = authorization.strip().split(" ", 1)[0]
    return scheme == ALGORITHM or scheme in OTHER_ALGORITHMS


def parse_authorization(value: str) -> Authorization:
    """Split the header; raises :class:`SignatureError` when it is not a complete SDK signature."""
    algorithm, _, rest = value.strip().partition(" ")
    if algorithm != ALGORITHM:
        raise SignatureError(f"unsupported signing algorithm {algorithm}; this mock verifies {ALGORITHM} only")
    params: dict[str, str] = {}
    for part in rest.split(","):
        key, equals, item = part.strip().partition("=")
        if not equals:
            raise SignatureError("malformed authorization header")
        params[key.strip()] = item.strip()
    access_key = params.get("Access")
    if access_key is None and "Credential" in params:
        access_key = params["Credential"].split("/", 1)[0]
    signed = params.get("SignedHeaders")
    signature = params.get("Signature")
    if not access_key or not signed or not signature:
        raise SignatureError("malformed authorization header: Access, SignedHeaders and Signature are required")
    return Authorization(algorithm=algorithm, access_key=access_key,
                         signed_headers=tuple(name.strip().lower() for name in signed.split(";")),
                         signature=signature.lower())


def _encode(text: str) -> str:
    return quote(text, safe="~")


def canonical_uri(decoded_path: str) -> str:
    """Each segment percent-encoded (UTF-8), with a trailing ``/``."""
    uri = "/".join(_encode(segment) for segment in decoded_path.split("/"))
    return uri if uri.endswith("/") else uri + "/"


def canonical_query(raw_query: str) -> str:
    """The query pairs decoded as the app reads them, sorted by key, and re-encoded.

    ``+`` decodes to a space, as Werkzeug reads it: the SDK sends a plus as ``%2B``, so a
    replay that turns ``a%2Bb`` into ``a+b`` (which the app reads as ``a b``) canonicalises
    to ``a%20b`` and fails. The sort is by key only and stable: the SDK sends the values
    of a repeated key sorted, and the app reads the first one, so swapping them changes
    both the meaning and the canonical form.
    """
    pairs = []
    for part in raw_query.split("&"):
        if not part:
            continue
        key, _, value = part.partition("=")
        pairs.append((unquote_plus(key), unquote_plus(value)))
    pairs.sort(key=lambda pair: pair[0])
    return "&".join(f"{_encode(key)}={_encode(value)}" for key, value in pairs)


def canonical_headers(headers: Mapping[str, str], signed_headers: tuple[str, ...]) -> str:
    lines = []
    for name in signed_headers:
        value = headers.get(name)
        if value is None:
            raise SignatureError(f"signed header {name} not found in the request")
        lines.append(f"{name}:{value.strip()}\n")
    return "".join(lines)


def payload_hash(body: bytes, content_sha256: str | None) -> str:
    if not body:
        return EMPTY_SHA256
    if content_sha256:
        return content_sha256
    return hashlib.sha256(body).hexdigest()


def canonical_request(request: SignedRequest, signed_headers: tuple[str, ...]) -> str:
    return "\n".join((
        request.method.upper(),
        canonical_uri(request.path),
        canonical_query(request.query_string),
        canonical_headers(request.headers, signed_headers),
        ";".join(signed_headers),
        payload_hash(request.body, request.headers.get(CONTENT_SHA256_HEADER)),
    ))


def string_to_sign(sdk_date: str, canonical: str) -> str:
    return f"{ALGORITHM}\n{sdk_date}\n{hashlib.sha256(canonical.encode('utf-8')).hexdigest()}"


def sign(secret_key: str, text: str) -> str:
    return hmac.new(secret_key.encode("utf-8"), text.encode("utf-8"), hashlib.sha256).hexdigest()


def parse_sdk_date(value: str) -> float:
    """``20190307T101459Z`` as epoch seconds; raises :class:`SignatureError`."""
    try:
        moment = datetime.strptime(value.strip(), DATE_FORMAT)
    except ValueError:
        raise SignatureError(f"invalid x-sdk-date {value!r}, expected the format YYYYMMDDTHHMMSSZ") from None
    return moment.replace(tzinfo=timezone.utc).timestamp()


def format_sdk_date(epoch_seconds: float) -> str:
    return datetime.fromtimestamp(epoch_seconds, tz=timezone.utc).strftime(DATE_FORMAT)


def expected_signature(request: SignedRequest, authorization: Authorization, secret_key: str) -> str:
    """The signature the client should have sent (raises if a signed header or the date is missing)."""
    sdk_date = request.headers.get(DATE_HEADER)
    if sdk_date is None:
        raise SignatureError("x-sdk-date header not found")
    canonical = canonical_request(request, authorization.signed_headers)
    return sign(secret_key, string_to_sign(sdk_date.strip(), canonical))


def verify(request: SignedRequest, authorization: Authorization, secret_key: str, *, now: float,
           max_skew_seconds: float) -> None:
    """Check date freshness and the signature; raises :class:`SignatureError` on any mismatch."""
    sdk_date = request.headers.get(DATE_HEADER)
    if sdk_date is None:
        raise SignatureError("x-sdk-date header not found")
    signed_at = parse_sdk_date(sdk_date)
    if abs(now - signed_at) > max_skew_seconds:
        raise SignatureError(f"x-sdk-date {sdk_date.strip()} is more than {int(max_skew_seconds)} seconds away "
                             "from the server time")
    check_payload(request)
    expected = expected_signature(request, authorization, secret_key)
    if not hmac.compare_digest(expected.encode("utf-8"), authorization.signature.encode("utf-8")):
        raise SignatureError("")


def check_payload(request: SignedRequest) -> None:
    """The signature must cover the body received: a stated hash must be the body's.

    The canonical request uses ``X-Sdk-Content-Sha256`` in place of hashing the body, so
    without this a signed request could be replayed with any other body. ``UNSIGNED-PAYLOAD``
    (which the SDK sends for non-JSON content types) leaves the body uncovered: refused
    with a body, since every API here takes JSON (a choice, docs/modelarts.md).
    """
    stated = request.headers.get(CONTENT_SHA256_HEADER)
    if not request.body or stated is None:
        return
    stated = stated.strip()
    if stated == UNSIGNED_PAYLOAD:
        raise SignatureError("x-sdk-content-sha256 UNSIGNED-PAYLOAD is not accepted for a request with a body")
    actual = hashlib.sha256(request.body).hexdigest()
    if not hmac.compare_digest(stated.lower().encode("utf-8", "replace"), actual.encode("ascii")):
        raise SignatureError("x-sdk-content-sha256 does not match the body")


def sign_request(request: SignedRequest, access_key: str, secret_key: str, *, now: float,
                 signed_headers: tuple[str, ...] | None = None) -> dict[str, str]:
    """Headers to add so that ``request`` verifies (for clients written without the SDK).

    Sets ``X-Sdk-Date``; signs the given headers, or every header of the request.
    """
    headers = {name.lower(): value for name, value in request.headers.items()}
    headers[DATE_HEADER] = format_sdk_date(now)
    names = tuple(sorted(name.lower() for name in (signed_headers or headers)))
    if DATE_HEADER not in names:
        names = tuple(sorted(names + (DATE_HEADER,)))
    signed = SignedRequest(method=request.method, path=request.path, query_string=request.query_string,
                           headers=headers, body=request.body)
    authorization = Authorization(ALGORITHM, access_key, names, "")
    signature = expected_signature(signed, authorization, secret_key)
    return {"X-Sdk-Date": headers[DATE_HEADER],
            "Authorization": f"{ALGORITHM} Access={access_key}, SignedHeaders={';'.join(names)}, Signature={signature}"}
