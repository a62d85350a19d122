"""The Lambda entry points of the event handlers and jobs, declared on blueprints in chalicelib/routes."""
import importlib


def test_each_event_function_is_entered_through_app_py_with_its_middleware():
    """chalice writes each function's Lambda handler as "<module>.<function>": it must name the
    very handler the app registered (so that Lambda imports app.py, and its middleware)."""
    import app as relais

    for source in relais.app.event_sources:
        module, name = source.handler_string.rsplit(".", 1)
        assert module == "app", source.handler_string
        assert getattr(importlib.import_module(module), name) is relais.app.handler_map[source.name]
