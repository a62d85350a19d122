"""The demo's cases, so that every list shows what it is for on first login (`make run`).

Seeded through the services, as the API calls them (create, escalate, referent reply, agent
message, document upload, close), never by writing items: the seeding Deps take their clock
from a hand moved back and forward, so each step is dated in the past of `now` (the stack's
start). Deterministic: fixed names, drawn from a small list with a fixed seed (the references
alone are random, as the service draws them).

- the live cases of one contact point, 61-fs-remalard-poste (agent.remalard-poste, whom no test
  signs in as), escalated to 61-carsat (and 61-ddfip): one case in each state;
- the previous quarter's closed cases, on Béthune's points and that same point, escalated to
  groups no test uses either, enough for the published results to pass K_ANONYMITY.
"""
from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field, fields, replace
from datetime import date, datetime, time, timedelta

from chalicelib.adapters.email import OutgoingEmail, SesMailer
from chalicelib.bootstrap import Deps, Wiring
from chalicelib.domain import deadlines, ladder
from chalicelib.domain import results as results_domain
from chalicelib.domain.authz import Principal
from chalicelib.domain.commands import CaseClose, CaseCreate, EscalationCreate, MessageCreate
from chalicelib.domain.models import LifeSituation, MessageKind, Outcome, Usager
from chalicelib.services import attachments, cases

SEED = 23
FIRST_NAMES = ("Louise", "Hugo", "Jeanne", "Marcel", "Agnès", "René", "Simone", "Gilbert", "Odette",
               "Yves", "Paulette", "Maurice", "Huguette", "Raymond", "Colette", "Lucien")
LAST_NAMES = ("Garnier", "Chauvin", "Perrot", "Collet", "Barbier", "Lacroix", "Renaud", "Masson",
              "Marchand", "Brunet", "Roy", "Gauthier", "Leclerc", "Morel", "Fabre", "Hubert")

DEMO_POINT = "61-fs-remalard-poste"
DEMO_AGENT = "agent.remalard-poste@example.org"
DEMO_REFERENT = "referent.61-carsat@example.org"
DEMO_GROUP = "61-carsat"
OTHER_GROUP = "61-ddfip"
# The previous quarter: (point, its agent, the groups its cases go to in turn; None: solved at the desk).
# The previous quarter: (point, its agent, the group its cases go to, how many cases). Results are
# published from K_ANONYMITY (5) cases, and a published point or group needs the withheld ones
# beside it to total 5 at least (domain/disclosure.py, rule 3): in the Pas-de-Calais, the town
# hall (6 cases: one solved at the desk, five to the Banque de France) is published beside two
# small points (3 + 2, withheld), and so is the Banque de France beside the CPAM and France
# Travail (3 + 2, withheld); a group whose network has a group elsewhere would be withheld with
# it (rule 2: the Banque de France's network has no other). The demo point's six make the
# Orne's quarter published too (its point and the CARSAT, alone in it, are withheld).
QUARTER_POINTS = (
    ("62-hotel-de-ville-bethune", "agent.hotel-de-ville-bethune@example.org", "62-banque-de-france", 6),
    ("62-pimms-bethune", "agent.pimms-bethune@example.org", "62-cpam", 3),
    ("62-mission-locale-bethune", "agent.mission-locale-bethune@example.org", "62-france-travail", 2),
    (DEMO_POINT, DEMO_AGENT, DEMO_GROUP, 6),
)
PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
       b"trailer<</Root 1 0 R>>\n%%EOF\n")


class SeedWiring(Wiring):
    """The seed's Deps reach DynamoDB Local and nothing else of AWS."""

    ALLOWED = ("dynamodb", "dynamodbstreams")

    def client_made(self, settings, service: str, endpoint: str | None, client) -> None:
        if service not in self.ALLOWED or not endpoint:
            raise RuntimeError(f"the demo seed makes no {service} client")


class DiscardingMailer(SesMailer):
    """The seed's emails were sent in the past: none leaves, none is kept."""

    def __init__(self, sender: str) -> None:
        super().__init__(None, sender)
        self.sent = 0

    def send(self, mail: OutgoingEmail) -> str:
        self.sent += 1
        return f"demo-seed-{self.sent}"


def seed_deps(s3_endpoint: str) -> Deps:
    """Deps for the local stack's seed: DynamoDB Local; the documents in the app's S3 (moto's
    server in the app's process, where the browser downloads them); a mailer that sends nothing."""
    from chalicelib import config
    from chalicelib.adapters import aws
    from chalicelib.adapters.documents import Documents

    settings = config.settings()
    deps = Deps(settings, wiring=SeedWiring())
    s3 = aws.client("s3", settings.region, s3_endpoint, signature_version="s3v4", s3={"addressing_style": "path"})
    deps.__dict__["documents"] = Documents(lambda: s3, lambda: s3, settings.mail_bucket)
    deps.__dict__["mailer"] = DiscardingMailer(settings.mail_from)
    return deps


class Hand:
    """The seeding clock: Deps.now() reads it; the seed sets it to each step's instant."""

    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at


@dataclass
class Seeded:
    """What the seed made: the live cases by state, and the quarter it filled."""

    live: dict[str, str] = field(default_factory=dict)        # state -> case reference
    quarter: str = ""
    quarter_refs: list[str] = field(default_factory=list)


# (state, what the banner says of it)
STATES = (
    ("open", "au guichet, pas encore transmis"),
    ("desk_closed", "réglé au guichet, clos"),
    ("partner_closed", "réglé avec un partenaire, clos"),
    ("waiting", "en attente du partenaire, avec un document"),
    ("due_soon", "à traiter dans les 24 h"),
    ("late_manager", "en retard de plus de 2 jours ouvrés (le stade « responsable » de la relance)"),
    ("late_coordinator", "en retard de plus de 5 jours ouvrés (le stade « coordinateur »)"),
    ("needs_info", "le partenaire demande des informations à l'agent"),
    ("info_supplied", "informations fournies par l'agent (avec un document), de nouveau en attente"),
    ("answered", "le partenaire a répondu, à clore"),
    ("handed_back", "« pas le bon interlocuteur » (rendu par les Finances publiques)"),
)


def at_ten(day: date) -> datetime:
    return datetime.combine(day, time(10, 0), tzinfo=deadlines.PARIS)


def business_days_back(now: datetime, count: int) -> date:
    day = now.astimezone(deadlines.PARIS).date()
    for _ in range(count):
        day = deadlines.previous_business_day(day, "61")
    return day


def escalation_day(now: datetime, answer_days: int, fits: Callable[[datetime], bool]) -> datetime:
    """The latest business morning before now whose escalation deadline `fits`."""
    for back in range(1, 40):
        escalated = at_ten(business_days_back(now, back))
        if fits(deadlines.due_at(escalated, answer_days, "61")):
            return escalated
    raise RuntimeError("no escalation day fits")


class Script:
    """One case's story: each step a service call, dated by moving the hand of its own Deps."""

    def __init__(self, deps: Deps, principals: dict[str, Principal], usager: Usager, now: datetime) -> None:
        self.hand = Hand(now)
        self.deps = fork(deps, self.hand)
        self.principals, self.usager = principals, usager
        self.ref = ""

    def at(self, moment: datetime) -> Deps:
        self.hand.at = moment
        return self.deps

    def create(self, when: datetime, agent: str, point: str, situation: LifeSituation, description: str) -> str:
        command = CaseCreate(point_id=point, usager=self.usager, situation=situation, description=description,
                             consent_attested=True)
        self.ref = cases.create_case(self.at(when), self.principals[agent], command).ref
        return self.ref

    def escalate(self, when: datetime, agent: str, group: str, question: str) -> None:
        cases.escalate(self.at(when), self.principals[agent], self.ref,
                       EscalationCreate(group_ids=[group], question=question))

    def reply(self, when: datetime, referent: str, kind: MessageKind, body: str) -> None:
        cases.post_referent_reply(self.at(when), self.principals[referent], self.ref,
                                  MessageCreate(body=body, kind=kind))

    def note(self, when: datetime, agent: str, body: str, group: str | None = None) -> None:
        cases.post_agent_message(self.at(when), self.principals[agent], self.ref,
                                 MessageCreate(body=body, group_id=group))

    def close(self, when: datetime, agent: str, outcome: Outcome, useful: bool = True) -> None:
        cases.close_case(self.at(when), self.principals[agent], self.ref, CaseClose(outcome=outcome, useful=useful))

    def document(self, when: datetime, agent: str, label: str, group: str | None) -> None:
        """As on the case page: the attachment service signs a form, the file is posted to S3 as a
        browser posts it, and the service checks it and adds it to the thread."""
        import requests

        principal = self.principals[agent]
        form = attachments.upload_form(self.at(when), principal, self.ref, group)
        fields = {**form.fields, "x-amz-meta-label": label}
        fields.setdefault("x-amz-meta-group", "")
        posted = requests.post(form.url, data=fields, timeout=30, allow_redirects=False,
                               files={"file": ("document.pdf", PDF, "application/pdf")})
        if posted.status_code != 303:
            raise RuntimeError(f"the emulated S3 refused the demo document: {posted.status_code} {posted.text[:200]}")
        attachments.confirm_upload(self.deps, principal, self.ref, form.key)


def fork(deps: Deps, clock: Callable[[], datetime]) -> Deps:
    """The same Deps (clients, adapters) on another clock: each case's script has its own."""
    forked = replace(deps, clock=clock)
    forked.__dict__.update({name: value for name, value in deps.__dict__.items()
                            if name not in {f.name for f in fields(Deps)}})
    return forked


def people(count: int) -> list[Usager]:
    """Fictional usagers, the same on every run."""
    draw = random.Random(SEED)
    return [Usager(sms_opt_in=False, first_name=draw.choice(FIRST_NAMES), last_name=draw.choice(LAST_NAMES),
                   phone=f"06 12 {draw.randrange(10, 99)} {draw.randrange(10, 99)} {draw.randrange(10, 99)}")
            for _ in range(count)]


def usager_of(state: str) -> Usager:
    """The usager of the live case in that state (the stories draw them in STATES' order)."""
    return people(len(STATES))[[name for name, _ in STATES].index(state)]


WORKERS = 6         # cases seeded side by side: DynamoDB Local answers several at once


def seed(deps: Deps, now: datetime) -> Seeded:
    """The demo's cases, dated before `now`, through the services on deps (on clocks of their own)."""
    from concurrent.futures import ThreadPoolExecutor

    live = _live(deps, now)
    quarter, quarter_stories = _previous_quarter(deps, now)
    stories = [*live.items(), *enumerate(quarter_stories)]
    emails = {DEMO_AGENT, DEMO_REFERENT, HANDING_BACK} | {a for _, a, _, _ in QUARTER_POINTS} | {
        f"referent.{g}@example.org" for _, _, g, _ in QUARTER_POINTS} | {
        DEMO_MODERATOR, *(team for *_, team in EXPERIENCES if team)}
    users = deps.repo.users_by_email(emails)
    if missing := emails - set(users):
        raise RuntimeError(f"not in the demo directory: {', '.join(sorted(missing))}")
    principals = {email: Principal.of(user) for email, user in users.items()}
    usagers = people(len(stories))

    def play(index: int) -> str:
        script = Script(deps, principals, usagers[index], now)
        stories[index][1](script)
        return script.ref

    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        refs = list(pool.map(play, range(len(stories))))
    seed_experiences(deps, now, principals)
    return Seeded(live={state: ref for (state, _), ref in zip(stories[:len(live)], refs, strict=False)},
                  quarter=quarter, quarter_refs=refs[len(live):])


def seed_and_settle(deps: Deps, now: datetime) -> Seeded:
    """The seed, then the table's stream handed to the app's stream handler as the dev stage's
    drain does after each request (chalicelib/dev/streams.py): the outbox's emails leave
    (through deps' mailer) and the results cells are filled. The reminder sweep is not run:
    some 100 queries (2 s) for ladder records no list shows."""
    from chalicelib.dev import streams
    from chalicelib.services import outbox

    seeded = seed(deps, now)
    streams.drain(deps, lambda event: outbox.handle_stream(deps, event), wait_seconds=120, written=True)
    return seeded


# --- Services Publics+ experiences -------------------------------------------------------------

DEMO_MODERATOR = "moderation.61@example.org"
# (days before now, posted at the demo desk, organisation, situation, sentiment, procedure, text,
#  what became of it, the team member who answers). Fates: "waiting" (in the moderation queue),
#  "refused", "published" (in the team's inbox), "answered" (the answer waits for moderation),
#  "public" (the answer is published).
EXPERIENCES: tuple[tuple[int, bool, str | None, str, str, str, str, str, str | None], ...] = (
    (12, False, "caf", "precarite", "negative", "Prime d'activité",
     "Ma prime d'activité est suspendue depuis deux mois sans explication. J'ai envoyé trois fois "
     "mes justificatifs, personne ne m'a répondu.", "public", "reponses.caf-61@example.org"),
    (9, True, "dgfip", "impots", "positive", "Déclaration de revenus",
     "Je n'arrivais pas à déclarer mes revenus en ligne. À la Maison France Services, on l'a fait "
     "ensemble en vingt minutes et j'ai compris comment faire l'an prochain.", "public",
     "reponses.dgfip@example.org"),
    (6, False, "cpam", "sante", "negative", "Carte Vitale",
     "J'attends ma nouvelle carte Vitale depuis trois mois. Au téléphone, on me dit chaque fois "
     "qu'elle est en cours de fabrication.", "published", "reponses.cpam-normandie@example.org"),
    (4, False, "caf", "logement", "negative", "Aide au logement",
     "Mon aide au logement a été recalculée et je dois rembourser une somme que je ne comprends pas. "
     "Le courrier ne dit pas comment contester.", "answered", "reponses.caf-61@example.org"),
    (2, True, None, "papiers", "negative", "Carte grise",
     "Je dois refaire ma carte grise après un déménagement. Le site me demande un justificatif "
     "que je n'ai pas, rappelez-moi au 06 12 34 56 78.", "waiting", None),
    (1, False, "france-travail", "emploi", "positive", "Inscription",
     "L'inscription s'est très bien passée, le conseiller a pris le temps de tout m'expliquer.",
     "waiting", None),
    (3, False, "caf", "autre", "negative", "Autre",
     "Ceci n'a rien à voir avec un service public, c'est une publicité pour mon commerce.",
     "refused", None),
)
ANSWERS = {
    "caf": "Bonjour, nous avons repris votre dossier : il manquait une pièce que nous avions mal "
           "enregistrée. Le versement reprend ce mois-ci. Le service des prestations de la CAF de l'Orne",
    "dgfip": "Merci pour votre message. Les Maisons France Services sont là pour cela : n'hésitez pas "
             "à y retourner l'an prochain. La direction générale des Finances publiques",
}


def seed_experiences(deps: Deps, now: datetime, principals: dict[str, Principal]) -> int:
    """The demo's experiences in the Orne, through the services: some waiting for the moderator
    (moderation.61), one refused, some published in the responder teams' inboxes, one answer
    waiting for moderation, two answered in public. Returns how many were posted."""
    from chalicelib.domain.commands import ExperienceModeration, ExperiencePost
    from chalicelib.domain.models import RefusalReason
    from chalicelib.services import experiences

    hand = Hand(now)
    at = fork(deps, hand)
    moderator = principals[DEMO_MODERATOR]
    for number, (days, desk, organisation, situation, sentiment, procedure, text, fate, team) in enumerate(EXPERIENCES):
        hand.at = at_ten(business_days_back(now, days))
        command = ExperiencePost(territory_code="61", organisation_id=organisation, situation=situation,
                                 sentiment=sentiment, procedure=procedure, text=text,
                                 **({"contact_email": f"usager.{number}@example.org"} if fate == "public" else {}))
        posted = (experiences.post_at_desk(at, principals[DEMO_AGENT], command.model_copy(update={"point_id": DEMO_POINT}))
                  if desk else experiences.post_public(at, command, client_address=f"192.0.2.{number + 10}"))
        if fate == "waiting":
            continue
        hand.at += timedelta(hours=2)
        if fate == "refused":
            experiences.moderate(at, moderator, posted.id,
                                 ExperienceModeration(decision="refuse", reason=RefusalReason.OFF_TOPIC))
            continue
        experiences.moderate(at, moderator, posted.id, ExperienceModeration(decision="publish"))
        if fate in ("answered", "public") and team:
            hand.at += timedelta(days=1)
            experiences.answer(at, principals[team], posted.id, ANSWERS.get(organisation or "", ANSWERS["caf"]))
        if fate == "public":
            hand.at += timedelta(hours=3)
            experiences.moderate_answer(at, moderator, posted.id, ExperienceModeration(decision="publish"))
    return len(EXPERIENCES)


Story = Callable[[Script], None]
HANDING_BACK = "referent.61-ddfip@example.org"


def _live(deps: Deps, now: datetime) -> dict[str, Story]:
    """One story per state, at the demo point, as of `now`."""
    agent, carsat, ddfip = DEMO_AGENT, DEMO_REFERENT, HANDING_BACK
    group = deps.repo.get_group(DEMO_GROUP)
    days = group.answer_days if group else 4
    hour = timedelta(hours=1)
    stages = {stage.name: stage for stage in deps.settings.ladder}

    def past(stage: str) -> Callable[[datetime], bool]:
        return lambda due: ladder.stage_time(stages[stage], due, "61") <= now

    yesterday = at_ten(business_days_back(now, 1))
    start = at_ten(business_days_back(now, 8))
    answered = at_ten(business_days_back(now, 6))
    try:
        soon = escalation_day(now, days, lambda due: due > now and due - now <= timedelta(hours=24))
    except RuntimeError:                   # no deadline ends in the next 24 h (a weekend): the nearest
        soon = escalation_day(now, days, lambda due: due > now)
    manager = escalation_day(now, days, lambda due: past("manager")(due) and not past("coordinator")(due))
    coordinator = escalation_day(now, days, past("coordinator"))
    asked = at_ten(business_days_back(now, 2))
    supplied = at_ten(business_days_back(now, 3))
    replied = at_ten(business_days_back(now, 1))
    back = at_ten(business_days_back(now, 2))
    retraite, papiers, impots = LifeSituation.RETRAITE, LifeSituation.PAPIERS, LifeSituation.IMPOTS

    def open_(s: Script) -> None:
        s.create(min(now - hour, yesterday + 6 * hour), agent, DEMO_POINT, papiers,
                 "Renouvellement de carte d'identité : l'usager n'a pas de justificatif de domicile récent.")

    def desk_closed(s: Script) -> None:
        s.create(yesterday, agent, DEMO_POINT, impots,
                 "Aide à la déclaration de revenus en ligne : création de l'espace particulier.")
        s.note(yesterday + hour, agent, "Espace créé avec l'usager, déclaration faite ensemble.")
        s.close(yesterday + 2 * hour, agent, Outcome.SOLVED_AT_DESK)

    def partner_closed(s: Script) -> None:
        s.create(start, agent, DEMO_POINT, retraite, "Pension de retraite non versée depuis deux mois après un changement de banque.")
        s.escalate(start + hour, agent, DEMO_GROUP, "Pouvez-vous vérifier le RIB enregistré pour la pension ?")
        s.reply(answered, carsat, MessageKind.ANSWER, "Le RIB est corrigé : le rappel sera versé le 9.")
        s.close(answered + 2 * hour, agent, Outcome.SOLVED_WITH_PARTNER)

    def waiting(s: Script) -> None:
        s.create(now - 3 * hour, agent, DEMO_POINT, retraite,
                 "Demande de retraite progressive : l'usager ne sait pas quelles pièces fournir.")
        s.escalate(now - 2 * hour, agent, DEMO_GROUP, "Quelles pièces l'usager doit-il fournir pour sa demande ?")
        s.document(now - 2 * hour + timedelta(minutes=5), agent, "Relevé de carrière", DEMO_GROUP)

    def due_soon(s: Script) -> None:
        s.create(soon - hour, agent, DEMO_POINT, retraite, "Attestation de paiement de la pension demandée par le bailleur.")
        s.escalate(soon, agent, DEMO_GROUP, "Pouvez-vous envoyer une attestation de paiement à l'usager ?")

    def late_manager(s: Script) -> None:
        s.create(manager - hour, agent, DEMO_POINT, retraite, "Relevé de carrière incomplet : deux années travaillées n'y figurent pas.")
        s.escalate(manager, agent, DEMO_GROUP, "Pouvez-vous régulariser les années 1994 et 1995 ?")

    def late_coordinator(s: Script) -> None:
        s.create(coordinator - hour, agent, DEMO_POINT, retraite, "Pension de réversion demandée il y a quatre mois, sans nouvelles.")
        s.escalate(coordinator, agent, DEMO_GROUP, "Où en est la demande de pension de réversion ?")

    def needs_info(s: Script) -> None:
        s.create(asked - 2 * hour, agent, DEMO_POINT, retraite,
                 "Départ anticipé pour carrière longue : l'usager veut connaître la date possible.")
        s.escalate(asked - hour, agent, DEMO_GROUP, "À quelle date l'usager peut-il partir ?")
        s.reply(asked + 3 * hour, carsat, MessageKind.NEEDS_INFO,
                "Merci de nous transmettre les bulletins de salaire de 1985 à 1987.")

    def info_supplied(s: Script) -> None:
        s.create(supplied - 2 * hour, agent, DEMO_POINT, retraite, "Trimestres d'apprentissage non comptés dans le relevé de carrière.")
        s.escalate(supplied - hour, agent, DEMO_GROUP, "Pouvez-vous compter les trimestres d'apprentissage ?")
        s.reply(supplied + 2 * hour, carsat, MessageKind.NEEDS_INFO, "Il nous faut le contrat d'apprentissage signé.")
        s.note(supplied + 5 * hour, agent, "Voici le contrat d'apprentissage de l'usager.", DEMO_GROUP)
        s.document(supplied + 5 * hour + timedelta(minutes=1), agent, "Contrat d'apprentissage", DEMO_GROUP)

    def answered_(s: Script) -> None:
        s.create(replied - 26 * hour, agent, DEMO_POINT, retraite, "Estimation du montant de la retraite demandée avant un départ en 2027.")
        s.escalate(replied - 25 * hour, agent, DEMO_GROUP, "Pouvez-vous adresser une estimation à l'usager ?")
        s.reply(replied + hour, carsat, MessageKind.ANSWER,
                "L'estimation est envoyée par courrier ; elle sera aussi dans l'espace personnel sous 48 h.")

    def handed_back(s: Script) -> None:
        s.create(back - hour, agent, DEMO_POINT, impots, "Taxe foncière réclamée pour un logement vendu l'an dernier.")
        s.escalate(back, agent, OTHER_GROUP, "Pouvez-vous annuler la taxe foncière de ce logement ?")
        s.reply(back + 4 * hour, ddfip, MessageKind.WRONG_RECIPIENT,
                "Ce dossier relève du service des impôts fonciers de Mortagne, pas de notre service.")

    stories = {"open": open_, "desk_closed": desk_closed, "partner_closed": partner_closed, "waiting": waiting,
               "due_soon": due_soon, "late_manager": late_manager, "late_coordinator": late_coordinator,
               "needs_info": needs_info, "info_supplied": info_supplied, "answered": answered_,
               "handed_back": handed_back}
    assert list(stories) == [state for state, _ in STATES]
    return stories


QUARTER_QUESTIONS = {
    "62-banque-de-france": (LifeSituation.PRECARITE, "Dossier de surendettement déposé il y a deux mois, sans nouvelles.",
                            "Où en est l'examen du dossier de surendettement ?"),
    "62-cpam": (LifeSituation.SANTE, "Remboursements de soins bloqués depuis un changement d'adresse.",
                "Pouvez-vous débloquer les remboursements ?"),
    "62-france-travail": (LifeSituation.EMPLOI, "Inscription comme demandeur d'emploi non prise en compte.",
                          "Pouvez-vous vérifier l'inscription ?"),
    DEMO_GROUP: (LifeSituation.RETRAITE, "Demande de relevé de carrière restée sans réponse.",
                 "Pouvez-vous envoyer le relevé de carrière ?"),
}


def _previous_quarter(deps: Deps, now: datetime) -> tuple[str, list[Story]]:
    """Closed cases spread over the previous quarter's business days: at a point of six, one
    solved at the desk; the others escalated, answered in one to six business days (some late),
    and closed."""
    quarter = results_domain.previous_quarter(results_domain.quarter(now))
    first, end = results_domain.quarter_bounds(quarter)
    days = [first + timedelta(days=n) for n in range((end - first).days - 20)]
    days = [d for d in days if deadlines.is_business_day(d, "62") and deadlines.is_business_day(d, "61")]
    stories: list[Story] = []
    for index, (point, agent, group, count) in enumerate(QUARTER_POINTS):
        for number in range(count):
            day = days[(len(stories) * 7 + index) % len(days)]
            desk = number == 0 and count > 5
            stories.append(_quarter_story(point, agent, None if desk else group, day, number + index))
    return quarter, stories


def _quarter_story(point: str, agent: str, group: str | None, day: date, variant: int) -> Story:
    def story(s: Script) -> None:
        opened = at_ten(day)
        if group is None:
            s.create(opened, agent, point, LifeSituation.PAPIERS, "Aide pour une demande de titre en ligne.")
            s.close(opened + timedelta(hours=1), agent, Outcome.SOLVED_AT_DESK)
            return
        situation, description, question = QUARTER_QUESTIONS[group]
        s.create(opened, agent, point, situation, description)
        s.escalate(opened + timedelta(minutes=30), agent, group, question)
        answer_day = deadlines.add_business_days(day, 1 + variant % 6, point[:2])   # the deadline is 4
        s.reply(at_ten(answer_day) + timedelta(hours=4), f"referent.{group}@example.org", MessageKind.ANSWER,
                "C'est réglé : l'usager recevra un courrier de confirmation.")
        s.close(at_ten(deadlines.add_business_days(answer_day, 1, point[:2])), agent,
                Outcome.SOLVED_WITH_PARTNER if variant % 4 else Outcome.NOT_SOLVED, useful=variant % 5 != 0)
    return story
