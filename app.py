"""Relais: the app, its middleware, and its blueprints (chalicelib/routes/, one per feature).

Each route hands the request to one service or one page, named in its blueprint; each event
handler and scheduled job is a Lambda function of its own, entered here as "app.<function>".
"""
from __future__ import annotations

import functools

from chalice import Chalice, ConvertToMiddleware

from chalicelib.bootstrap import deps
from chalicelib.observability import correlate, logger, metrics, tracer
from chalicelib.routes import (
    about,
    admin,
    agent,
    auth,
    case_pages,
    cases,
    dev,
    directory,
    errors,
    events,
    experience_data,
    experiences,
    feedback,
    login,
    moderation,
    oversight,
    referent,
    results,
    schedules,
)
from chalicelib.routes import openapi as openapi_document
from chalicelib.routes.events import (  # noqa: F401 - Lambda entries
    receive_email,
    receive_sms,
    run_job_units,
    send_notifications,
    send_sms,
    ses_events,
    sms_events,
)
from chalicelib.routes.schedules import (  # noqa: F401 - Lambda entries
    digest_schedule,
    quarterly_report_schedule,
    reminders_schedule,
    results_schedule,
    retention_schedule,
)
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
        from chalicelib.dev import queue_drain, streams

        try:
            streams.drain(deps(), events.handle_stream_event)
            queue_drain.drain(deps(), deps().settings.sms_queue, events.handle_sms_event)
            if queue_drain.drain(deps(), deps().settings.job_queue, events.handle_job_units_event):
                streams.drain(deps(), events.handle_stream_event)     # what the units announced
        except Exception:  # noqa: BLE001 - like the real mapping, a failure never fails the request
            logger.exception("dev stream drain failed")
    return response


# The admin's CSV upload arrives as multipart/form-data: as binary, so that API Gateway hands
# its bytes over untouched (a Windows-1252 file stays Windows-1252).
app.api.binary_types.append("multipart/form-data")
assets.register(app)                # /static/: the DSFR and Relais's CSS; fonts and PNGs as binary

# The JSON API (/api/...), described by /api/openapi.json.
for blueprint in (auth.bp, cases.bp, directory.bp, feedback.bp, experiences.bp, openapi_document.bp):
    app.register_blueprint(blueprint)
# The pages, by role; a case's documents (/dossiers/<ref>/pieces-jointes/...); the results; the
# public pages of the footer (accessibility, legal notice, personal data, help).
for blueprint in (login.bp, agent.bp, case_pages.bp, attachment_pages.bp, referent.bp, oversight.bp,
                  moderation.bp, admin.bp, results.bp, experience_data.bp, about.bp):
    app.register_blueprint(blueprint)
app.register_blueprint(dev.bp)      # /_dev/...: the development stage only, 404 elsewhere
# French error pages: an unknown address (404), a form's address opened as a page (405).
app.register_blueprint(errors.bp)
errors.answer_get_on_forms(app)
# The event handlers and the scheduled jobs, each a Lambda function of its own (imported above).
app.register_blueprint(events.bp)
app.register_blueprint(schedules.bp)
