"""Where people are: the time zone and the holiday calendar of a territory, or of a phone number.

Deadlines are counted in Paris business days for everyone (the partners' offices count that
way), but each person reads times in their own zone and is never texted during their own night:
an agent in Fort-de-France reads Martinique time, and a usager in La Réunion is not texted at
22:30 because it is 19:30 in Paris.

An overseas phone number says where its owner lives (a 0696 line is in Martinique), so the
usager's place comes from the number's prefix when `phonenumbers` can tell. A metropolitan
number (06, 07) is kept when its owner moves overseas and says nothing: the usager's place is
then the contact point's territory.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from zoneinfo import ZoneInfo

PARIS_ZONE = "Europe/Paris"

# Territory code (INSEE) -> IANA zone, for every territory outside Europe/Paris: the five
# overseas départements, and the overseas collectivités where France Services points exist or
# may open (their codes are those of the INSEE's overseas list).
TERRITORY_ZONES: dict[str, str] = {
    "971": "America/Guadeloupe",
    "972": "America/Martinique",
    "973": "America/Cayenne",
    "974": "Indian/Reunion",
    "975": "America/Miquelon",
    "976": "Indian/Mayotte",
    "977": "America/St_Barthelemy",
    "978": "America/Marigot",
    "986": "Pacific/Wallis",
    "987": "Pacific/Tahiti",
    "988": "Pacific/Noumea",
}

# The region `phonenumbers` gives an overseas number -> its territory code.
REGION_TERRITORIES: dict[str, str] = {
    "GP": "971", "MQ": "972", "GF": "973", "RE": "974", "PM": "975", "YT": "976",
    "BL": "977", "MF": "978", "WF": "986", "PF": "987", "NC": "988",
}

# The names a French sentence gives them: "heure de la Martinique".
ZONE_NAMES: dict[str, str] = {
    "971": "de la Guadeloupe", "972": "de la Martinique", "973": "de Guyane",
    "974": "de La Réunion", "975": "de Saint-Pierre-et-Miquelon", "976": "de Mayotte",
    "977": "de Saint-Barthélemy", "978": "de Saint-Martin", "986": "de Wallis-et-Futuna",
    "987": "de Polynésie française", "988": "de Nouvelle-Calédonie",
}


@dataclass(frozen=True)
class Place:
    """A zone to read the clock in, and the territory whose public holidays apply there."""

    zone: ZoneInfo
    territory_code: str | None

    @property
    def is_paris(self) -> bool:
        return self.zone.key == PARIS_ZONE


@lru_cache(maxsize=64)
def zone_of(territory_code: str | None) -> ZoneInfo:
    """The zone of a territory: Paris for every metropolitan département (and for none)."""
    return ZoneInfo(TERRITORY_ZONES.get((territory_code or "").upper(), PARIS_ZONE))


def of_territory(territory_code: str | None) -> Place:
    return Place(zone_of(territory_code), territory_code)


@lru_cache(maxsize=4096)
def territory_of_phone(phone: str | None) -> str | None:
    """The overseas territory an E.164 number belongs to, or None (metropolitan, foreign, or
    unreadable): `phonenumbers` knows each overseas prefix (0690 Guadeloupe, 0696 Martinique,
    0692/0693 La Réunion, 0639 Mayotte...)."""
    if not phone:
        return None
    import phonenumbers

    try:
        number = phonenumbers.parse(phone, "FR")
    except phonenumbers.NumberParseException:
        return None
    return REGION_TERRITORIES.get(phonenumbers.region_code_for_number(number) or "")


# Saint-Barthélemy and Saint-Martin share Guadeloupe's numbering plan (+590 690...): the same
# clock, but their own holidays, which the point's territory then tells.
_SHARED_NUMBERING = {"971": {"977", "978"}}


def of_usager(phone: str | None, point_territory: str | None) -> Place:
    """Where a usager is, for quiet hours: the number's overseas territory when it has one,
    else the contact point's territory."""
    territory = territory_of_phone(phone)
    if territory is None or point_territory in _SHARED_NUMBERING.get(territory, ()):
        territory = point_territory
    return of_territory(territory)


def label(territory_code: str | None) -> str:
    """'heure de la Martinique', or '' in Paris time, where nobody needs to be told."""
    name = ZONE_NAMES.get((territory_code or "").upper())
    return f"heure {name}" if name else ""
