"""The agent's pages: the dashboard of a point's cases, the new case form, the search."""
from __future__ import annotations

from ..domain import situations, visibility
from ..domain.commands import CaseCreate, EscalationCreate
from ..domain.errors import DomainError
from ..domain.models import LIFE_SITUATION_LABELS, CaseStatus, LifeSituation, Role
from ..domain.references import refers_to
from ..services import cases, directory
from ..views import Lateness
from . import pages
from .forms import FormErrors, checked, text, validate
from .session import PageExit, handler, require

# The dashboard's tabs, what a counter agent asks themselves in the morning: (slug, label,
# status, which escalated cases (info requested from the agent or not), its count's key, hint).
TABS = [
    ("a-traiter", "Au guichet", CaseStatus.OPEN, None, "open",
     "Demandes ouvertes, pas encore transmises à un partenaire."),
    ("informations-demandees", "Informations demandées", CaseStatus.ESCALATED, True, "info_requested",
     "Un partenaire vous demande des informations : son délai est suspendu jusqu'à votre réponse."),
    ("en-attente", "En attente d'un partenaire", CaseStatus.ESCALATED, False, "waiting",
     "Transmises : le partenaire doit répondre dans les 4 jours ouvrés."),
    ("en-retard", "En retard", CaseStatus.ESCALATED, None, "late",
     "Le délai de réponse du partenaire est dépassé : il a été relancé."),
    ("a-clore", "Réponse reçue, à clore", CaseStatus.ANSWERED, None, "answered",
     "Recontactez l'usager avec la réponse, puis clôturez le dossier."),
    ("clos", "Clos", CaseStatus.CLOSED, None, "closed", "Dossiers terminés, du plus récent au plus ancien."),
]
TAB_BY_SLUG = {tab[0]: tab for tab in TABS}
SITUATIONS = [(s.value, label, " ".join(situations.SUGGESTED_ORGANISATIONS.get(s, ())))
              for s, label in LIFE_SITUATION_LABELS.items()]
IDENTIFIER_FIELDS = [
    ("identifiers.caf_number", "N° d'allocataire CAF", "7 chiffres"),
    ("identifiers.nir", "N° de sécurité sociale", "15 caractères, clé comprise"),
    ("identifiers.tax_number", "N° fiscal", "13 chiffres, sur l'avis d'impôt"),
    ("identifiers.france_travail_id", "Identifiant France Travail", None),
]
# The new case form's fields, in the page's order: its error summary follows it.
NEW_CASE_FIELDS = ["point_id", "usager.first_name", "usager.last_name", "usager.phone", "usager.email",
                   "usager.sms_opt_in", "situation", "description", "consent_attested",
                   "confirm_consent_by_sms", "group_ids", "question",
                   *(name for name, _, _ in IDENTIFIER_FIELDS)]


def _points(deps, principal) -> list:
    return directory.points(deps, sorted(principal.point_ids))


def _chosen_point(points: list, wanted: str | None):
    if not points:
        return None
    return next((p for p in points if p.id == wanted), points[0])


@handler
def dashboard(deps, request):
    principal, user = require(deps, request, Role.AGENT)
    query = request.query_params or {}
    points = _points(deps, principal)
    point = _chosen_point(points, query.get("point"))
    slug = query.get("vue") if query.get("vue") in TAB_BY_SLUG else "a-traiter"
    _, label, status, info_requested, _, hint = TAB_BY_SLUG[slug]
    items, cursor, tallies = [], None, {}
    if point is not None:
        tallies = cases.point_tallies(deps, principal, point.id)
        if slug == "en-retard":
            page = cases.list_cases(deps, principal, point.id, status, 200, None)
            items = [c for c in page.items if c.lateness is Lateness.LATE]
        else:
            page = cases.list_cases(deps, principal, point.id, status, 50, query.get("suite"),
                                    info_requested=info_requested)
            items, cursor = page.items, page.cursor
    tabs = [(tab_slug, tab_label, tallies.get(key)) for tab_slug, tab_label, _, _, key, _ in TABS]
    return pages.view(request, "dashboard.html", user=user, current="/tableau-de-bord",
                      points=points, point=point, tabs=tabs, slug=slug, tab_label=label,
                      tab_hint=hint, items=items, cursor=cursor)


# --- new case ---------------------------------------------------------------------------------

def _group_options(deps, point, situation: LifeSituation | None) -> list[tuple[str, str, str | None, str]]:
    """The territory's referent groups (id, name, hint, organisation), the situation's usual
    partners first."""
    if point is None:
        return []
    _, groups = directory.territory_entries(deps, point.territory_code)
    ranked = sorted(groups, key=lambda g: (situations.rank(situation, g.organisation_id), g.name))
    return [(g.id, g.name, "Souvent saisi pour cette situation"
             if situations.is_suggested(situation, g.organisation_id) else None, g.organisation_id)
            for g in ranked]


def _new_case_page(deps, request, user, principal, *, fields=None, selected=(), errors=None,
                   status=200):
    fields = fields or {}
    points = _points(deps, principal)
    point = _chosen_point(points, fields.get("point_id"))
    try:
        situation = LifeSituation(fields.get("situation", ""))
    except ValueError:
        situation = None
    errors = errors or FormErrors()
    return pages.view(request, "new_case.html", user=user, current="/nouveau-dossier",
                      status=status, points=points, point=point, fields=fields,
                      situations=SITUATIONS, groups=_group_options(deps, point, situation),
                      selected=set(selected), identifier_fields=IDENTIFIER_FIELDS,
                      partner_sees=visibility.PARTNER_SEES,
                      partner_never_sees=visibility.PARTNER_NEVER_SEES,
                      errors=errors.by_field, summary=errors.in_order(NEW_CASE_FIELDS))


@handler
def new_case_form(deps, request):
    principal, user = require(deps, request, Role.AGENT)
    # Nothing is ticked for the usager: consent to SMS is their affirmative act.
    return _new_case_page(deps, request, user, principal,
                          fields={"point_id": (request.query_params or {}).get("point", "")})


def _commands(fields: dict[str, str], group_ids: list[str], point_id: str, errors: FormErrors):
    case = validate(CaseCreate, {
        "point_id": point_id,
        "usager": {"first_name": fields.get("usager.first_name", ""),
                   "last_name": fields.get("usager.last_name", ""),
                   "phone": text(fields, "usager.phone"),
                   "email": text(fields, "usager.email"),
                   "sms_opt_in": checked(fields, "usager.sms_opt_in")},
        "situation": fields.get("situation", ""),
        "description": fields.get("description", ""),
        "consent_attested": checked(fields, "consent_attested"),
        "confirm_consent_by_sms": checked(fields, "confirm_consent_by_sms"),
    }, errors)
    escalation = None
    if group_ids:
        escalation = validate(EscalationCreate, {
            "group_ids": group_ids,
            "question": text(fields, "question") or fields.get("description", "") or "",
            "identifiers": {name.split(".")[1]: text(fields, name) for name, _, _ in IDENTIFIER_FIELDS
                            if text(fields, name)},
        }, errors)
    return case, escalation


@handler
def new_case_submit(deps, request):
    principal, user = require(deps, request, Role.AGENT)
    lists = pages.form_lists(request.raw_body)
    fields = {name: values[0] for name, values in lists.items()}
    group_ids = [g for g in lists.get("group_ids", []) if g]
    errors = FormErrors()
    if not pages.csrf_ok(pages.cookie_csrf(request), fields.get("csrf")):
        errors.add(None, "La page a expiré. Vérifiez la saisie puis envoyez de nouveau.")
        return _new_case_page(deps, request, user, principal, fields=fields, selected=group_ids,
                              errors=errors, status=400)
    points = _points(deps, principal)
    point = _chosen_point(points, fields.get("point_id"))
    if point is None:
        raise PageExit(pages.view(request, "forbidden.html", user=user, status=403))
    offered = {option[0] for option in _group_options(deps, point, None)}
    if any(g not in offered for g in group_ids):
        errors.add("group_ids", "Cet organisme n'est pas proposé pour ce territoire.")
    case_command, escalation = _commands(fields, group_ids, point.id, errors)
    if errors:
        return _new_case_page(deps, request, user, principal, fields=fields, selected=group_ids,
                              errors=errors, status=400)
    try:
        created = cases.create_case(deps, principal, case_command)
    except DomainError as refused:
        errors.add_domain(refused)
        return _new_case_page(deps, request, user, principal, fields=fields, selected=group_ids,
                              errors=errors, status=400)
    if escalation is None:
        return pages.redirect(f"/dossiers/{created.ref}?fait=cree")
    cases.escalate(deps, principal, created.ref, escalation)
    return pages.redirect(f"/dossiers/{created.ref}?fait=saisi")


# --- search ---------------------------------------------------------------------------------

@handler
def search_form(deps, request):
    _, user = require(deps, request, Role.AGENT)
    return pages.view(request, "search.html", user=user, current="/recherche", q="", results=None,
                      errors={}, summary=[])


@handler
def search_submit(deps, request):
    """A POST: the usager's name never travels in a URL (logs, history, Referer)."""
    principal, user = require(deps, request, Role.AGENT)
    fields = pages.form_fields(request.raw_body)
    q = (fields.get("q") or "").strip()[:100]
    errors = FormErrors()
    results = None
    if not pages.csrf_ok(pages.cookie_csrf(request), fields.get("csrf")):
        errors.add("q", "La page a expiré. Relancez la recherche.")
    else:
        try:
            results = cases.search_cases(deps, principal, q)
        except DomainError as refused:
            errors.add_domain(refused)
    if results is not None and len(results) == 1 and refers_to(q, results[0].ref):
        return pages.redirect(f"/dossiers/{results[0].ref}")
    return pages.view(request, "search.html", user=user, current="/recherche", q=q,
                      results=results, errors=errors.by_field, summary=errors.summary,
                      status=400 if errors else 200)

