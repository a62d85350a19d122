"""Services Publics+ experiences, their responder teams and their routes (keys.py explains the
indexes an experience moves through)."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from ...domain.errors import NotFound, RaceLost
from ...domain.models import Event, Experience, ModerationStatus, ResponderTeam
from ...domain.scrub import folded
from .. import keys
from .items import Page, encode_cursor, encode_key, from_item, plain_item, to_item
from .query import Query
from .table import Table
from .writes import Delete, Write, event_write

EXPERIENCE_NOT_FOUND = "Cette expérience est introuvable."
# The facets a published experience is listed under: all, its territory, its organisation, both.
# Situation, sentiment and procedure filter the facet's rows (attributes of the row).
LISTING_FILTERS = ("situation", "sentiment", "procedure_key")


def experience_key(experience: Experience) -> dict[str, str]:
    """The item's key and, by its state, its place in GSI1 (moderation) and GSI2 (team inbox)."""
    key = keys.experience(experience.id)
    created = f"{keys.iso(experience.created_at)}#{experience.id}"
    if experience.status is ModerationStatus.PENDING:
        key |= {"GSI1PK": keys.experience_moderation_partition(experience.territory_code),
                "GSI1SK": created}
    elif experience.status is ModerationStatus.PUBLISHED:
        inbox = keys.experience_team_partition(experience.team_id, experience.territory_code)
        if experience.answer_status is None or experience.answer_status is ModerationStatus.REFUSED:
            due = experience.due_at or experience.created_at
            key |= {"GSI2PK": inbox, "GSI2SK": f"open#{keys.iso(due)}#{experience.id}"}
        else:
            answered = experience.answered_at or experience.updated_at
            key |= {"GSI2PK": inbox, "GSI2SK": f"done#{keys.iso(answered)}#{experience.id}"}
        if experience.answer_status is ModerationStatus.PENDING:
            key |= {"GSI1PK": keys.experience_answer_moderation_partition(experience.territory_code),
                    "GSI1SK": f"{keys.iso(experience.answered_at or experience.updated_at)}#{experience.id}"}
    return key


def listing_partitions(experience: Experience) -> list[str]:
    facets = [(None, None), (experience.territory_code, None)]
    if experience.organisation_id:
        facets += [(None, experience.organisation_id),
                   (experience.territory_code, experience.organisation_id)]
    return [keys.experience_listing_partition(t, o) for t, o in facets]


def listing_writes(experience: Experience, procedure_key: str | None) -> list[Write]:
    assert experience.published_at is not None
    attributes: dict[str, Any] = {"experience_id": experience.id, "situation": experience.situation.value,
                                  "sentiment": experience.sentiment.value}
    if procedure_key:
        attributes["procedure_key"] = procedure_key
    return [Write(plain_item(keys.experience_listing(partition, experience.published_at, experience.id),
                             "ExperienceListing", **attributes))
            for partition in listing_partitions(experience)]


def experience_write(experience: Experience, previous_version: int | None) -> Write:
    item = to_item(experience, experience_key(experience))
    if previous_version is None:
        return Write(item)
    return Write(item, "version = :previous", {":previous": {"N": str(previous_version)}})


class ExperienceRepository(Table):
    # --- experiences ----------------------------------------------------------------

    def create_experience(self, experience: Experience, event: Event) -> None:
        """The experience and its audit event; with contact details, their place in the
        retention sweep (services/retention.py)."""
        writes = [experience_write(experience, None), event_write(event)]
        if experience.contact_email or experience.contact_phone:
            writes.append(Write(plain_item(keys.experience_retention_due(experience.created_at, experience.id),
                                           "RetentionDue", experience_id=experience.id)))
        self.transact(writes)

    def get_experience(self, experience_id: str) -> Experience:
        item = self._get(keys.experience(experience_id), consistent=True)
        if not item:
            raise NotFound(EXPERIENCE_NOT_FOUND)
        return from_item(Experience, item)

    def update_experience(self, experience: Experience, previous_version: int, event: Event, *,
                          publish: bool = False, unlist: Experience | None = None) -> None:
        """A new version; `publish` adds its public rows (publication), `unlist` removes them."""
        writes: list[Write | Delete] = [experience_write(experience, previous_version), event_write(event)]
        if publish:
            procedure = folded(experience.procedure) if experience.procedure else None
            writes += listing_writes(experience, procedure)
        if unlist is not None and unlist.published_at is not None:
            writes += [Delete(keys.experience_listing(p, unlist.published_at, unlist.id))
                       for p in listing_partitions(unlist)]
        try:
            self.transact(writes)
        except RaceLost as exc:
            raise RaceLost("Cette expérience vient d'être modifiée par quelqu'un d'autre.") from exc

    def _experiences(self, ids: list[str]) -> list[Experience]:
        found = {item["PK"]["S"]: from_item(Experience, item)
                 for item in self._get_many([keys.experience(i) for i in ids])}
        return [found[f"EXP#{i}"] for i in ids if f"EXP#{i}" in found]

    def _indexed_page(self, query: Query) -> Page:
        """A page of an index, then its experiences whole (the index projects no text)."""
        items, last = self._query(query)
        rows = items[:query.limit] if query.limit else items
        ids = [row["PK"]["S"].removeprefix("EXP#") for row in rows]
        return Page(self._experiences(ids), encode_cursor(last if query.limit else None))

    def moderation_queue(self, territory_code: str, limit: int, cursor: str | None) -> Page:
        """Experiences waiting for moderation in a territory, oldest first."""
        return self._indexed_page(Query(partition=keys.experience_moderation_partition(territory_code),
                                        index=keys.GSI1, limit=limit, cursor=cursor))

    def answer_moderation_queue(self, territory_code: str, limit: int, cursor: str | None) -> Page:
        """Answers waiting for moderation in a territory, oldest first."""
        return self._indexed_page(Query(
            partition=keys.experience_answer_moderation_partition(territory_code),
            index=keys.GSI1, limit=limit, cursor=cursor))

    def team_inbox(self, team_id: str | None, territory_code: str, *, answered: bool, limit: int,
                   cursor: str | None) -> Page:
        """A team's published experiences: still to answer (nearest deadline first) or answered
        (latest first). Without a team: the territory's coordination's."""
        return self._indexed_page(Query(partition=keys.experience_team_partition(team_id, territory_code),
                                        index=keys.GSI2, sk_prefix="done#" if answered else "open#",
                                        descending=answered, limit=limit, cursor=cursor))

    def published_page(self, territory_code: str | None, organisation_id: str | None, *,
                       filters: dict[str, str], limit: int, cursor: str | None,
                       since: datetime | None = None, until: datetime | None = None) -> Page:
        """Published experiences of a facet, newest first; the other filters read the facet's rows."""
        where = tuple((name, filters[name]) for name in LISTING_FILTERS if filters.get(name))
        items, last = self._query(Query(
            partition=keys.experience_listing_partition(territory_code, organisation_id),
            sk_from=keys.iso(since) if since else None, sk_to=keys.iso(until) if until else None,
            filter_equal=where, limit=limit, cursor=cursor, descending=True))
        ids = [row["experience_id"]["S"] for row in items[:limit]]
        return Page(self._experiences(ids), encode_cursor(last))

    def published_between(self, start: datetime, end: datetime, territory_code: str | None = None) -> list[Experience]:
        """Every published experience of [start, end) (the quarterly report, open data)."""
        items, _ = self._query(Query(partition=keys.experience_listing_partition(territory_code, None),
                                     sk_from=keys.iso(start), sk_to=keys.iso(end)))
        return self._experiences([row["experience_id"]["S"] for row in items])

    # --- responder teams and routes --------------------------------------------------

    def get_team(self, team_id: str) -> ResponderTeam | None:
        item = self._get(keys.responder_team(team_id))
        return from_item(ResponderTeam, item) if item else None

    def get_teams(self, team_ids: list[str]) -> dict[str, ResponderTeam]:
        items = self._get_many([keys.responder_team(t) for t in dict.fromkeys(team_ids)])
        return {team.id: team for team in (from_item(ResponderTeam, item) for item in items)}

    def route(self, organisation_id: str, candidates: list[tuple[str, str]]) -> dict[tuple[str, str], str]:
        """The team ids routed for each (level, area) candidate that has one (one BatchGetItem)."""
        items = self._get_many([keys.responder_route(organisation_id, level, area) for level, area in candidates])
        return {(item["level"]["S"], item["area"]["S"]): item["team_id"]["S"] for item in items}

    def list_teams(self, limit: int, cursor: str | None) -> Page:
        items, last = self._query(Query(partition="TEAMS", index=keys.GSI1, limit=limit, cursor=cursor))
        ids = [row["GSI1SK"]["S"] for row in items[:limit]]
        teams = self.get_teams(ids)
        return Page([teams[i] for i in ids if i in teams], encode_cursor(last))

    # --- posting rate ----------------------------------------------------------------

    def count_post(self, subject: str, window: str, expires_at: datetime) -> int:
        """Count one more experience posted by this subject in this window; the new count."""
        response = self._client.update_item(
            TableName=self.table, Key=encode_key(keys.post_rate(subject, window)),
            UpdateExpression="ADD posts :one SET expires_at = :expires",
            ExpressionAttributeValues={":one": {"N": "1"},
                                       ":expires": {"N": str(int(expires_at.timestamp()))}},
            ReturnValues="UPDATED_NEW")
        return int(response["Attributes"]["posts"]["N"])
