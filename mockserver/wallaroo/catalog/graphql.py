"""The Hasura tables of models, pipelines and deployments (``/v1/graphql``).

The high-level SDK reads most of what it shows through these (ModelById, PipelineById,
DeploymentById, ...; docs/wallaroo.md, "GraphQL"). This module gives the engine three
things: ``SDL`` (the types, appended to the workspace schema), ``COLUMNS`` (each table's
columns with their types, for ``where`` and ``order_by``) and :func:`install` (the
resolvers). Rows are plain dicts built from catalog records; a row is visible when the
caller may read its workspace (admins: every row), as for workspaces.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Iterable

from .records import CatalogData, Deployment, ModelConfig, ModelFamily, ModelVersion, Pipeline, PipelineVersion

if TYPE_CHECKING:
    from ..records import User

SDL = '''
"""a JSON value (PostgreSQL jsonb)"""
scalar jsonb

input jsonb_comparison_exp {
  _eq: jsonb
  _is_null: Boolean
  _neq: jsonb
}

input Float_comparison_exp {
  _eq: Float
  _gt: Float
  _gte: Float
  _in: [Float!]
  _is_null: Boolean
  _lt: Float
  _lte: Float
  _neq: Float
  _nin: [Float!]
}

extend type query_root {
  """fetch data from the table: "models" (a model and its versions)"""
  models(limit: Int, offset: Int, order_by: [models_order_by!], where: models_bool_exp): [models!]!
  models_by_pk(id: bigint!): models
  """fetch data from the table: "model" (model versions)"""
  model(limit: Int, offset: Int, order_by: [model_order_by!], where: model_bool_exp): [model!]!
  model_by_pk(id: bigint!): model
  model_config(limit: Int, offset: Int, order_by: [model_config_order_by!],
               where: model_config_bool_exp): [model_config!]!
  model_config_by_pk(id: bigint!): model_config
  pipeline(limit: Int, offset: Int, order_by: [pipeline_order_by!], where: pipeline_bool_exp): [pipeline!]!
  pipeline_by_pk(id: bigint!): pipeline
  pipeline_version(limit: Int, offset: Int, order_by: [pipeline_version_order_by!],
                   where: pipeline_version_bool_exp): [pipeline_version!]!
  pipeline_version_by_pk(id: bigint!): pipeline_version
  deployment(limit: Int, offset: Int, order_by: [deployment_order_by!], where: deployment_bool_exp): [deployment!]!
  deployment_by_pk(id: bigint!): deployment
}

extend type mutation_root {
  """(un)deploy a deployment by id: `_set: {deployed: true}` starts it again (Starting, then Running)"""
  update_deployment_by_pk(pk_columns: deployment_pk_columns_input!, _set: deployment_set_input): deployment
}

input deployment_pk_columns_input {
  id: bigint!
}

input deployment_set_input {
  deployed: Boolean
}

"""a model: a name in a workspace, with its versions (table "models")"""
type models {
  created_at: timestamptz!
  id: bigint!
  """the model's versions"""
  models(limit: Int, offset: Int, order_by: [model_order_by!], where: model_bool_exp): [model!]!
  name: String!
  owner_id: String!
  updated_at: timestamptz!
  workspace: workspace!
  workspace_id: bigint!
}

input models_bool_exp {
  _and: [models_bool_exp!]
  _not: models_bool_exp
  _or: [models_bool_exp!]
  created_at: timestamptz_comparison_exp
  id: bigint_comparison_exp
  name: String_comparison_exp
  owner_id: String_comparison_exp
  updated_at: timestamptz_comparison_exp
  workspace_id: bigint_comparison_exp
}

input models_order_by {
  created_at: order_by
  id: order_by
  name: order_by
  owner_id: order_by
  updated_at: order_by
  workspace_id: order_by
}

"""a model version: one uploaded file (table "model")"""
type model {
  """a member of the conversion settings (jsonb), e.g. conversion(path: "arch")"""
  conversion(path: String): jsonb
  created_at: timestamptz!
  created_on_version: String
  error_summary: String
  file_name: String
  id: bigint!
  image_path: String
  """the model (family) this version belongs to"""
  model: models!
  model_configs(limit: Int, offset: Int, order_by: [model_config_order_by!],
                where: model_config_bool_exp): [model_config!]!
  """the model's name"""
  model_id: String!
  model_tags: [model_tag!]!
  """the version's UUID"""
  model_version: String!
  models_pk_id: bigint!
  sha: String!
  status: String!
  updated_at: timestamptz!
  visibility: String
}

input model_bool_exp {
  _and: [model_bool_exp!]
  _not: model_bool_exp
  _or: [model_bool_exp!]
  created_at: timestamptz_comparison_exp
  file_name: String_comparison_exp
  id: bigint_comparison_exp
  model_id: String_comparison_exp
  model_version: String_comparison_exp
  models_pk_id: bigint_comparison_exp
  sha: String_comparison_exp
  status: String_comparison_exp
  updated_at: timestamptz_comparison_exp
  visibility: String_comparison_exp
}

input model_order_by {
  created_at: order_by
  file_name: order_by
  id: order_by
  model_id: order_by
  model_version: order_by
  models_pk_id: order_by
  sha: order_by
  status: order_by
  updated_at: order_by
}

"""tags are not modelled: every model_tags and pipeline_tags list is empty"""
type model_tag {
  tag: tag!
}

type pipeline_tag {
  tag: tag!
}

type tag {
  id: bigint!
  tag: String!
}

"""the runtime settings of a model version"""
type model_config {
  batch_config: String
  continuous_batching_config: jsonb
  dynamic_batching_config: jsonb
  filter_threshold: Float
  id: bigint!
  input_schema: String
  """the model version configured"""
  model: model!
  model_version_id: bigint!
  openai: jsonb
  output_schema: String
  runtime: String!
  tensor_fields: jsonb
}

input model_config_bool_exp {
  _and: [model_config_bool_exp!]
  _not: model_config_bool_exp
  _or: [model_config_bool_exp!]
  id: bigint_comparison_exp
  model_version_id: bigint_comparison_exp
  runtime: String_comparison_exp
}

input model_config_order_by {
  id: order_by
  model_version_id: order_by
  runtime: order_by
}

"""a pipeline (pipeline_id is its name)"""
type pipeline {
  created_at: timestamptz!
  """the pipeline's deployment (one per pipeline), if it was ever deployed"""
  deployment: deployment
  id: bigint!
  owner_id: String!
  """the pipeline's name"""
  pipeline_id: String!
  pipeline_tags: [pipeline_tag!]!
  pipeline_versions(limit: Int, offset: Int, order_by: [pipeline_version_order_by!],
                    where: pipeline_version_bool_exp): [pipeline_version!]!
  updated_at: timestamptz!
  visibility: String
  workspace: workspace!
  workspace_id: bigint!
}

input pipeline_bool_exp {
  _and: [pipeline_bool_exp!]
  _not: pipeline_bool_exp
  _or: [pipeline_bool_exp!]
  created_at: timestamptz_comparison_exp
  id: bigint_comparison_exp
  owner_id: String_comparison_exp
  pipeline_id: String_comparison_exp
  updated_at: timestamptz_comparison_exp
  visibility: String_comparison_exp
  workspace_id: bigint_comparison_exp
}

input pipeline_order_by {
  created_at: order_by
  id: order_by
  pipeline_id: order_by
  updated_at: order_by
  workspace_id: order_by
}

"""a version of a pipeline: its definition (steps) at one time"""
type pipeline_version {
  created_at: timestamptz!
  created_on_version: String
  definition: jsonb
  deployment_model_configs(limit: Int, offset: Int): [deployment_model_configs!]!
  deployment_pipeline_versions(limit: Int, offset: Int): [deployment_pipeline_versions!]!
  id: bigint!
  pipeline: pipeline!
  pipeline_id: bigint!
  """publishing (to edge registries) is not modelled: always empty"""
  pipeline_publishes: [pipeline_publish!]!
  updated_at: timestamptz!
  """the version's UUID"""
  version: String!
}

input pipeline_version_bool_exp {
  _and: [pipeline_version_bool_exp!]
  _not: pipeline_version_bool_exp
  _or: [pipeline_version_bool_exp!]
  created_at: timestamptz_comparison_exp
  id: bigint_comparison_exp
  pipeline_id: bigint_comparison_exp
  version: String_comparison_exp
}

input pipeline_version_order_by {
  created_at: order_by
  id: order_by
  pipeline_id: order_by
  version: order_by
}

type pipeline_publish {
  chart_url: String
  created_at: timestamptz!
  created_by: String!
  created_on_version: String
  engine_config: jsonb
  engine_url: String
  id: bigint!
  pipeline_url: String
  pipeline_version_id: bigint!
  status: String!
  updated_at: timestamptz!
  user_images: jsonb
}

"""a pipeline's deployment (deploy_id is the pipeline's name)"""
type deployment {
  deploy_id: String!
  deployed: Boolean!
  deployment_model_configs(limit: Int, offset: Int): [deployment_model_configs!]!
  deployment_model_configs_aggregate(distinct_on: [deployment_model_configs_select_column!],
                                     limit: Int, offset: Int): deployment_model_configs_aggregate!
  deployment_pipeline_versions(limit: Int, offset: Int,
                               order_by: [deployment_pipeline_versions_order_by!]): [deployment_pipeline_versions!]!
  engine_config: jsonb
  id: bigint!
  """set when a deployment exceeds a licence limit (never, in the mock)"""
  limit_status: String
  pipeline: pipeline!
  pipeline_id: bigint!
}

input deployment_bool_exp {
  _and: [deployment_bool_exp!]
  _not: deployment_bool_exp
  _or: [deployment_bool_exp!]
  deploy_id: String_comparison_exp
  deployed: Boolean_comparison_exp
  id: bigint_comparison_exp
  pipeline_id: bigint_comparison_exp
}

input deployment_order_by {
  deploy_id: order_by
  deployed: order_by
  id: order_by
  pipeline_id: order_by
}

"""the model configs a deployment runs"""
type deployment_model_configs {
  deployment: deployment!
  deployment_id: bigint!
  id: bigint!
  model_config: model_config!
  model_config_id: bigint!
}

enum deployment_model_configs_select_column {
  deployment_id
  id
  model_config_id
}

type deployment_model_configs_aggregate {
  nodes: [deployment_model_configs!]!
}

"""the pipeline version a deployment runs"""
type deployment_pipeline_versions {
  created_at: timestamptz!
  deployment: deployment!
  deployment_id: bigint!
  id: bigint!
  pipeline_version: pipeline_version!
  pipeline_version_id: bigint!
  updated_at: timestamptz!
}

input deployment_pipeline_versions_order_by {
  created_at: order_by
  deployment_id: order_by
  id: order_by
  pipeline_version: pipeline_version_order_by
  pipeline_version_id: order_by
}
'''

#: each table's columns and their types (for ``where`` and ``order_by``)
COLUMNS: dict[str, dict[str, str]] = {
    "models": {"created_at": "timestamptz", "id": "bigint", "name": "String", "owner_id": "String",
               "updated_at": "timestamptz", "workspace_id": "bigint"},
    "model": {"created_at": "timestamptz", "file_name": "String", "id": "bigint", "model_id": "String",
              "model_version": "String", "models_pk_id": "bigint", "sha": "String", "status": "String",
              "updated_at": "timestamptz", "visibility": "String"},
    "model_config": {"id": "bigint", "model_version_id": "bigint", "runtime": "String"},
    "pipeline": {"created_at": "timestamptz", "id": "bigint", "owner_id": "String", "pipeline_id": "String",
                 "updated_at": "timestamptz", "visibility": "String", "workspace_id": "bigint"},
    "pipeline_version": {"created_at": "timestamptz", "id": "bigint", "pipeline_id": "bigint", "version": "String"},
    "deployment": {"deploy_id": "String", "deployed": "Boolean", "id": "bigint", "pipeline_id": "bigint"},
}


# == rows ========================================================================================
def _pick(table: dict[int, Any], ids: Iterable[int] | None) -> list[Any]:
    """The records of ``table`` with these ids, those that exist, in that order; every record
    when ``ids`` is None (what each table's finder starts from, lock held)."""
    return list(table.values()) if ids is None else [table[i] for i in ids if i in table]


def _one_or_children(item_id: int | None, parents: dict[int, Any], parent_id: int | None) -> tuple[int, ...] | None:
    """The ids a version finder picks: ``item_id`` alone if given, else the versions of
    ``parent_id`` (none if it does not exist), else None (every version)."""
    if item_id is not None:
        return (item_id,)
    if parent_id is not None:
        parent = parents.get(parent_id)
        return tuple(parent.versions) if parent is not None else ()
    return None


class Rows:
    """The rows one caller may read, built from the catalog.

    Each finder picks its records, and checks the caller may read their workspaces, under the
    store's lock, and builds the rows after releasing it: the records are frozen (replaced,
    never changed in place), so the ones picked are a snapshot, whatever writes come after.
    """

    def __init__(self, backend: Any, caller: User) -> None:
        self.backend = backend
        self.caller = caller
        self.now = backend.state.clock.now()

    @property
    def lock(self) -> Any:
        return self.backend.state.lock

    @property
    def catalog(self) -> CatalogData:
        """The live catalog (read it with the lock held: a load or reset replaces it)."""
        return self.backend.data.catalog  # type: ignore[no-any-return]

    def _visible(self, workspace_id: int) -> bool:
        return bool(self.backend.catalog.may_read(self.caller, self.backend.data.workspaces.get(workspace_id)))

    # -- models ----------------------------------------------------------------------------------
    @staticmethod
    def family(item: ModelFamily) -> dict[str, Any]:
        return {"id": item.id, "name": item.name, "owner_id": item.owner_id, "workspace_id": item.workspace_id,
                "created_at": item.created_at, "updated_at": item.updated_at}

    def version(self, item: ModelVersion) -> dict[str, Any]:
        return {"id": item.id, "model_id": item.name, "model_version": item.version, "models_pk_id": item.family_id,
                "sha": item.sha, "status": item.status(self.now), "error_summary": item.error_summary,
                "file_name": item.file_name, "image_path": item.image_path, "updated_at": item.updated_at,
                "created_at": item.created_at, "visibility": item.visibility,
                "created_on_version": item.created_on_version, "conversion": item.conversion_dict()}

    @staticmethod
    def config(item: ModelConfig) -> dict[str, Any]:
        options = item.options_dict()
        return {"id": item.id, "model_version_id": item.model_version_id, "runtime": item.runtime,
                "filter_threshold": options.get("filter_threshold"), "tensor_fields": options.get("tensor_fields"),
                "dynamic_batching_config": options.get("dynamic_batching_config"),
                "continuous_batching_config": options.get("continuous_batching_config"),
                "openai": options.get("openai"), "input_schema": options.get("input_schema"),
                "output_schema": options.get("output_schema"), "batch_config": options.get("batch_config")}

    def families(self, *, family_id: int | None = None, ids: tuple[int, ...] | None = None) -> list[dict[str, Any]]:
        if family_id is not None:
            ids = (family_id,)
        with self.lock:
            catalog = self.catalog
            found = [f for f in _pick(catalog.models, ids) if self._visible(f.workspace_id)]
        return [self.family(f) for f in found]

    def versions(self, *, version_id: int | None = None, family_id: int | None = None) -> list[dict[str, Any]]:
        with self.lock:
            catalog = self.catalog
            ids = _one_or_children(version_id, catalog.models, family_id)
            found = [v for v in _pick(catalog.model_versions, ids) if self._visible(v.workspace_id)]
        return [self.version(v) for v in found]

    def configs(self, *, config_id: int | None = None, version_id: int | None = None) -> list[dict[str, Any]]:
        with self.lock:
            catalog = self.catalog
            if config_id is not None:
                found = _pick(catalog.model_configs, (config_id,))
            else:
                found = [c for c in catalog.model_configs.values()
                         if version_id is None or c.model_version_id == version_id]
            found = [c for c in found if self._visible(catalog.model_versions[c.model_version_id].workspace_id)]
        return [self.config(c) for c in found]

    # -- pipelines and deployments -----------------------------------------------------------------
    @staticmethod
    def pipeline(item: Pipeline) -> dict[str, Any]:
        return {"id": item.id, "pipeline_id": item.name, "created_at": item.created_at, "updated_at": item.updated_at,
                "visibility": item.visibility, "owner_id": item.owner_id, "workspace_id": item.workspace_id,
                "deployment_id": item.deployment_id}

    @staticmethod
    def pipeline_version(item: PipelineVersion) -> dict[str, Any]:
        return {"id": item.id, "pipeline_id": item.pipeline_id, "version": item.version,
                "definition": item.definition_value(),
                "created_at": item.created_at, "updated_at": item.updated_at,
                "created_on_version": item.created_on_version}

    @staticmethod
    def deployment(item: Deployment) -> dict[str, Any]:
        return {"id": item.id, "deploy_id": item.deploy_id, "deployed": item.deployed,
                "engine_config": item.engine_config_value(), "limit_status": None, "pipeline_id": item.pipeline_id,
                "pipeline_version_id": item.pipeline_version_id, "model_config_ids": item.model_config_ids,
                "created_at": item.created_at, "updated_at": item.updated_at}

    def pipelines(self, *, pipeline_id: int | None = None, ids: tuple[int, ...] | None = None) -> list[dict[str, Any]]:
        if pipeline_id is not None:
            ids = (pipeline_id,)
        with self.lock:
            catalog = self.catalog
            found = [p for p in _pick(catalog.pipelines, ids) if self._visible(p.workspace_id)]
        return [self.pipeline(p) for p in found]

    def pipeline_versions(self, *, version_id: int | None = None,
                          pipeline_id: int | None = None) -> list[dict[str, Any]]:
        with self.lock:
            catalog = self.catalog
            ids = _one_or_children(version_id, catalog.pipelines, pipeline_id)
            found = [v for v in _pick(catalog.pipeline_versions, ids)
                     if self._visible(catalog.pipelines[v.pipeline_id].workspace_id)]
        return [self.pipeline_version(v) for v in found]

    def deployments(self, *, deployment_id: int | None = None) -> list[dict[str, Any]]:
        with self.lock:
            catalog = self.catalog
            ids = None if deployment_id is None else (deployment_id,)
            found = [d for d in _pick(catalog.deployments, ids)
                     if self._visible(catalog.pipelines[d.pipeline_id].workspace_id)]
        return [self.deployment(d) for d in found]

    def deployment_model_configs(self, deployment: dict[str, Any]) -> list[dict[str, Any]]:
        return [{"id": deployment["id"] * 1000 + index, "deployment_id": deployment["id"], "model_config_id": config_id}
                for index, config_id in enumerate(deployment["model_config_ids"])]

    def deployment_pipeline_versions(self, deployment: dict[str, Any]) -> list[dict[str, Any]]:
        return [{"id": deployment["id"], "deployment_id": deployment["id"],
                 "pipeline_version_id": deployment["pipeline_version_id"], "created_at": deployment["created_at"],
                 "updated_at": deployment["updated_at"]}]


# == resolvers ======================================================================================
def install(schema: Any, table_resolver: Callable[[str, Callable[..., list[dict[str, Any]]]], Any],
            equality: Callable[[Any, str], Any]) -> None:
    """Attach the resolvers. ``table_resolver(table, rows_of)`` applies where/order_by/limit/
    offset to ``rows_of(ctx, parent, args)``; ``equality(where, column)`` is what a ``where``
    pins a column to (a lookup by key instead of a scan)."""

    def rows(ctx: Any) -> Rows:
        return Rows(_backend(ctx), ctx.caller)

    def first(found: list[dict[str, Any]]) -> dict[str, Any] | None:
        return found[0] if found else None

    def by_pk(fetch: Callable[[Rows, int], list[dict[str, Any]]]) -> Any:
        return lambda _root, info, id: first(fetch(rows(info.context), id))  # noqa: A002 - Hasura's name

    def field(type_name: str, name: str, resolve: Any) -> None:
        schema.type_map[type_name].fields[name].resolve = resolve

    def one(fetch: Callable[[Rows, dict[str, Any]], list[dict[str, Any]]]) -> Any:
        return lambda row, info, **_: first(fetch(rows(info.context), row))

    def workspace_of(row: dict[str, Any], info: Any) -> dict[str, Any] | None:
        found = _workspace_tables(info.context).workspace_rows(info.context.caller, workspace_id=row["workspace_id"],
                                                               readable_only=False)
        return first(found)

    field("query_root", "models", table_resolver("models", lambda ctx, _, args: rows(ctx).families(
        family_id=equality(args.get("where"), "id"))))
    field("query_root", "models_by_pk", by_pk(lambda r, i: r.families(family_id=i)))
    field("query_root", "model", table_resolver("model", lambda ctx, _, args: rows(ctx).versions(
        version_id=equality(args.get("where"), "id"))))
    field("query_root", "model_by_pk", by_pk(lambda r, i: r.versions(version_id=i)))
    field("query_root", "model_config", table_resolver("model_config", lambda ctx, _, args: rows(ctx).configs(
        config_id=equality(args.get("where"), "id"))))
    field("query_root", "model_config_by_pk", by_pk(lambda r, i: r.configs(config_id=i)))
    field("query_root", "pipeline", table_resolver("pipeline", lambda ctx, _, args: rows(ctx).pipelines(
        pipeline_id=equality(args.get("where"), "id"))))
    field("query_root", "pipeline_by_pk", by_pk(lambda r, i: r.pipelines(pipeline_id=i)))
    field("query_root", "pipeline_version", table_resolver("pipeline_version", lambda ctx, _, args: rows(
        ctx).pipeline_versions(version_id=equality(args.get("where"), "id"))))
    field("query_root", "pipeline_version_by_pk", by_pk(lambda r, i: r.pipeline_versions(version_id=i)))
    field("query_root", "deployment", table_resolver("deployment", lambda ctx, _, args: rows(ctx).deployments(
        deployment_id=equality(args.get("where"), "id"))))
    field("query_root", "deployment_by_pk", by_pk(lambda r, i: r.deployments(deployment_id=i)))

    def update_deployment(_root: Any, info: Any, pk_columns: dict[str, Any],
                          _set: dict[str, Any] | None = None) -> dict[str, Any] | None:
        """Hasura's update by key: null when no row the caller may see has that id."""
        deployment_id = pk_columns["id"]
        deployed = (_set or {}).get("deployed")
        if not _backend(info.context).catalog.set_deployed(info.context.caller, deployment_id, deployed):
            return None
        return first(rows(info.context).deployments(deployment_id=deployment_id))

    field("mutation_root", "update_deployment_by_pk", update_deployment)

    # a workspace's models and pipelines: real rows, or (ids a scenario lists without
    # describing them) rows with the id only, as before the catalog existed
    def listed(kind: str, fetch: Callable[[Rows, tuple[int, ...]], list[dict[str, Any]]]) -> Any:
        def rows_of(ctx: Any, row: dict[str, Any], _args: Any) -> list[dict[str, Any]]:
            ids = tuple(row[f"{kind}_ids"])
            known = {item["id"]: item for item in fetch(rows(ctx), ids)}
            return [known.get(i, {"id": i, "updated_at": None, "workspace_id": row["id"]}) for i in ids]
        return rows_of

    field("workspace", "models", table_resolver("models", listed("model", lambda r, ids: r.families(ids=ids))))
    field("workspace", "pipelines", table_resolver("pipeline", listed("pipeline", lambda r, ids: r.pipelines(ids=ids))))

    field("models", "models", table_resolver("model", lambda ctx, row, _: rows(ctx).versions(family_id=row["id"])
                                             if "name" in row else []))
    field("models", "workspace", workspace_of)
    field("model", "model", one(lambda r, row: r.families(family_id=row["models_pk_id"])))
    field("model", "model_configs", table_resolver("model_config", lambda ctx, row, _: rows(ctx).configs(
        version_id=row["id"])))
    field("model", "model_tags", lambda row, info: [])
    field("model", "conversion", lambda row, info, path=None: (row["conversion"] if path is None
                                                               else row["conversion"].get(path)))
    field("model_config", "model", one(lambda r, row: r.versions(version_id=row["model_version_id"])))
    field("pipeline", "pipeline_versions", table_resolver("pipeline_version", lambda ctx, row, _: rows(
        ctx).pipeline_versions(pipeline_id=row["id"]) if "pipeline_id" in row else []))
    field("pipeline", "pipeline_tags", lambda row, info: [])
    field("pipeline", "workspace", workspace_of)
    field("pipeline", "deployment", lambda row, info: first(rows(info.context).deployments(
        deployment_id=row["deployment_id"])) if row.get("deployment_id") else None)
    field("pipeline_version", "pipeline", one(lambda r, row: r.pipelines(pipeline_id=row["pipeline_id"])))
    field("pipeline_version", "pipeline_publishes", lambda row, info: [])

    def version_deployment(row: dict[str, Any], info: Any) -> dict[str, Any] | None:
        """The deployment running this version (or that last ran it), if any."""
        pipeline = _backend(info.context).data.catalog.pipelines.get(row["pipeline_id"])
        found = rows(info.context).deployments(deployment_id=pipeline.deployment_id) if pipeline and \
            pipeline.deployment_id else []
        return first([d for d in found if d["pipeline_version_id"] == row["id"]])

    field("pipeline_version", "deployment_model_configs", lambda row, info, **_: (
        rows(info.context).deployment_model_configs(d) if (d := version_deployment(row, info)) else []))
    field("pipeline_version", "deployment_pipeline_versions", lambda row, info, **_: (
        rows(info.context).deployment_pipeline_versions(d) if (d := version_deployment(row, info)) else []))
    field("deployment", "deployment_model_configs", lambda row, info, **_: rows(
        info.context).deployment_model_configs(row))
    field("deployment", "deployment_model_configs_aggregate", lambda row, info, **args: {
        "nodes": _distinct(rows(info.context).deployment_model_configs(row), args.get("distinct_on"))})
    field("deployment", "deployment_pipeline_versions", lambda row, info, **_: rows(
        info.context).deployment_pipeline_versions(row))
    field("deployment", "pipeline", one(lambda r, row: r.pipelines(pipeline_id=row["pipeline_id"])))
    field("deployment_model_configs", "model_config", one(lambda r, row: r.configs(config_id=row["model_config_id"])))
    field("deployment_model_configs", "deployment", one(lambda r, row: r.deployments(
        deployment_id=row["deployment_id"])))
    field("deployment_pipeline_versions", "pipeline_version", one(lambda r, row: r.pipeline_versions(
        version_id=row["pipeline_version_id"])))
    field("deployment_pipeline_versions", "deployment", one(lambda r, row: r.deployments(
        deployment_id=row["deployment_id"])))
    _install_jsonb(schema)


def _backend(ctx: Any) -> Any:
    """The Wallaroo backend behind a resolver's context (the engine's context holds the
    workspace tables, which hold the backend)."""
    tables = getattr(ctx, "tables", None)
    return tables.backend if tables is not None else ctx.backend


def _workspace_tables(ctx: Any) -> Any:
    """What answers ``workspace_rows`` (the workspace tables)."""
    return getattr(ctx, "tables", None) or ctx.backend


def _distinct(found: list[dict[str, Any]], columns: list[str] | None) -> list[dict[str, Any]]:
    """Hasura's ``distinct_on``: the first row of each distinct value of the columns."""
    if not columns:
        return found
    seen, kept = set(), []
    for row in found:
        key = tuple(row[c] for c in columns)
        if key not in seen:
            seen.add(key)
            kept.append(row)
    return kept


def _install_jsonb(schema: Any) -> None:
    from graphql import value_from_ast_untyped

    jsonb = schema.type_map["jsonb"]
    jsonb.serialize = lambda value: value
    jsonb.parse_value = lambda value: value
    jsonb.parse_literal = lambda node, variables=None: value_from_ast_untyped(node, variables)
