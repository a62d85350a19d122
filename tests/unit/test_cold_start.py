"""What a cold start does not pay for (bench/bench_cold_start.py measures what it does): importing
app builds no model and loads none of the libraries only some requests need. A regression here
shows as a slower first request of every function, which no functional test would notice."""
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

IMPORT_APP = r"""
import json, sys
import app
from pydantic import BaseModel
def models(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from models(sub)
ours = [m for m in models(BaseModel) if m.__module__.startswith("chalicelib.")]
tokenize = sys.modules.get("tokenize")
print(json.dumps({"modules": sorted(sys.modules), "models": len(ours),
                  "tokenizer_compiled": bool(tokenize and tokenize._compile.cache_info().currsize),
                  "built": sorted(m.__name__ for m in ours if m.__pydantic_complete__)}))
"""
# Loaded by the first request that needs them, not by the import.
LAZY = ("email_validator", "phonenumbers", "aws_xray_sdk", "jinja2", "css_inline", "nh3", "segno")


def test_importing_the_app_builds_no_model_and_loads_no_lazy_library():
    result = subprocess.run([sys.executable, "-c", IMPORT_APP], cwd=ROOT, capture_output=True, text=True,
                            timeout=120, env={"PATH": "", "AWS_DEFAULT_REGION": "eu-west-3", "PYTHONPATH": str(ROOT)})
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout.splitlines()[-1])
    assert found["models"] > 40                             # the walk sees the entities, commands and views
    # Parametrizing a generic view in a route's declaration (PageView[CaseSummary]) completes the
    # generic itself, two fields; every other model waits for its first use.
    assert found["built"] == ["PageView"]
    assert not [name for name in found["modules"] if name.split(".")[0] in LAZY]
    # Its regular expressions, compiled when something asks a builtin's signature (pydantic does,
    # for a default_factory=list): about 60 ms.
    assert not found["tokenizer_compiled"]


def test_a_deferred_model_still_validates_and_reports_in_french():
    from pydantic import ValidationError

    from chalicelib.domain.commands import LoginRequest
    from chalicelib.domain.validation import french_errors

    assert LoginRequest(email=" Agent@Mairie-Bretoncelles.fr ").email == "Agent@mairie-bretoncelles.fr"
    try:
        LoginRequest(email="pas une adresse")
    except ValidationError as error:
        assert french_errors(error.errors()) == [{"field": "email", "message": "Cette adresse e-mail n'est pas valide."}]
    else:
        raise AssertionError("an address without @ was accepted")
