"""Reading Wallaroo request bodies into plain values, with the API's own 400 errors."""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote_plus

from flask import request

from ..context import json_body
from ..validation import FieldError, Fields
from . import exceptions as errors
from .keycloak import FLAG_FILTERS, IDP_FILTERS, TEXT_FILTERS, ClientCredentials, NewUser, UserQuery


def body_fields(*, optional: bool = False) -> Fields:
    """The JSON object body; ``optional`` bodies may be empty (``workspaces/validate``)."""
    if optional and not request.get_data(cache=True).strip():
        return Fields({})
    try:
        value = json_body()
    except ValueError as error:
        raise errors.MalformedJson(str(error)) from None
    try:
        return Fields(value)
    except FieldError as error:
        raise errors.InvalidBody(f"invalid type: {error.message}") from None


def _read(reader: Any) -> Any:
    try:
        return reader()
    except FieldError as error:
        raise errors.InvalidBody(f"{error.path}: {error.message}") from None


def user_ids_filter(fields: Fields) -> list[str] | None:
    """``workspaces/list`` filter: ``user_id`` (spec, SDK) or ``user_ids`` (newer docs)."""
    def read() -> list[str] | None:
        single = fields.str("user_id")
        many = fields.str_list("user_ids")
        if single is None and many is None:
            return None
        return ([single] if single is not None else []) + (many or [])
    return _read(read)


def query_user_ids(fields: Fields) -> list[str] | None:
    return _read(lambda: fields.str_list("user_ids"))


def workspace_name(fields: Fields) -> str:
    return _read(lambda: fields.str("workspace_name", required=True, nullable=False))


def workspace_id(fields: Fields) -> int:
    return _read(lambda: fields.int("workspace_id", required=True, nullable=False, minimum=0))


@dataclass
class MemberRef:
    workspace_id: int
    email: str | None
    user_id: str | None
    user_type: str | None = None


def member_ref(fields: Fields, *, with_type: bool) -> MemberRef:
    def read() -> MemberRef:
        ref = MemberRef(workspace_id=fields.int("workspace_id", required=True, nullable=False, minimum=0),
                        email=fields.str("email"), user_id=fields.str("user_id"))
        fields.str("url")  # accepted (the SDK sends it) but unused
        if with_type:
            ref.user_type = fields.str("user_type")
        return ref
    return _read(read)


@dataclass
class Invite:
    email: str
    password: str | None
    roles: list[str] | None
    require_reset: bool | None


def invite(fields: Fields) -> Invite:
    return _read(lambda: Invite(email=fields.str("email", required=True, nullable=False),
                                password=fields.str("password"), roles=fields.str_list("roles"),
                                require_reset=fields.bool("require_reset")))


def email(fields: Fields) -> str:
    return _read(lambda: fields.str("email", required=True, nullable=False))


@dataclass
class UserEdit:
    user_id: str
    first_name: str
    last_name: str
    email: str
    enabled: bool
    is_admin: bool


def user_edit(fields: Fields) -> UserEdit:
    def read() -> UserEdit:
        return UserEdit(user_id=fields.str("id", required=True, nullable=False),
                        first_name=fields.str("firstName", required=True, nullable=False),
                        last_name=fields.str("lastName", required=True, nullable=False),
                        email=fields.str("email", required=True, nullable=False),
                        enabled=fields.bool("enabled", required=True, nullable=False),
                        is_admin=fields.bool("isAdmin", required=True, nullable=False))
    return _read(read)


@dataclass
class TokenRequest:
    grant_type: str
    client: ClientCredentials
    username: str | None
    password: str | None
    refresh_token: str | None
    scope: str | None
    nonce: str | None


def client_credentials(*, required: bool = True) -> ClientCredentials:
    """The calling client: HTTP Basic (``client_secret_basic``) or form fields (``client_secret_post``)."""
    authorization = request.headers.get("Authorization", "")
    scheme, _, encoded = authorization.partition(" ")
    if scheme.lower() == "basic" and encoded.strip():
        try:
            client_id, colon, secret = base64.b64decode(encoded.strip(), validate=True).decode("utf-8").partition(":")
        except (binascii.Error, UnicodeDecodeError):
            raise errors.InvalidClient() from None
        if not colon:
            raise errors.InvalidClient()
        return ClientCredentials(unquote_plus(client_id), unquote_plus(secret))
    form = request.form
    form_client_id = form.get("client_id")
    if not form_client_id:
        raise errors.InvalidClient("Missing form parameter: client_id")
    return ClientCredentials(form_client_id, form.get("client_secret"))


def token_request() -> TokenRequest:
    """Keycloak's token endpoint takes form fields (``application/x-www-form-urlencoded``)."""
    form = request.form
    grant_type = form.get("grant_type")
    if not grant_type:
        raise errors.MissingFormParameter("grant_type")
    return TokenRequest(grant_type=grant_type, client=client_credentials(), username=form.get("username"),
                        password=form.get("password"), refresh_token=form.get("refresh_token"),
                        scope=form.get("scope"), nonce=form.get("nonce"))


def form_value(name: str) -> str:
    """A required form field of the logout and introspection endpoints."""
    value = request.form.get(name)
    if not value:
        raise errors.MissingFormParameter(name)
    return value


def new_user() -> NewUser:
    """A UserRepresentation POSTed to ``.../users``: the members Keycloak stores for a new user."""
    try:
        fields = Fields(json_body())
        password, temporary = None, False
        for credential in fields.objects("credentials", known=None) or []:
            if (credential.str("type") or "password") == "password":
                password = credential.str("value")
                temporary = bool(credential.bool("temporary", default=False))
        return NewUser(username=fields.str("username"), email=fields.str("email"),
                       first_name=fields.str("firstName"), last_name=fields.str("lastName"),
                       enabled=bool(fields.bool("enabled", default=False)),
                       email_verified=bool(fields.bool("emailVerified", default=False)),
                       password=password, temporary_password=temporary,
                       required_actions=list(fields.str_list("requiredActions", default=[])))
    except (ValueError, FieldError) as error:
        raise errors.KeycloakBadRequest(f"unknown_error: {error}") from None


@dataclass
class PasswordReset:
    value: str
    temporary: bool


def password_reset() -> PasswordReset:
    """A CredentialRepresentation PUT to ``.../reset-password``."""
    try:
        fields = Fields(json_body())
        return PasswordReset(value=fields.str("value", default=""),
                             temporary=bool(fields.bool("temporary", default=True)))
    except (ValueError, FieldError) as error:
        raise errors.KeycloakBadRequest(f"unknown_error: {error}") from None


def role_list() -> list[dict[str, Any]]:
    """A list of RoleRepresentations (role-mapping changes)."""
    try:
        value = json_body()
    except ValueError as error:
        raise errors.KeycloakBadRequest(f"unknown_error: {error}") from None
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise errors.KeycloakBadRequest("unknown_error: expected a list of roles")
    return value


@dataclass
class KeycloakUserUpdate:
    enabled: bool | None
    first_name: str | None
    last_name: str | None
    email: str | None
    email_verified: bool | None
    required_actions: list[str] | None


def keycloak_user_update() -> KeycloakUserUpdate:
    """A UserRepresentation PUT to Keycloak's admin API; members it does not know are ignored."""
    try:
        fields = Fields(json_body())
        return KeycloakUserUpdate(enabled=fields.bool("enabled"), first_name=fields.str("firstName"),
                                  last_name=fields.str("lastName"), email=fields.str("email"),
                                  email_verified=fields.bool("emailVerified"),
                                  required_actions=fields.str_list("requiredActions"))
    except (ValueError, FieldError) as error:  # FieldError is a ValueError; both are bad input
        raise errors.KeycloakBadRequest(f"unknown_error: {error}") from None


@dataclass
class UserSearch:
    query: UserQuery
    first: int
    max_results: int
    brief: bool


# Keycloak's SearchQueryUtils: ``key:value`` pairs, either side may be "quoted" (with \" escapes);
# text that is not such a pair is skipped
_Q_PAIR = re.compile(r'(?:"((?:\\.|[^\\"])+)"|([^\s:"][^\s:]*)):(?:"((?:\\.|[^\\"])*)"|(\S*))')
_ESCAPE = re.compile(r"\\(.)")


def search_query_fields(text: str) -> dict[str, str]:
    """The ``q`` parameter of Keycloak's user search: ``"a:1 b:\"x y\""`` -> ``{"a": "1", "b": "x y"}``."""
    fields = {}
    for match in _Q_PAIR.finditer(text):
        quoted_key, key, quoted_value, value = match.groups()
        fields[_ESCAPE.sub(r"\1", quoted_key) if quoted_key is not None else key] = (
            _ESCAPE.sub(r"\1", quoted_value) if quoted_value is not None else value)
    return fields


def _java_boolean(raw: str | None) -> bool | None:
    """A ``Boolean`` query parameter as JAX-RS converts it (Java's ``Boolean.valueOf``): ``true`` in
    any letter case is true, any other text false; absent (or empty, CHOICE) is no filter."""
    if raw is None or raw == "":
        return None
    return raw.lower() == "true"


def user_search() -> UserSearch:
    """Query parameters of ``GET /auth/admin/realms/master/users`` (and ``users/count``)."""
    args = request.args

    def number(name: str, default: int) -> int:
        raw = args.get(name)
        if raw is None or raw == "":
            return default
        try:
            # Java's Integer.parseInt: digits of any script, but no "_" or spaces (int() takes both)
            if "_" in raw or raw.strip() != raw:
                raise ValueError(raw)
            value = int(raw)
        except ValueError:
            raise errors.KeycloakBadRequest(f"unknown_error: '{name}' must be an integer") from None
        if value < 0:
            raise errors.KeycloakBadRequest(f"unknown_error: '{name}' must not be negative")
        return value

    filters: dict[str, str] = {}
    for name in (*TEXT_FILTERS, *IDP_FILTERS):
        value = args.get(name)
        if value is not None:
            filters[name] = value
    for name in FLAG_FILTERS:
        flag = _java_boolean(args.get(name))
        if flag is not None:
            filters[name] = "true" if flag else "false"
    filters.update(search_query_fields(args.get("q") or ""))  # Keycloak merges q over the parameters
    query = UserQuery(search=args.get("search"), filters=filters, exact=bool(_java_boolean(args.get("exact"))),
                      enabled=_java_boolean(args.get("enabled")))
    return UserSearch(query=query, first=number("first", 0), max_results=number("max", 100),
                      brief=bool(_java_boolean(args.get("briefRepresentation"))))
