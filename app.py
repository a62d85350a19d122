"""Relais: routes and event handlers only. Each parses, calls one service, shapes the reply."""
from __future__ import annotations

import functools
import json

from chalice import Chalice, ConvertToMiddleware, Cron, Rate

from chalicelib.api import http
from chalicelib.api.http import JsonApi
from chalicelib.bootstrap import deps
from chalicelib.domain import commands, views
from chalicelib.domain import quarantine as quarantine_views
from chalicelib.domain.models import Territory
from chalicelib.observability import correlate, logger, metrics, tracer
from chalicelib.web import assets
from chalicelib.web import attachments as attachment_pages

# Powertools owns the "relais" logger (JSON); Chalice must not add its plain-text handler too.
app = Chalice(app_name="relais", configure_logs=False)
# clear_state: keys appended for one request (user, case) never leak into the next.
app.register_middleware(ConvertToMiddleware(functools.partial(logger.inject_lambda_context, clear_state=True)))
# Every invocation's metrics (chalicelib/observability.py) leave as one EMF line at its end.
app.register_middleware(ConvertToMiddleware(functools.partial(metrics.log_metrics, capture_cold_start_metric=True)))


def traced(handler):
    """X-Ray through Powertools Tracer, in Lambda only (chalicelib/observability.py)."""
    @functools.wraps(handler)
    def invoke(event, context):
        active = tracer()
        if active is None:
            return handler(event, context)
        return active.capture_lambda_handler(handler, capture_response=False)(event, context)
    return invoke


app.register_middleware(ConvertToMiddleware(traced))


def wired_at_packaging(service: str, name: str) -> str:
    """An event source's placeholder ARN: `make package` points each source at its resource
    in infra/template.py (the table's stream, the SMS queue, the topics)."""
    return f"arn:aws:{service}:eu-west-3:000000000000:{name}"


@app.middleware("http")
def correlation(event, get_response):
    """Requests on a case tag their log lines with its reference."""
    correlate((event.uri_params or {}).get("ref"))
    return get_response(event)


@app.middleware("http")
def dev_stream(event, get_response):
    """Dev stage only: play the stream's event source mapping after each request."""
    response = get_response(event)
    settings = deps().settings
    if settings.is_dev and settings.dynamodb_endpoint:
        from chalicelib.dev import sms_queue, streams

        try:
            streams.drain(deps(), _handle_stream_event)
            sms_queue.drain(deps(), _handle_sms_event)
        except Exception:  # noqa: BLE001 - like the real mapping, a failure never fails the request
            logger.exception("dev stream drain failed")
    return response


def signed_in(request):
    from chalicelib.services import auth

    principal, user = auth.principal_for(deps(), http.cookie(request.headers, http.SESSION_COOKIE))
    logger.append_keys(user_id=user.id, role=user.role.value)
    return principal, user


def current_principal(request):
    return signed_in(request)[0]


api = JsonApi(app, current_principal, is_dev=lambda: deps().settings.is_dev)
# The admin's CSV upload arrives as multipart/form-data: as binary, so that API Gateway hands
# its bytes over untouched (a Windows-1252 file stays Windows-1252).
app.api.binary_types.append("multipart/form-data")
assets.register(app)
app.register_blueprint(attachment_pages.bp)  # /dossiers/<ref>/pieces-jointes/...  # /static/: the DSFR and Relais's CSS; fonts and PNGs as binary


# --- authentication ---------------------------------------------------------------------

@api.route("/api/auth/magic-link", "POST", summary="Recevoir un lien de connexion par e-mail",
           body=commands.LoginRequest, status=202, auth=False)
def request_login(body: commands.LoginRequest):
    from chalicelib.services import auth

    auth.request_login(deps(), body.email)
    return {"message": "Si cette adresse est connue, un lien de connexion vient d'être envoyé."}


@api.route("/api/auth/session", "POST", summary="Ouvrir une session avec le jeton du lien",
           body=commands.SessionCreate, response=views.UserView, auth=False)
def open_session(body: commands.SessionCreate):
    from chalicelib.services import auth

    d = deps()
    user, token = auth.open_session(d, body.token)
    return http.json_response(views.UserView.of(user).model_dump(mode="json"), 200, {
        "Set-Cookie": http.session_cookie(token, d.settings)})


@api.route("/api/auth/logout", "POST", summary="Fermer la session", status=204, auth=False)
def logout():
    from chalicelib.services import auth

    d = deps()
    auth.close_session(d, http.cookie(app.current_request.headers, http.SESSION_COOKIE))
    return http.json_response(None, 204, {"Set-Cookie": http.session_cookie("", d.settings, expire=True)})


@api.route("/api/me", "GET", summary="Qui suis-je", response=views.UserView, auth=False)
def me():
    return views.UserView.of(signed_in(app.current_request)[1])


# --- cases ------------------------------------------------------------------------------

@api.route("/api/cases", "POST", summary="Créer un dossier", body=commands.CaseCreate,
           response=views.CaseView, status=201)
def create_case(principal, body):
    from chalicelib.services import cases

    return cases.create_case(deps(), principal, body)


@api.route("/api/cases", "GET", summary="Les dossiers de mon point de contact",
           query=commands.CaseListQuery, response=views.PageView[views.CaseSummary])
def list_cases(principal, query):
    from chalicelib.services import cases

    return cases.list_cases(deps(), principal, query.point_id, query.status, query.limit, query.cursor)


@api.route("/api/cases/{ref}", "GET", summary="Un dossier et son fil", response=views.CaseView)
def get_case(ref, principal):
    from chalicelib.services import cases

    return cases.get_case(deps(), principal, ref)


@api.route("/api/cases/{ref}/escalations", "POST", summary="Saisir un ou plusieurs partenaires",
           body=commands.EscalationCreate, response=views.CaseView, status=201)
def escalate(ref, principal, body):
    from chalicelib.services import cases

    return cases.escalate(deps(), principal, ref, body)


@api.route("/api/cases/{ref}/messages", "POST", summary="Écrire dans le fil ou répondre",
           body=commands.MessageCreate, response=views.CaseView, status=201)
def post_message(ref, principal, body):
    from chalicelib.services import cases

    return cases.post_message(deps(), principal, ref, body)


@api.route("/api/cases/{ref}/close", "POST", summary="Clore un dossier",
           body=commands.CaseClose, response=views.CaseView)
def close_case(ref, principal, body):
    from chalicelib.services import cases

    return cases.close_case(deps(), principal, ref, body)


@api.route("/api/cases/{ref}/reopen", "POST", summary="Rouvrir un dossier", response=views.CaseView)
def reopen_case(ref, principal):
    from chalicelib.services import cases

    return cases.reopen_case(deps(), principal, ref)


@api.route("/api/cases/{ref}/quarantine", "GET", summary="Les e-mails mis de côté d'un dossier",
           response=list[quarantine_views.QuarantinedEmailView])
def list_quarantined(ref, principal):
    from chalicelib.services import quarantine

    return quarantine.list_quarantined(deps(), principal, ref)


@api.route("/api/cases/{ref}/quarantine/{quarantine_id}", "GET", summary="Lire un e-mail mis de côté",
           response=quarantine_views.QuarantinedEmailDetail)
def read_quarantined(ref, quarantine_id, principal):
    from chalicelib.services import quarantine

    return quarantine.read(deps(), principal, ref, quarantine_id)


@api.route("/api/cases/{ref}/quarantine/{quarantine_id}/release", "POST",
           summary="Ajouter aux échanges un e-mail mis de côté", response=views.CaseView)
def release_quarantined(ref, quarantine_id, principal):
    from chalicelib.services import quarantine

    return quarantine.release(deps(), principal, ref, quarantine_id)


@api.route("/api/cases/{ref}/quarantine/{quarantine_id}/discard", "POST",
           summary="Écarter un e-mail mis de côté", response=views.CaseView)
def discard_quarantined(ref, quarantine_id, principal):
    from chalicelib.services import quarantine

    return quarantine.discard(deps(), principal, ref, quarantine_id)


@api.route("/api/escalations", "GET", summary="La file de mon groupe de référents",
           query=commands.QueueQuery, response=views.PageView[views.EscalationView])
def referent_queue(principal, query):
    from chalicelib.services import cases

    return cases.referent_queue(deps(), principal, query.group_id, query.status, query.limit,
                                query.cursor)


# --- directory --------------------------------------------------------------------------

@api.route("/api/territories", "GET", summary="Les territoires", response=list[Territory])
def territories(principal):
    from chalicelib.services import directory

    return directory.list_territories(deps())


@api.route("/api/territories/{code}/directory", "GET", summary="L'annuaire d'un territoire",
           response=views.DirectoryView)
def territory_directory(code, principal):
    from chalicelib.services import directory

    return directory.read_directory(deps(), principal, code)


@api.route("/api/admin/usager-export", "POST", summary="Exporter les données d'un usager (droit d'accès)",
           body=commands.UsagerExportRequest)
def usager_export(principal, body):
    from chalicelib.services import export

    return export.usager_export(deps(), principal, body.phone)


@api.route("/api/admin/directory/{kind}", "POST", summary="Importer l'annuaire (CSV)",
           query=commands.ImportQuery, response=views.ImportReport, content_type="text/csv")
def import_directory(kind, principal, query):
    from chalicelib.services import directory

    return directory.import_csv(deps(), principal, kind, app.current_request.raw_body or b"",
                                query.dry_run)


@app.route("/api/openapi.json", methods=["GET"])
def openapi():
    from chalicelib.api import openapi as spec

    return http.json_response(spec.build(api.operations))


# --- pages: server-rendered, French URLs; each route hands the request to chalicelib/web ----

FORM = ["application/x-www-form-urlencoded"]


def _page(module: str, function: str, *args):
    import importlib

    view = getattr(importlib.import_module(f"chalicelib.web.{module}"), function)
    return view(deps(), app.current_request, *args)


@app.route("/", methods=["GET"])
def home():
    return _page("login", "home")


@app.route("/connexion", methods=["GET"])
def login_page():
    return _page("login", "ask_form")


@app.route("/connexion", methods=["POST"], content_types=FORM)
def login_submit():
    return _page("login", "ask_submit")


@app.route("/connexion/{token}", methods=["GET"])
def login_landing(token):
    return _page("login", "landing", token)


@app.route("/connexion/session", methods=["POST"], content_types=FORM)
def login_landing_submit():
    return _page("login", "landing_submit")


@app.route("/deconnexion", methods=["POST"], content_types=FORM)
def logout_page():
    return _page("login", "logout")


@app.route("/tableau-de-bord", methods=["GET"])
def dashboard_page():
    return _page("agent", "dashboard")


@app.route("/nouveau-dossier", methods=["GET"])
def new_case_page():
    return _page("agent", "new_case_form")


@app.route("/nouveau-dossier", methods=["POST"], content_types=FORM)
def new_case_submit():
    return _page("agent", "new_case_submit")


@app.route("/recherche", methods=["GET"])
def search_page():
    return _page("agent", "search_form")


@app.route("/recherche", methods=["POST"], content_types=FORM)
def search_submit():
    return _page("agent", "search_submit")


@app.route("/dossiers/{ref}", methods=["GET"])
def case_page(ref):
    return _page("case_page", "show", ref)


@app.route("/dossiers/{ref}/reponse", methods=["POST"], content_types=FORM)
def case_answer(ref):
    return _page("case_page", "answer", ref)


@app.route("/dossiers/{ref}/message", methods=["POST"], content_types=FORM)
def case_message(ref):
    return _page("case_page", "post_message", ref)


@app.route("/dossiers/{ref}/saisine", methods=["POST"], content_types=FORM)
def case_escalate(ref):
    return _page("case_page", "escalate", ref)


@app.route("/dossiers/{ref}/cloture", methods=["POST"], content_types=FORM)
def case_close(ref):
    return _page("case_page", "close", ref)


@app.route("/dossiers/{ref}/reouverture", methods=["POST"], content_types=FORM)
def case_reopen(ref):
    return _page("case_page", "reopen", ref)


@app.route("/dossiers/{ref}/quarantaine/{quarantine_id}", methods=["GET"])
def case_quarantined(ref, quarantine_id):
    return _page("quarantine", "show", ref, quarantine_id)


@app.route("/dossiers/{ref}/quarantaine/{quarantine_id}/ajouter", methods=["POST"], content_types=FORM)
def case_quarantined_release(ref, quarantine_id):
    return _page("quarantine", "release", ref, quarantine_id)


@app.route("/dossiers/{ref}/quarantaine/{quarantine_id}/ecarter", methods=["POST"], content_types=FORM)
def case_quarantined_discard(ref, quarantine_id):
    return _page("quarantine", "discard", ref, quarantine_id)


@app.route("/file", methods=["GET"])
def queue_page():
    return _page("referent", "queue")


@app.route("/territoire", methods=["GET"])
def territory_page():
    return _page("oversight", "territory")


@app.route("/annuaire", methods=["GET"])
def directory_page():
    return _page("admin", "form")


@app.route("/annuaire/apercu", methods=["POST"], content_types=["multipart/form-data"])
def directory_preview():
    return _page("admin", "preview")


@app.route("/annuaire/appliquer", methods=["POST"], content_types=FORM)
def directory_apply():
    return _page("admin", "apply")


# --- agents' feedback (remontées) and training requests: pages, then the JSON API -----------

@app.route("/remontees", methods=["GET"])
def feedback_page():
    return _page("feedback", "agent_page")


@app.route("/remontees", methods=["POST"], content_types=FORM)
def feedback_submit():
    return _page("feedback", "agent_submit")


@app.route("/territoire/remontees", methods=["GET"])
def territory_feedback_page():
    return _page("feedback", "territory_page")


@app.route("/territoire/remontees/{code}/{feedback_id}", methods=["POST"], content_types=FORM)
def territory_feedback_triage(code, feedback_id):
    return _page("feedback", "triage", code, feedback_id)


@api.route("/api/feedback", "POST", summary="Signaler une difficulté ou demander une formation",
           body=commands.FeedbackCreate, response=views.FeedbackView, status=201)
def create_feedback(principal, body):
    from chalicelib.services import feedback

    return feedback.create_feedback(deps(), principal, body)


@api.route("/api/feedback", "GET", summary="Les remontées de mon point de contact",
           query=commands.FeedbackListQuery, response=views.PageView[views.FeedbackView])
def list_feedback(principal, query):
    from chalicelib.services import feedback

    return feedback.list_point_feedback(deps(), principal, query.point_id, query.limit, query.cursor)


@api.route("/api/feedback/{territory}", "GET", summary="Les remontées d'un territoire",
           query=commands.TerritoryFeedbackQuery, response=views.PageView[views.FeedbackView])
def territory_feedback(territory, principal, query):
    from chalicelib.services import feedback

    return feedback.list_territory_feedback(deps(), principal, territory, status=query.status,
                                            kind=query.kind, since=query.since, until=query.until,
                                            limit=query.limit, cursor=query.cursor)


@api.route("/api/feedback/{territory}/{feedback_id}/triage", "POST", summary="Traiter une remontée",
           body=commands.FeedbackTriage, response=views.FeedbackView)
def triage_feedback(territory, feedback_id, principal, body):
    from chalicelib.services import feedback

    return feedback.triage_feedback(deps(), principal, territory, feedback_id, body)


@app.route("/resultats", methods=["GET"])
def results_page():
    return _page("results", "public")


@app.route("/resultats/donnees.csv", methods=["GET"])
def results_csv():
    return _page("results", "export", "csv")


@app.route("/resultats/donnees.json", methods=["GET"])
def results_json():
    return _page("results", "export", "json")


@app.route("/territoire/rapport", methods=["GET"])
def report_page():
    return _page("results", "report")


@app.route("/territoire/rapport.csv", methods=["GET"])
def report_csv():
    return _page("results", "report_csv")


# --- development stage only: 404 everywhere else --------------------------------------------

@api.route("/_dev/outbox", "GET", summary="(dev) Les e-mails et SMS envoyés", auth=False, dev_only=True)
def dev_outbox():
    from chalicelib.dev.outbox import read_outbox

    return read_outbox(deps().settings.region)


@api.route("/_dev/inbound-email", "POST", summary="(dev) Recevoir un e-mail brut (RFC 5322)",
           query=commands.InboundEmailQuery, auth=False, content_type="message/rfc822", dev_only=True)
def dev_inbound_email(query):
    from chalicelib.dev import inbound_email

    return inbound_email.receive(deps(), app.current_request.raw_body or b"", query)


@api.route("/_dev/inbound-sms", "POST", summary="(dev) Recevoir un SMS", body=commands.InboundSms,
           auth=False, dev_only=True)
def dev_inbound_sms(body):
    import uuid

    from chalicelib.services import sms

    return sms.receive(deps(), body.from_, body.body, f"dev-{uuid.uuid4()}")


@api.route("/_dev/run/{job}", "POST", summary="(dev) Lancer une tâche planifiée à une date donnée",
           query=commands.RunJobQuery, auth=False, dev_only=True)
def dev_run_job(job, query):
    from chalicelib import jobs

    d = deps()
    return jobs.run(job, d, query.now or d.now())


# --- event handlers ---------------------------------------------------------------------------

def _handle_stream_event(raw_event: dict, context=None) -> dict:
    from chalicelib.services import notifications

    return notifications.handle_stream(deps(), raw_event, context)


@app.on_dynamodb_record(stream_arn=wired_at_packaging("dynamodb", "table/relais/stream/outbox"), batch_size=25, name="send_notifications")
def send_notifications(event):
    return _handle_stream_event(event.to_dict(), event.context)


@app.on_sns_message(topic=wired_at_packaging("sns", "inbound-email"), name="receive_email")
def receive_email(event):
    from chalicelib.services import inbound

    outcome = inbound.handle_ses_notification(deps(), json.loads(event.message))
    return outcome.as_dict()


@app.on_sns_message(topic=wired_at_packaging("sns", "ses-events"), name="ses_events")
def ses_events(event):
    from chalicelib.services import deliverability

    return deliverability.handle_ses_event(deps(), json.loads(event.message))


# --- scheduled jobs (EventBridge, UTC) ----------------------------------------------------------

def _run_job(name: str) -> dict:
    from chalicelib import jobs

    d = deps()
    return jobs.run(name, d, d.now())


@app.schedule(Rate(1, unit=Rate.HOURS), name="reminders")
def reminders_schedule(event):
    """The escalation ladder: reminders before the deadline, then up the ladder after it."""
    return _run_job("reminders")


@app.schedule(Cron(0, 7, "?", "*", "MON", "*"), name="weekly_digest")
def digest_schedule(event):
    """Monday 07:00 UTC (08:00 or 09:00 in Paris): each agent's answered cases to close."""
    return _run_job("digest")


@app.schedule(Cron(0, 2, "?", "*", "SUN", "*"), name="results_check")
def results_schedule(event):
    """Sunday 02:00 UTC: the published results recomputed from the source data and compared."""
    return _run_job("results")


@app.schedule(Cron(30, 3, "*", "*", "?", "*"), name="retention")
def retention_schedule(event):
    """Every day, 03:30 UTC: the personal data of cases closed more than RELAIS_RETENTION_MONTHS (6) ago is wiped."""
    return _run_job("retention")


@app.schedule(Cron(0, 6, 1, "1,4,7,10", "?", "*"), name="quarterly_report")
def quarterly_report_schedule(event):
    """First day of each quarter, 06:00 UTC: the past quarter's report to each territory's
    follow-up commission (once per territory and quarter)."""
    return _run_job("quarterly_report")


def _handle_sms_event(raw_event: dict, context=None) -> dict:
    from chalicelib.services import sms

    return sms.handle_queue(deps(), raw_event, context)


@app.on_sqs_message(queue_arn=wired_at_packaging("sqs", "sms"), batch_size=10, name="send_sms")
def send_sms(event):
    return _handle_sms_event(event.to_dict(), event.context)


@app.on_sns_message(topic=wired_at_packaging("sns", "inbound-sms"), name="receive_sms")
def receive_sms(event):
    """SNS two-way SMS: {"originationNumber": "+33...", "messageBody": "..."}."""
    from chalicelib.services import sms

    return sms.receive_notification(deps(), event.message, event.to_dict()["Records"][0]["Sns"]["MessageId"])
