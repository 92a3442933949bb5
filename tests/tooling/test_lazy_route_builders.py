"""Routes compile their URL builders on first use (start-up), and build the same URLs as Werkzeug's."""

from __future__ import annotations

from werkzeug.routing import Map, Rule

from mockserver import MockServer
from mockserver.app import LazyBuilderRule


def test_every_route_builds_the_url_werkzeug_builds():
    app = MockServer().app
    assert app.url_rule_class is LazyBuilderRule
    plain = Map([Rule(rule.rule, endpoint=rule.endpoint, methods=rule.methods) for rule in app.url_map.iter_rules()],
                converters=app.url_map.converters, strict_slashes=app.url_map.strict_slashes)
    ours, theirs = app.url_map.bind("mock.local"), plain.bind("mock.local")
    checked = 0
    for rule in app.url_map.iter_rules():
        assert isinstance(rule, LazyBuilderRule)
        values = {name: "a b/é" if name != "workspace_id" else 7 for name in rule.arguments}
        for extra in ({}, {"page": "2"}):
            method = sorted(rule.methods or {"GET"})[0]
            try:
                expected = theirs.build(rule.endpoint, {**values, **extra}, method=method)
            except Exception as error:  # a converter refuses the value: ours must refuse it the same way
                try:
                    ours.build(rule.endpoint, {**values, **extra}, method=method)
                except Exception as ours_error:
                    assert type(ours_error) is type(error)
                else:
                    raise AssertionError(f"{rule.rule} built a URL Werkzeug refuses")
                continue
            assert ours.build(rule.endpoint, {**values, **extra}, method=method) == expected
            checked += 1
    assert checked > 50
