"""Items of the single table: models to and from attributes, plain items, keys and cursors."""
from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from pydantic import BaseModel

from ...domain.errors import InvalidInput

M = TypeVar("M", bound=BaseModel)
KEY_ATTRIBUTES = ("PK", "SK", "GSI1PK", "GSI1SK", "GSI2PK", "GSI2SK", "GSI3PK", "GSI3SK", "type",
                  "expires_at")
_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


def encode_key(key: Mapping[str, str]) -> dict[str, Any]:
    """The table key of an item (its PK and SK), as DynamoDB reads it."""
    return {"PK": {"S": key["PK"]}, "SK": {"S": key["SK"]}}


def decode_key(item: Mapping[str, Any]) -> dict[str, str]:
    """The table key of a stored item, as the key builders (keys.py) write it."""
    return {"PK": item["PK"]["S"], "SK": item["SK"]["S"]}


def to_item(model: BaseModel, key: dict[str, str], **extra: Any) -> dict[str, Any]:
    if getattr(model, "_partial", False):
        raise ValueError(f"a {type(model).__name__} read from an index has no long texts: it is never saved")
    # Empty maps and lists are left out: smaller items, and stream readers (botocore's
    # parser among them) do not all read an empty "M" back the same way.
    data = {name: value for name, value in model.model_dump(mode="json", exclude_none=True).items()
            if value not in ({}, [])}
    data.update(key)
    data["type"] = type(model).__name__
    data.update(extra)
    return {name: _serializer.serialize(value) for name, value in data.items()}


# Attributes written for an index only, derived from the model: never read back into it.
QUESTION_PREVIEW = "question_preview"        # an escalation's question as its list shows it (GSI2)
PREVIEW_CHARACTERS = 140
DERIVED_ATTRIBUTES = (QUESTION_PREVIEW,)
# What GSI1 and GSI2 leave out (infra/table.json, INCLUDE): the long texts, which only the case's
# own page shows. A list row read from the index stands for them with what it has.
NOT_PROJECTED = {"Case": ("description",), "Escalation": ("question",)}
PARTIAL_TEXT = "…"


def _fields(item: dict[str, Any]) -> dict[str, Any]:
    return {name: _deserializer.deserialize(value) for name, value in item.items()
            if name not in KEY_ATTRIBUTES and name not in DERIVED_ATTRIBUTES}


def from_item(model: type[M], item: dict[str, Any]) -> M:
    return model.model_validate(_fields(item))


def from_index(model: type[M], item: dict[str, Any]) -> M:
    """A list's row, read from GSI1 or GSI2, which project neither a case's description nor an
    escalation's question (their own items have them): the escalation's question is its preview,
    the case's description a placeholder. The model is marked partial: to_item refuses it."""
    data = _fields(item)
    for name in NOT_PROJECTED.get(model.__name__, ()):
        data.setdefault(name, item.get(QUESTION_PREVIEW, {}).get("S") or PARTIAL_TEXT)
    found = model.model_validate(data)
    found._partial = True
    return found


def question_preview(question: str) -> str:
    return question if len(question) <= PREVIEW_CHARACTERS else question[:PREVIEW_CHARACTERS - 1].rstrip() + "…"


def from_image(model: type[M], image: dict[str, Any]) -> M:
    """A model from a stream record's image (already plain values, as Powertools gives it)."""
    return model.model_validate({name: value for name, value in image.items()
                                 if name not in KEY_ATTRIBUTES})


def plain_item(key: dict[str, str], kind: str, **attributes: Any) -> dict[str, Any]:
    """An item that is no model (an index entry, a mark): its key, its type and these attributes."""
    data = {**key, "type": kind, **{k: v for k, v in attributes.items() if v is not None}}
    return {name: _serializer.serialize(value) for name, value in data.items()}


def item_type(item: dict[str, Any]) -> str | None:
    return item.get("type", {}).get("S")


def encode_cursor(last_key: dict[str, Any] | None) -> str | None:
    if not last_key:
        return None
    plain = {name: value["S"] for name, value in last_key.items()}
    return base64.urlsafe_b64encode(json.dumps(plain).encode()).decode()


def decode_cursor(cursor: str | None, key_names: tuple[str, ...], partition: tuple[str, str],
                  sort_prefix: tuple[str, str] | None = None) -> dict[str, Any] | None:
    """The start key a cursor stands for, only if it is one this very query could have made."""
    if not cursor:
        return None
    try:
        plain = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        if (not isinstance(plain, dict) or set(plain) != set(key_names)
                or not all(isinstance(v, str) and v for v in plain.values())
                or plain[partition[0]] != partition[1]
                or (sort_prefix and not plain[sort_prefix[0]].startswith(sort_prefix[1]))):
            raise ValueError
    except (ValueError, UnicodeError, RecursionError) as exc:
        raise InvalidInput("Ce curseur de pagination n'est pas valide.", field="cursor") from exc
    return {name: {"S": value} for name, value in plain.items()}


@dataclass
class Page:
    items: list
    cursor: str | None
