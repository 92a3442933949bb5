"""Reading ModelArts and IAM requests into plain values, with the APIs' own 400 errors.

Body problems the API cannot read at all (not JSON, not an object, a member of the wrong
type) are ``ModelArts.0101``; readable but invalid values are ``ModelArts.0104``, raised
by the backend. ``null`` members count as absent (the SDK leaves out ``None`` fields).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import request

from ..context import json_body
from ..validation import FieldError, Fields, decimal_int, type_name
from . import exceptions as errors
from .records import ORDERS, SORT_KEYS
from .signing import SignedRequest


@dataclass
class ListQuery:
    offset: int = 0
    limit: int = 1000
    sort_by: str = "name"
    order: str = "desc"
    enterprise_project_id: str | None = None
    name: str | None = None
    filter_accessible: bool = False


#: IAM's documented ``per_page`` range for ``GET /v3/projects``
MAX_PER_PAGE = 5000


@dataclass
class ProjectQuery:
    """``GET /v3/projects`` filters (Keystone's, plus IAM's paging); ``None`` means "not given"."""

    name: str | None = None
    domain_id: str | None = None
    parent_id: str | None = None
    enabled: bool | None = None
    is_domain: bool | None = None
    page: int | None = None
    per_page: int | None = None


def project_query() -> ProjectQuery:
    """The query of ``GET /v3/projects``; IAM documents ``page`` >= 1 and ``per_page`` in
    [1, 5000], each needing the other."""
    args = request.args

    def flag(name: str) -> bool | None:
        raw = args.get(name)
        return None if raw is None else raw.lower() == "true"

    def number(name: str, low: int, high: int | None) -> int | None:
        raw = args.get(name)
        if raw is None:
            return None
        try:
            value = int(raw.strip())
        except ValueError:
            value = None
        if value is None or value < low or (high is not None and value > high):
            allowed = f"an integer from {low} to {high}" if high is not None else f"an integer of at least {low}"
            raise errors.KeystoneInvalidQuery(name, f"{raw!r} is not {allowed}.")
        return value

    page, per_page = number("page", 1, None), number("per_page", 1, MAX_PER_PAGE)
    if (page is None) != (per_page is None):
        missing = "per_page" if per_page is None else "page"
        raise errors.KeystoneInvalidQuery(missing, "'page' and 'per_page' must be given together.")
    return ProjectQuery(name=args.get("name"), domain_id=args.get("domain_id"), parent_id=args.get("parent_id"),
                        enabled=flag("enabled"), is_domain=flag("is_domain"), page=page, per_page=per_page)


@dataclass
class GrantInput:
    user_id: str | None
    user_name: str | None
    user_type: str | None


@dataclass
class WorkspaceInput:
    """Create or update body; ``None`` means "not given"."""

    name: str | None = None
    description: str | None = None
    enterprise_project_id: str | None = None
    auth_type: str | None = None
    grants: list[GrantInput] | None = None


@dataclass
class AuthCheck:
    action_id: str
    action: str
    resource: str | None


def _header_value(value: str) -> str:
    """WSGI hands header bytes over as latin-1; the SDK signs the UTF-8 text."""
    try:
        return value.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return value


def signed_request() -> SignedRequest:
    """The parts of the current request an AK/SK signature covers."""
    return SignedRequest(method=request.method, path=request.path,
                         query_string=request.query_string.decode("utf-8", "replace"),
                         headers={name.lower(): _header_value(value) for name, value in request.headers.items()},
                         body=request.get_data(cache=True))


# -- ModelArts bodies ------------------------------------------------------------------
def body_fields() -> Fields:
    try:
        value = json_body()
    except ValueError as error:
        raise errors.InvalidArgument(f"The request body is not valid JSON: {error}.") from None
    if not isinstance(value, dict):
        raise errors.InvalidArgument(f"The request body must be a JSON object, got {type_name(value)}.")
    return Fields(value)


def _read(reader: Any) -> Any:
    try:
        return reader()
    except FieldError as error:
        raise errors.InvalidArgument(f"{error.path}: {error.message}.") from None


def workspace_input(fields: Fields) -> WorkspaceInput:
    def read() -> WorkspaceInput:
        grants = None
        if fields.list("grants") is not None:
            grants = [GrantInput(user_id=item.str("user_id"), user_name=item.str("user_name"),
                                 user_type=item.str("user_type")) for item in fields.objects("grants")]
        return WorkspaceInput(name=fields.str("name"), description=fields.str("description"),
                              enterprise_project_id=fields.str("enterprise_project_id"),
                              auth_type=fields.str("auth_type"), grants=grants)
    return _read(read)


def quota_changes(fields: Fields) -> list[tuple[str, int]]:
    if _read(lambda: fields.list("quotas")) is None:
        raise errors.MissingParameter("quotas")

    def read() -> list[tuple[str, int]]:
        changes = []
        for item in fields.objects("quotas"):
            resource = item.str("resource")
            quota = item.int("quota")
            if resource is None:
                raise errors.MissingParameter(item.at("resource"))
            if quota is None:
                raise errors.MissingParameter(item.at("quota"))
            changes.append((resource, quota))
        return changes
    return _read(read)


def auth_checks(fields: Fields) -> list[AuthCheck]:
    if _read(lambda: fields.list("requests")) is None:
        raise errors.MissingParameter("requests")

    def read() -> list[AuthCheck]:
        checks = []
        for item in fields.objects("requests"):
            action_id = item.str("action_id")
            action = item.str("action")
            for name, value in (("action_id", action_id), ("action", action)):
                if value is None:
                    raise errors.MissingParameter(item.at(name))
            attributes = item.obj("service_attributes")
            if attributes is not None:
                for key in attributes.value:
                    attributes.str(key)
            checks.append(AuthCheck(action_id=action_id, action=action, resource=item.str("resource")))
        return checks
    return _read(read)


# -- ModelArts query ------------------------------------------------------------------
def _int_arg(name: str, default: int, minimum: int) -> int:
    raw = request.args.get(name)
    if raw is None:
        return default
    value = decimal_int(raw.strip())
    if value is None or value < minimum:
        raise errors.InvalidQueryParameter(name, raw, f"It must be an integer greater than or equal to {minimum}.")
    return value


def list_query() -> ListQuery:
    query = ListQuery(offset=_int_arg("offset", 0, 0), limit=_int_arg("limit", 1000, 1))
    query.sort_by = request.args.get("sort_by", query.sort_by)
    if query.sort_by not in SORT_KEYS:
        raise errors.InvalidQueryParameter("sort_by", query.sort_by, "Valid values: name, update_time, status.")
    query.order = request.args.get("order", query.order)
    if query.order not in ORDERS:
        raise errors.InvalidQueryParameter("order", query.order, "Valid values: asc, desc.")
    query.enterprise_project_id = request.args.get("enterprise_project_id")
    query.name = request.args.get("name")
    flag = request.args.get("filter_accessible")
    if flag is not None:
        if flag.lower() not in ("true", "false"):
            raise errors.InvalidQueryParameter("filter_accessible", flag, "Valid values: true, false.")
        query.filter_accessible = flag.lower() == "true"
    return query


# -- IAM (Keystone) --------------------------------------------------------------------
@dataclass
class PasswordLogin:
    user_id: str | None
    user_name: str | None
    domain_id: str | None
    domain_name: str | None
    password: str | None
    #: the ``token`` method (re-scoping): the token to re-scope, instead of a password
    token_id: str | None = None
    scope_project_id: str | None = None
    scope_project_name: str | None = None
    scope_project_domain_id: str | None = None
    scope_project_domain_name: str | None = None
    scope_domain_id: str | None = None
    scope_domain_name: str | None = None


def _ref(fields: Fields | None) -> tuple[str | None, str | None]:
    if fields is None:
        return None, None
    return fields.str("id"), fields.str("name")


def password_login() -> PasswordLogin:
    """``{"auth": {"identity": {"methods": ["password"], "password": {"user": ...}}, "scope": ...}}``, or
    ``"methods": ["token"], "token": {"id": ...}`` to re-scope a token."""
    try:
        value = json_body()
    except ValueError as error:
        raise errors.KeystoneBadRequest(str(error)) from None
    try:
        auth = Fields(value).obj("auth", required=True)
        assert auth is not None
        identity = auth.obj("identity", required=True)
        assert identity is not None
        methods = identity.str_list("methods", required=True, nullable=False)
        if "password" in methods:
            password = identity.obj("password", required=True)
            assert password is not None
            user = password.obj("user", required=True)
            assert user is not None
            user_id, user_name = _ref(user)
            domain_id, domain_name = _ref(user.obj("domain"))
            if user_id is None:
                if user_name is None:
                    raise FieldError(user.path, "either id or name is required")
                if domain_id is None and domain_name is None:
                    raise FieldError(user.at("domain"), "the domain (id or name) of the user is required with a name")
            login = PasswordLogin(user_id=user_id, user_name=user_name, domain_id=domain_id, domain_name=domain_name,
                                  password=user.str("password", required=True, nullable=False))
        elif "token" in methods:
            token = identity.obj("token")
            token_id = (token.str("id") if token is not None else None) or request.headers.get("X-Auth-Token")
            if not token_id:
                raise FieldError(identity.at("token"), "the token method needs token.id (or X-Auth-Token)")
            login = PasswordLogin(user_id=None, user_name=None, domain_id=None, domain_name=None, password=None,
                                  token_id=token_id)
        else:
            raise FieldError(identity.at("methods"), "only the password and token methods are supported by this server")
        scope = auth.obj("scope")
        if scope is not None:
            project = scope.obj("project")
            domain = scope.obj("domain")
            if project is not None:
                login.scope_project_id, login.scope_project_name = _ref(project)
                if login.scope_project_id is None and login.scope_project_name is None:
                    raise FieldError(project.path, "either id or name is required")
                login.scope_project_domain_id, login.scope_project_domain_name = _ref(project.obj("domain"))
            elif domain is not None:
                login.scope_domain_id, login.scope_domain_name = _ref(domain)
                if login.scope_domain_id is None and login.scope_domain_name is None:
                    raise FieldError(domain.path, "either id or name is required")
        return login
    except FieldError as error:
        raise errors.KeystoneBadRequest(f"{error.path}: {error.message}" if error.path else error.message) from None


def nocatalog() -> bool:
    """IAM: any non-empty ``nocatalog`` value leaves the catalog out."""
    return bool(request.args.get("nocatalog"))
