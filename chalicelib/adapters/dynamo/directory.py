"""The directory: territories, contact points, organisations, referent groups, users."""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ...domain.models import (
    ContactPoint,
    Organisation,
    ReferentGroup,
    ResponderTeam,
    Role,
    Territory,
    User,
)
from .. import keys
from .items import Page, encode_cursor, from_item, plain_item, to_item
from .query import Query
from .table import Table

DirectoryEntity = Territory | ContactPoint | Organisation | ReferentGroup | ResponderTeam | User


def entity_items(entity: DirectoryEntity) -> list[dict[str, Any]]:
    """The items that store a directory entity, with the keys that list it."""
    if isinstance(entity, Territory):
        return [to_item(entity, keys.territory(entity.code))]
    if isinstance(entity, ContactPoint):
        return [to_item(entity, keys.point(entity.id, entity.territory_code))]
    if isinstance(entity, Organisation):
        return [to_item(entity, keys.organisation(entity.id, listed=True))]
    if isinstance(entity, ReferentGroup):
        return [to_item(entity, keys.group(entity.id, entity.territory_code))]
    if isinstance(entity, ResponderTeam):
        return [to_item(entity, keys.responder_team(entity.id)),
                plain_item(keys.responder_route(entity.organisation_id, entity.level.value, entity.area),
                           "ResponderRoute", team_id=entity.id, level=entity.level.value, area=entity.area)]
    items = [to_item(entity, keys.user(entity.id, entity.role.value)),
             plain_item(keys.email(entity.email), "EmailIndex", user_id=entity.id)]
    if entity.role is Role.COORDINATOR:
        items += [plain_item(keys.coordinator(code, entity.id), "CoordinatorIndex", user_id=entity.id)
                  for code in entity.territory_codes]
    return items


class DirectoryRepository(Table):
    def get_point(self, point_id: str) -> ContactPoint | None:
        item = self._get(keys.point(point_id))
        return from_item(ContactPoint, item) if item else None

    def get_group(self, group_id: str) -> ReferentGroup | None:
        item = self._get(keys.group(group_id))
        return from_item(ReferentGroup, item) if item else None

    def get_groups(self, group_ids: Iterable[str]) -> dict[str, ReferentGroup]:
        found = self._get_many([keys.group(group_id) for group_id in set(group_ids)])
        groups = [from_item(ReferentGroup, item) for item in found]
        return {g.id: g for g in groups}

    def get_user(self, user_id: str) -> User | None:
        item = self._get(keys.user(user_id))
        return from_item(User, item) if item else None

    def get_users(self, user_ids: Iterable[str]) -> dict[str, User]:
        found = self._get_many([keys.user(user_id) for user_id in set(user_ids)])
        return {u.id: u for u in (from_item(User, item) for item in found)}

    def users_by_email(self, addresses: Iterable[str]) -> dict[str, User]:
        found = self._get_many([keys.email(a) for a in {a.strip().lower() for a in addresses}])
        users = self.get_users(item["user_id"]["S"] for item in found) if found else {}
        return {user.email: user for user in users.values()}

    def territory_coordinators(self, code: str) -> list[User]:
        items, _ = self._query(Query(partition=f"COORD#{code}"))
        users = self.get_users(item["user_id"]["S"] for item in items) if items else {}
        return list(users.values())

    def get_user_by_email(self, address: str) -> User | None:
        return self.users_by_email([address]).get(address.strip().lower())

    def put_directory(self, entities: Iterable[DirectoryEntity]) -> None:
        self.put_many([item for entity in entities for item in entity_items(entity)])

    def list_territories(self) -> list[Territory]:
        items, _ = self._query(Query(partition="TERRITORIES", index=keys.GSI1))
        return [from_item(Territory, item) for item in items]

    def list_organisations(self) -> list[Organisation]:
        items, _ = self._query(Query(partition="ORGS", index=keys.GSI1))
        return [from_item(Organisation, item) for item in items]

    def territory_directory(self, code: str) -> tuple[list[ContactPoint], list[ReferentGroup]]:
        items, _ = self._query(Query(partition=f"TERR#{code}", index=keys.GSI1))
        points = [from_item(ContactPoint, i) for i in items if i["type"]["S"] == "ContactPoint"]
        groups = [from_item(ReferentGroup, i) for i in items if i["type"]["S"] == "ReferentGroup"]
        return points, groups

    # --- the admin's listing of what is loaded: one bounded Query a page --------------------------

    def territory_points_page(self, code: str, limit: int, cursor: str | None) -> Page:
        return self._entity_page(ContactPoint, Query(partition=f"TERR#{code}", index=keys.GSI1,
                                                     sk_prefix="POINT#", limit=limit, cursor=cursor))

    def territory_groups_page(self, code: str, limit: int, cursor: str | None) -> Page:
        return self._entity_page(ReferentGroup, Query(partition=f"TERR#{code}", index=keys.GSI1,
                                                      sk_prefix="GROUP#", limit=limit, cursor=cursor))

    def users_page(self, limit: int, cursor: str | None) -> Page:
        """Every user, by role then id (users imported before this listing existed appear once
        their file is imported again)."""
        items, last = self._query(Query(partition="USERS", index=keys.GSI1, limit=limit, cursor=cursor))
        # GSI1 does not project a user's fields: the page's users are read by key (BatchGetItem).
        ids = [item["PK"]["S"].removeprefix("USER#") for item in items]
        found = self.get_users(ids) if ids else {}
        return Page([found[i] for i in ids if i in found], encode_cursor(last))

    def _entity_page(self, model, query: Query) -> Page:
        items, last = self._query(query)
        return Page([from_item(model, item) for item in items], encode_cursor(last))
