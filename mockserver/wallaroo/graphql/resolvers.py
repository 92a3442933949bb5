"""The resolvers of the query and mutation roots and of the relationships: Hasura's arguments
(``where``, ``order_by``, ``on_conflict``...) turned into calls of :class:`~.tables.Tables`."""

from __future__ import annotations

from typing import Any, Callable

from ..catalog.graphql import install as install_catalog
from . import errors as gql_errors
from .filters import check_nulls, equality, matches, selected, workspace_of
from .tables import ConflictRule, Context, MemberInsert


def _conflict_rule(ctx: Context, table: str, on_conflict: dict[str, Any] | None) -> ConflictRule | None:
    if on_conflict is None:
        return None
    where = on_conflict.get("where")
    if "where" in on_conflict:
        check_nulls(table, where)
    return ConflictRule(constraint=on_conflict["constraint"],
                        update_columns=list(on_conflict.get("update_columns") or []),
                        where=(lambda row: matches(ctx, table, row, where)) if where else None)


def _not_null(values: dict[str, Any], table: str, *columns: str) -> None:
    """A NOT NULL column given as an explicit null (a column left out takes its default)."""
    for column in columns:
        if column in values and values[column] is None:
            raise gql_errors.NotNullViolation(table, column)


def _insert_workspace_one(_root: Any, info: Any, object: dict[str, Any],  # noqa: A002 - Hasura's name
                          on_conflict: dict[str, Any] | None = None) -> dict[str, Any] | None:
    ctx: Context = info.context
    _not_null(object, "workspace", "archived")
    users = object.get("users") or {}
    for member in users.get("data") or []:
        _not_null(member, "workspace_users", "user_type")
    defaults = object.get("user_default_workspaces") or {}
    return ctx.tables.insert_workspace_row(
        ctx.caller, name=object.get("name"), created_by=object.get("created_by"), archived=object.get("archived"),
        members=[MemberInsert(user_id=m.get("user_id"), user_type=m.get("user_type")) for m in users.get("data") or []],
        members_on_conflict=_conflict_rule(ctx, "workspace_users", users.get("on_conflict")),
        default_for=[d.get("user_id") for d in defaults.get("data") or []],
        on_conflict=_conflict_rule(ctx, "workspace", on_conflict))


def _insert_workspace_users_one(_root: Any, info: Any, object: dict[str, Any],  # noqa: A002
                                on_conflict: dict[str, Any] | None = None) -> dict[str, Any] | None:
    ctx: Context = info.context
    _not_null(object, "workspace_users", "user_type")
    return ctx.tables.insert_workspace_user_row(
        ctx.caller, workspace_id=object.get("workspace_id"),
        member=MemberInsert(user_id=object.get("user_id"), user_type=object.get("user_type")),
        on_conflict=_conflict_rule(ctx, "workspace_users", on_conflict))


def _delete_workspace_users(_root: Any, info: Any, where: dict[str, Any]) -> dict[str, Any]:
    ctx: Context = info.context
    check_nulls("workspace_users", where)
    deleted = ctx.tables.delete_workspace_user_rows(
        ctx.caller, lambda row: matches(ctx, "workspace_users", row, where),
        workspace_id=equality(where, "workspace_id"))
    return {"affected_rows": len(deleted), "returning": deleted}


def _workspace_by_pk(_root: Any, info: Any, id: int) -> dict[str, Any] | None:  # noqa: A002
    rows = info.context.tables.workspace_rows(info.context.caller, workspace_id=id)
    return rows[0] if rows else None


def _workspace_users_by_pk(_root: Any, info: Any, id: int) -> dict[str, Any] | None:  # noqa: A002
    ctx: Context = info.context
    return next((row for row in ctx.tables.workspace_user_rows(ctx.caller) if row["id"] == id), None)


def _table_resolver(table: str, rows_of: Callable[[Context, Any, dict[str, Any]], list[dict[str, Any]]]) -> Any:
    def resolve(parent: Any, info: Any, **args: Any) -> list[dict[str, Any]]:
        return selected(info.context, table, rows_of(info.context, parent, args), args)
    return resolve


def install_resolvers(schema: Any) -> None:
    def resolvers_of(type_name: str, **resolvers: Any) -> None:
        fields = schema.type_map[type_name].fields
        for name, resolve in resolvers.items():
            fields[name].resolve = resolve

    resolvers_of(
        "query_root",
        workspace=_table_resolver("workspace", lambda ctx, _, args: ctx.tables.workspace_rows(
            ctx.caller, workspace_id=equality(args.get("where"), "id"))),
        workspace_by_pk=_workspace_by_pk,
        workspace_users=_table_resolver("workspace_users", lambda ctx, _, args: ctx.tables.workspace_user_rows(
            ctx.caller, workspace_id=equality(args.get("where"), "workspace_id"))),
        workspace_users_by_pk=_workspace_users_by_pk,
        user_default_workspace=_table_resolver(
            "user_default_workspace", lambda ctx, _, args: ctx.tables.default_workspace_rows(
                ctx.caller, user_id=equality(args.get("where"), "user_id"))),
    )
    resolvers_of(
        "mutation_root",
        insert_workspace_one=_insert_workspace_one,
        insert_workspace_users_one=_insert_workspace_users_one,
        delete_workspace_users=_delete_workspace_users,
    )
    resolvers_of(
        "workspace",
        users=_table_resolver("workspace_users", lambda ctx, row, _: ctx.tables.workspace_user_rows(
            ctx.caller, workspace_id=row["id"])),
        user_default_workspaces=_table_resolver(
            "user_default_workspace", lambda ctx, row, _: ctx.tables.default_workspace_rows(
                ctx.caller, workspace_id=row["id"])),
    )
    # models, pipelines, deployments, and a workspace's models and pipelines
    install_catalog(schema, _table_resolver, equality)
    resolvers_of("workspace_users", workspace=lambda row, info: workspace_of(info.context, row))
    resolvers_of("user_default_workspace", workspace=lambda row, info: workspace_of(info.context, row))
