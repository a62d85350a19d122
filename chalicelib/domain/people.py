"""How people are named to each other: from the directory, never made up from an address."""
from __future__ import annotations

from .models import User


def name_from_email(email: str) -> str:
    """What an import calls someone the directory gives no name for (« Referent 61 Caf »)."""
    local = email.split("@")[0].replace(".", " ").replace("_", " ").replace("-", " ")
    return " ".join(part.capitalize() for part in local.split()) or email


def referent_label(user: User | None, group_name: str) -> str:
    """« Marie Durand, CAF de l'Orne »; the group alone when the directory has no name for the
    person (their name would only be their address, spelled as words)."""
    if user is None or user.display_name == name_from_email(user.email):
        return group_name
    return f"{user.display_name}, {group_name}"
