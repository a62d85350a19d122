"""Only the adapters (and the dev stage's wiring) speak boto3 or know the table's items: the use
cases, jobs, pages, routes, the API layer, the composition root and the domain see the adapters'
own errors (adapters/errors.py) and the unit of work's domain verbs (domain/ports.py)."""
import ast
from pathlib import Path

CHALICELIB = Path(__file__).resolve().parents[2] / "chalicelib"
LAYERS = ("services", "jobs", "web", "domain", "routes", "api", "views.py", "bootstrap.py")
FORBIDDEN = {"boto3", "botocore"}
# What builds or reads an item: keys, write builders, item conversion.
ITEM_MODULES = {"keys", "writes", "items"}
ITEM_NAMES = {"Write", "Check", "Delete", "KEY_ATTRIBUTES", "to_item", "plain_item", "encode_key", "new_item",
              "versioned"}


def imports(path: Path) -> list[ast.Import | ast.ImportFrom]:
    """Every import of the module, lazy ones (inside functions) included."""
    return [node for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
            if isinstance(node, ast.Import | ast.ImportFrom)]


def imported_roots(path: Path) -> set[str]:
    names = set()
    for node in imports(path):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def item_imports(path: Path) -> set[str]:
    """What the module takes from the adapters that builds items: key and write builders."""
    found = set()
    for node in imports(path):
        if not isinstance(node, ast.ImportFrom) or "adapters" not in (node.module or ""):
            continue
        module = (node.module or "").split(".")
        names = {alias.name for alias in node.names}
        found |= names & (ITEM_NAMES | ITEM_MODULES)
        found |= {n for n in names if n.endswith("_write") or n.endswith("_writes")}
        if set(module) & ITEM_MODULES:
            found |= names
    return found


def product_files() -> list[Path]:
    files = []
    for layer in LAYERS:
        target = CHALICELIB / layer
        assert target.exists(), target
        files += [target] if target.is_file() else sorted(target.rglob("*.py"))
    assert files
    return files


def test_no_module_outside_the_adapters_imports_boto():
    for path in product_files():
        assert not imported_roots(path) & FORBIDDEN, path.relative_to(CHALICELIB)


def test_no_module_outside_the_adapters_builds_an_item():
    offenders = {str(path.relative_to(CHALICELIB)): sorted(found)
                 for path in product_files() if (found := item_imports(path))}
    assert offenders == {}


def test_the_check_sees_an_item_builder(tmp_path):
    sneaky = tmp_path / "sneaky.py"
    sneaky.write_text("def f():\n    from ..adapters.dynamo import event_write, Query\n"
                      "    from ..adapters import keys\n")
    assert item_imports(sneaky) == {"event_write", "keys"}


def test_pages_and_routes_go_through_the_services_never_the_repository():
    readers = {}
    for layer in ("web", "routes", "api"):
        for path in sorted((CHALICELIB / layer).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            if any(isinstance(node, ast.Attribute) and node.attr in ("repo", "uow") for node in ast.walk(tree)):
                readers[str(path.relative_to(CHALICELIB))] = True
    assert readers == {}
