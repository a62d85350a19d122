"""Who sees which contact fields: one policy for every view, page and export.

People write to each other through Relais, never to a person's mailbox or phone:
- a referent group's addresses (its members', its shared mailbox): admins only, who keep the
  directory;
- a referent group's manager's address: admins, and coordinators, who call on the manager of a
  late group (the territory page's late escalations);
- a contact point's phone and address: every signed-in user (they are the public desk's);
- the usager's phone and email, and every identifier collected: the agents of the case's
  point, the usager's one interlocutor;
- a referent sees a case only through their own groups on it: those escalations and their
  threads, the usager's name, and the identifiers given to those groups; never the agent's
  notes, another partner's thread, or the usager's phone and email.
A user's own address is shown only to themselves (/api/me); messages name their author by name.
The admin's right-of-access export (services/export.py) is the usager's whole record, by law.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from .models import ContactPoint, ReferentGroup, Role


class Contact(StrEnum):
    GROUP_ADDRESSES = "group_addresses"      # member_emails, shared_mailbox
    MANAGER_CONTACT = "manager_contact"      # manager_email: whom a coordinator calls on when late
    POINT_CONTACT = "point_contact"          # a contact point's phone and address
    USAGER_CONTACT = "usager_contact"        # the usager's phone and email
    WHOLE_CASE = "whole_case"                # every escalation, thread and identifier of a case


SEEN_BY: dict[Role, frozenset[Contact]] = {
    Role.AGENT: frozenset({Contact.POINT_CONTACT, Contact.USAGER_CONTACT, Contact.WHOLE_CASE}),
    Role.REFERENT: frozenset({Contact.POINT_CONTACT}),
    Role.COORDINATOR: frozenset({Contact.POINT_CONTACT, Contact.MANAGER_CONTACT}),
    Role.ADMIN: frozenset({Contact.POINT_CONTACT, Contact.GROUP_ADDRESSES, Contact.MANAGER_CONTACT}),
    Role.USAGER: frozenset(),                # never signs in
    Role.RESPONDER: frozenset({Contact.POINT_CONTACT}),      # answers experiences: no case
    Role.MODERATOR: frozenset({Contact.POINT_CONTACT}),      # moderates experiences: no case
}

# The policy above as the agent reads it on the new case form, before escalating: what the
# partner's referents get of a case (views.case_view for a referent, the escalation email).
PARTNER_SEES = (
    "le prénom et le nom de l'usager, et sa situation",
    "la demande et votre question",
    "les identifiants que vous transmettez à cet organisme",
    "les messages et documents que vous lui adressez, avec votre nom",
    "le nom, l'adresse et le téléphone du point de contact",
)
PARTNER_NEVER_SEES = (
    "le téléphone et l'adresse e-mail de l'usager",
    "les notes du dossier",
    "les échanges, documents et identifiants destinés aux autres organismes",
)

GROUP_ADDRESSES = ("member_emails", "shared_mailbox")
MANAGER_CONTACT = ("manager_email",)
POINT_CONTACT = ("phone", "address")


def sees(role: Role, contact: Contact) -> bool:
    return contact in SEEN_BY[role]


def group_as_seen_by(role: Role, group: ReferentGroup) -> ReferentGroup:
    """Everybody sees a group's name, organisation, territory and answer time; its addresses
    as the policy says."""
    hidden: dict = {}
    if not sees(role, Contact.GROUP_ADDRESSES):
        hidden |= {"member_emails": [], "shared_mailbox": None}
    if not sees(role, Contact.MANAGER_CONTACT):
        hidden |= dict.fromkeys(MANAGER_CONTACT)
    return group.model_copy(update=hidden) if hidden else group


def point_as_seen_by(role: Role, point: ContactPoint) -> ContactPoint:
    if sees(role, Contact.POINT_CONTACT):
        return point
    return point.model_copy(update=dict.fromkeys(POINT_CONTACT))


@dataclass(frozen=True)
class Audience:
    """Who a case is shown to: an agent of its point, or a referent through their groups on it
    (authz.referent_groups_on_case)."""
    role: Role
    group_ids: frozenset[str] = frozenset()

    @classmethod
    def agent(cls) -> Audience:
        return cls(Role.AGENT)

    @classmethod
    def referent(cls, group_ids: Iterable[str]) -> Audience:
        return cls(Role.REFERENT, frozenset(group_ids))

    @property
    def whole_case(self) -> bool:
        return sees(self.role, Contact.WHOLE_CASE)

    @property
    def sees_usager_contact(self) -> bool:
        return sees(self.role, Contact.USAGER_CONTACT)

    def sees_thread(self, group_id: str | None) -> bool:
        """An escalation or a message of that group (None: the agent's own notes)."""
        return self.whole_case or group_id in self.group_ids
