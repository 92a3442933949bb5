"""The GraphQL schema of Wallaroo's ``/v1/graphql`` (Hasura), as far as the mock serves it.

Written for this project from Hasura's naming conventions (``<table>_bool_exp``,
``<table>_order_by``, ``<table>_on_conflict``, ``<table>_mutation_response``...) and the
operations the ``wallaroo`` SDK sends for workspaces and users. Only the tables the store
holds are here: ``workspace``, ``workspace_users`` and ``user_default_workspace``, plus the
models, pipelines and deployments tables of ``mockserver/wallaroo/catalog/graphql.py``. A
field or argument missing here is refused by validation, as Hasura refuses unknown fields.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from ..catalog.graphql import SDL as CATALOG_SDL

WORKSPACE_SDL = '''
schema {
  query: query_root
  mutation: mutation_root
}

"""PostgreSQL bigint: a JSON number (or a string of digits) from -2^63 to 2^63-1"""
scalar bigint

"""PostgreSQL timestamp with time zone, as ISO 8601 text"""
scalar timestamptz

"""column ordering options"""
enum order_by {
  asc
  asc_nulls_first
  asc_nulls_last
  desc
  desc_nulls_first
  desc_nulls_last
}

input Boolean_comparison_exp {
  _eq: Boolean
  _gt: Boolean
  _gte: Boolean
  _in: [Boolean!]
  _is_null: Boolean
  _lt: Boolean
  _lte: Boolean
  _neq: Boolean
  _nin: [Boolean!]
}

input String_comparison_exp {
  _eq: String
  _gt: String
  _gte: String
  _ilike: String
  _in: [String!]
  _is_null: Boolean
  _like: String
  _lt: String
  _lte: String
  _neq: String
  _nilike: String
  _nin: [String!]
  _nlike: String
}

input bigint_comparison_exp {
  _eq: bigint
  _gt: bigint
  _gte: bigint
  _in: [bigint!]
  _is_null: Boolean
  _lt: bigint
  _lte: bigint
  _neq: bigint
  _nin: [bigint!]
}

input timestamptz_comparison_exp {
  _eq: timestamptz
  _gt: timestamptz
  _gte: timestamptz
  _in: [timestamptz!]
  _is_null: Boolean
  _lt: timestamptz
  _lte: timestamptz
  _neq: timestamptz
  _nin: [timestamptz!]
}

"""query root"""
type query_root {
  """fetch data from the table: "user_default_workspace" """
  user_default_workspace(limit: Int, offset: Int, order_by: [user_default_workspace_order_by!],
                         where: user_default_workspace_bool_exp): [user_default_workspace!]!
  """fetch data from the table: "workspace" """
  workspace(limit: Int, offset: Int, order_by: [workspace_order_by!], where: workspace_bool_exp): [workspace!]!
  """fetch data from the table: "workspace" using primary key columns"""
  workspace_by_pk(id: bigint!): workspace
  """fetch data from the table: "workspace_users" """
  workspace_users(limit: Int, offset: Int, order_by: [workspace_users_order_by!],
                  where: workspace_users_bool_exp): [workspace_users!]!
  """fetch data from the table: "workspace_users" using primary key columns"""
  workspace_users_by_pk(id: bigint!): workspace_users
}

"""mutation root"""
type mutation_root {
  """delete data from the table: "workspace_users" """
  delete_workspace_users(where: workspace_users_bool_exp!): workspace_users_mutation_response
  """insert a single row into the table: "workspace" """
  insert_workspace_one(object: workspace_insert_input!, on_conflict: workspace_on_conflict): workspace
  """insert a single row into the table: "workspace_users" """
  insert_workspace_users_one(object: workspace_users_insert_input!,
                             on_conflict: workspace_users_on_conflict): workspace_users
}

"""columns and relationships of "workspace" """
type workspace {
  archived: Boolean!
  created_at: timestamptz!
  created_by: String
  id: bigint!
  """the workspace's models (the mock knows their ids only)"""
  models(limit: Int, offset: Int, order_by: [models_order_by!], where: models_bool_exp): [models!]!
  name: String!
  """the workspace's pipelines (the mock knows their ids only)"""
  pipelines(limit: Int, offset: Int, order_by: [pipeline_order_by!], where: pipeline_bool_exp): [pipeline!]!
  user_default_workspaces(limit: Int, offset: Int, order_by: [user_default_workspace_order_by!],
                          where: user_default_workspace_bool_exp): [user_default_workspace!]!
  users(limit: Int, offset: Int, order_by: [workspace_users_order_by!],
        where: workspace_users_bool_exp): [workspace_users!]!
}

input workspace_bool_exp {
  _and: [workspace_bool_exp!]
  _not: workspace_bool_exp
  _or: [workspace_bool_exp!]
  archived: Boolean_comparison_exp
  created_at: timestamptz_comparison_exp
  created_by: String_comparison_exp
  id: bigint_comparison_exp
  name: String_comparison_exp
  users: workspace_users_bool_exp
}

input workspace_order_by {
  archived: order_by
  created_at: order_by
  created_by: order_by
  id: order_by
  name: order_by
}

"""unique or primary key constraints on table "workspace" """
enum workspace_constraint {
  workspace_name_key
  workspace_pkey
}

"""update columns of table "workspace" """
enum workspace_update_column {
  archived
  created_by
  name
}

input workspace_insert_input {
  archived: Boolean
  created_by: String
  name: String
  """accepted and not stored: a workspace's owners are its OWNER members"""
  owner_id: String
  user_default_workspaces: user_default_workspace_arr_rel_insert_input
  users: workspace_users_arr_rel_insert_input
}

input workspace_on_conflict {
  constraint: workspace_constraint!
  update_columns: [workspace_update_column!]! = []
  where: workspace_bool_exp
}

"""columns and relationships of "workspace_users" """
type workspace_users {
  id: bigint!
  user_id: String!
  user_type: String!
  workspace: workspace!
  workspace_id: bigint!
}

input workspace_users_bool_exp {
  _and: [workspace_users_bool_exp!]
  _not: workspace_users_bool_exp
  _or: [workspace_users_bool_exp!]
  id: bigint_comparison_exp
  user_id: String_comparison_exp
  user_type: String_comparison_exp
  workspace: workspace_bool_exp
  workspace_id: bigint_comparison_exp
}

input workspace_users_order_by {
  id: order_by
  user_id: order_by
  user_type: order_by
  workspace_id: order_by
}

"""unique or primary key constraints on table "workspace_users" """
enum workspace_users_constraint {
  workspace_users_pkey
  workspace_users_workspace_id_user_id_key
}

"""update columns of table "workspace_users" """
enum workspace_users_update_column {
  user_type
}

input workspace_users_insert_input {
  user_id: String
  user_type: String
  """set by the relationship when nested in a workspace insert"""
  workspace_id: bigint
}

input workspace_users_arr_rel_insert_input {
  data: [workspace_users_insert_input!]!
  on_conflict: workspace_users_on_conflict
}

input workspace_users_on_conflict {
  constraint: workspace_users_constraint!
  update_columns: [workspace_users_update_column!]! = []
  where: workspace_users_bool_exp
}

"""response of any mutation on the table "workspace_users" """
type workspace_users_mutation_response {
  """number of rows affected by the mutation"""
  affected_rows: Int!
  """data from the rows affected by the mutation"""
  returning: [workspace_users!]!
}

"""columns and relationships of "user_default_workspace" """
type user_default_workspace {
  user_id: String!
  workspace: workspace!
  workspace_id: bigint!
}

input user_default_workspace_bool_exp {
  _and: [user_default_workspace_bool_exp!]
  _not: user_default_workspace_bool_exp
  _or: [user_default_workspace_bool_exp!]
  user_id: String_comparison_exp
  workspace: workspace_bool_exp
  workspace_id: bigint_comparison_exp
}

input user_default_workspace_order_by {
  user_id: order_by
  workspace_id: order_by
}

"""unique or primary key constraints on table "user_default_workspace" """
enum user_default_workspace_constraint {
  user_default_workspace_pkey
}

"""update columns of table "user_default_workspace" """
enum user_default_workspace_update_column {
  workspace_id
}

input user_default_workspace_insert_input {
  user_id: String
}

input user_default_workspace_arr_rel_insert_input {
  data: [user_default_workspace_insert_input!]!
  on_conflict: user_default_workspace_on_conflict
}

input user_default_workspace_on_conflict {
  constraint: user_default_workspace_constraint!
  update_columns: [user_default_workspace_update_column!]! = []
  where: user_default_workspace_bool_exp
}
'''

# the models, pipelines and deployments tables (mockserver/wallaroo/catalog/graphql.py)
SDL = WORKSPACE_SDL + CATALOG_SDL

def install_scalars(schema: Any) -> None:
    from graphql import GraphQLError
    from graphql.language import FloatValueNode, IntValueNode, StringValueNode

    def parse_bigint(value: Any) -> int:
        number: int | None = None
        if isinstance(value, int) and not isinstance(value, bool):
            number = value
        elif isinstance(value, float) and value.is_integer():
            number = int(value)
        elif isinstance(value, str) and re.fullmatch(r"\s*-?[0-9]{1,20}\s*", value):
            number = int(value)
        if number is None:
            raise GraphQLError(f"invalid input syntax for type bigint: {str(value)[:60]!r}")
        if not -2 ** 63 <= number < 2 ** 63:
            raise GraphQLError(f"value {str(value)[:60]} is out of range for type bigint")
        return number

    def literal_bigint(node: Any, _variables: Any = None) -> int:
        if isinstance(node, IntValueNode):
            return parse_bigint(int(node.value))
        if isinstance(node, FloatValueNode):
            return parse_bigint(float(node.value))
        if isinstance(node, StringValueNode):
            return parse_bigint(node.value)
        raise GraphQLError("invalid input syntax for type bigint")

    def parse_timestamptz(value: Any) -> str:
        if isinstance(value, str):
            try:
                datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
                return value
            except ValueError:
                pass
        raise GraphQLError(f"invalid input syntax for type timestamp with time zone: {str(value)[:60]!r}")

    def literal_timestamptz(node: Any, _variables: Any = None) -> str:
        if isinstance(node, StringValueNode):
            return parse_timestamptz(node.value)
        raise GraphQLError("invalid input syntax for type timestamp with time zone")

    bigint = schema.type_map["bigint"]
    bigint.serialize, bigint.parse_value, bigint.parse_literal = int, parse_bigint, literal_bigint
    timestamptz = schema.type_map["timestamptz"]
    timestamptz.serialize, timestamptz.parse_value, timestamptz.parse_literal = (
        str, parse_timestamptz, literal_timestamptz)

