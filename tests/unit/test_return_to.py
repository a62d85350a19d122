"""The page a signed-out visitor goes back to: only a path of this site (no open redirect)."""
import pytest

from chalicelib.domain.return_to import safe_return_path


@pytest.mark.parametrize("path", ["/dossiers/61-K7M-4QX", "/file", "/tableau-de-bord?vue=en-retard",
                                  "/territoire/remontees?etat=nouvelle&jours=30"])
def test_a_page_of_this_site_is_kept(path):
    assert safe_return_path(path) == path


@pytest.mark.parametrize("target", [
    None, "", "//evil.example", "//evil.example/dossiers", "https://evil.example/", "http:/evil.example",
    "javascript:alert(1)", "/\\evil.example", "\\\\evil.example", "/%0d%0aSet-Cookie:x".replace("%0d%0a", "\r\n"),
    "/dossiers/\t/x", "/dossiers /x", "/dossiérs", "dossiers/61-K7M-4QX", "/", "/connexion",
    "/connexion/abc", "/deconnexion", "/" + "a" * 400, "/\x00", "/\x7f",
])
def test_anything_else_is_refused(target):
    assert safe_return_path(target) is None
