"""Only the adapters (and the wiring: bootstrap, observability, dev) speak boto3: the use cases,
jobs, pages, routes and the domain see the adapters' own errors (adapters/errors.py)."""
import ast
from pathlib import Path

CHALICELIB = Path(__file__).resolve().parents[2] / "chalicelib"
LAYERS = ("services", "jobs", "web", "domain", "routes")
FORBIDDEN = {"boto3", "botocore"}


def imported_roots(path: Path) -> set[str]:
    """Every absolute import of the module, lazy ones (inside functions) included."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_no_service_job_page_route_or_domain_module_imports_boto():
    for layer in LAYERS:
        files = sorted((CHALICELIB / layer).rglob("*.py"))
        assert files, layer
        for path in files:
            assert not imported_roots(path) & FORBIDDEN, path.relative_to(CHALICELIB)
