"""The domain imports nothing of AWS, Chalice or Jinja2 (dependencies point inward)."""
import ast
from pathlib import Path

DOMAIN = Path(__file__).resolve().parents[2] / "chalicelib" / "domain"
FORBIDDEN = {"boto3", "botocore", "chalice", "jinja2", "aws_lambda_powertools", "moto"}


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
        elif isinstance(node, ast.ImportFrom) and node.level > 1:
            names.add("chalicelib-outside-domain")
    return names


def test_domain_modules_import_no_infrastructure():
    files = sorted(DOMAIN.glob("*.py"))
    assert files
    for path in files:
        assert not imported_modules(path) & (FORBIDDEN | {"chalicelib-outside-domain"}), path.name
