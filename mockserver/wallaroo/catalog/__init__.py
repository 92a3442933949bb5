"""What Wallaroo workspaces hold: models (with versions and configs), pipelines (with
versions), deployments, and inference at a deployment's URL.

``records`` (the entities), ``backend`` (:class:`Catalog`, the locked operations),
``scenario`` (scenario and state documents), ``wire`` (JSON forms), ``parsing`` and
``routes`` (HTTP), ``inference`` (formats and outputs), ``onnx_io`` (reading ONNX files),
``graphql`` (the Hasura tables of models, pipelines and deployments).
"""
