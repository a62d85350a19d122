"""The benchmarks' own arithmetic: item sizes as DynamoDB counts them, the write floor, what AWS
bills for a transaction's item, and the report's table of goals."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

import harness  # noqa: E402
import report  # noqa: E402


def test_item_sizes_are_counted_as_dynamodb_counts_them():
    # Names and values in UTF-8 bytes; a number: about one byte per two digits, plus one.
    assert harness.item_size({"PK": {"S": "CASE#1"}}) == 2 + 6
    assert harness.item_size({"é": {"S": "ü"}}) == 2 + 2
    assert harness.item_size({"n": {"N": "12345"}}) == 1 + 4
    assert harness.item_size({"n": {"N": "1795444000"}}) == 1 + 5           # trailing zeros trimmed: 1795444
    assert harness.item_size({"b": {"BOOL": True}, "z": {"NULL": True}}) == 2 + 2
    assert harness.item_size({"m": {"M": {"a": {"S": "xy"}}}}) == 1 + 3 + (1 + 2 + 1)
    assert harness.item_size({"l": {"L": [{"S": "x"}, {"N": "7"}]}}) == 1 + 3 + (1 + 1) + (2 + 1)


def test_the_floor_rounds_each_item_up_to_a_kilobyte():
    assert harness.kilobytes({"PK": {"S": "x"}}) == 1
    assert harness.kilobytes({"PK": {"S": "x" * 1022}}) == 1            # 2 + 1,022 bytes
    assert harness.kilobytes({"PK": {"S": "x" * 1023}}) == 2
    assert harness.kilobytes(None) == 1


def test_a_transaction_item_is_billed_with_its_index_copies():
    plain = {"PK": {"S": "CASE#1"}, "SK": {"S": "CASE"}}
    in_gsi1 = {**plain, "GSI1PK": {"S": "POINT#1"}, "GSI1SK": {"S": "open#1"}}
    assert harness.standalone_units(plain) == 1
    assert harness.standalone_units(in_gsi1) == 2                      # GSI1 projects the whole item


GSI1 = ("GSI1PK", "GSI1SK")


@pytest.mark.parametrize("projected, units", [
    pytest.param(None, 3 + 3, id="ALL"),                                  # a copy of the 3 KB item
    pytest.param(frozenset(("PK", "SK", *GSI1)), 3 + 1, id="KEYS_ONLY"),  # the keys only
    pytest.param(frozenset(("PK", "SK", *GSI1, "status")), 3 + 1, id="INCLUDE"),   # not the long text
])
def test_an_index_copy_is_billed_as_its_projection(projected, units, monkeypatch):
    monkeypatch.setattr(harness, "INDEXES", [(GSI1, projected)])
    big = {"PK": {"S": "CASE#1"}, "SK": {"S": "CASE"}, **{name: {"S": "k"} for name in GSI1},
           "status": {"S": "open"}, "text": {"S": "x" * 3000}}
    assert harness.standalone_units(big) == units


def test_the_table_projects_the_lists_attributes_but_not_the_long_texts():
    """GSI1 and GSI2 (infra/table.json) hold every attribute their lists read, never a case's
    description nor an escalation's question; GSI3 holds the keys only."""
    from chalicelib.adapters.dynamo.items import NOT_PROJECTED, QUESTION_PREVIEW
    from chalicelib.domain import models

    listed = {"GSI1": [models.Territory, models.ContactPoint, models.ReferentGroup, models.Organisation,
                       models.Case, models.Feedback], "GSI2": [models.Escalation]}
    indexes = dict(zip(("GSI1", "GSI2", "GSI3"), harness.INDEXES, strict=True))
    for name, read in listed.items():
        _, projected = indexes[name]
        assert projected is not None and "type" in projected
        for model in read:
            left_out = set(NOT_PROJECTED.get(model.__name__, ()))
            assert set(model.model_fields) - left_out <= projected, (name, model.__name__)
            assert not left_out & projected
    assert QUESTION_PREVIEW in indexes["GSI2"][1]
    assert indexes["GSI3"][1] == frozenset(("PK", "SK", "GSI3PK", "GSI3SK"))


def test_a_write_is_billed_on_the_larger_image_and_an_index_key_change_twice(monkeypatch):
    monkeypatch.setattr(harness, "INDEXES", [(GSI1, None)])
    old = {"PK": {"S": "CASE#1"}, "SK": {"S": "CASE"}, "GSI1PK": {"S": "POINT#1"}, "GSI1SK": {"S": "open#1"},
           "text": {"S": "x" * 1500}}
    moved = {**old, "GSI1SK": {"S": "closed#1"}, "text": {"S": "x"}}
    same_key = {**old, "text": {"S": "x"}}
    assert harness.billed_units(old, same_key) == 2 + 2                 # the larger image: 2 KB, in the table and GSI1
    assert harness.billed_units(old, moved) == 2 + (2 + 1)              # GSI1: the old entry deleted, the new put
    left = {k: v for k, v in moved.items() if not k.startswith("GSI1")}
    assert harness.billed_units(old, left) == 2 + 2                     # leaving an index is a write too
    assert harness.billed_units(old, None) == 2 + 2                     # a delete
    # In a transaction the table's write is billed twice (prepare, commit); the index copy,
    # propagated after the commit, once.
    assert harness.billed_units(old, moved, table_factor=2) == 2 * 2 + (2 + 1)
    # An index that projects neither the text nor anything else changed is not written at all.
    monkeypatch.setattr(harness, "INDEXES", [(GSI1, frozenset(("PK", "SK", *GSI1)))])
    assert harness.billed_units(old, same_key) == 2


@pytest.mark.instant("2026-11-24T10:00:00+01:00")     # the report is dated
def test_the_report_puts_every_goal_in_its_table_and_says_which_are_missed():
    sections = {"request": {"figures": [harness.figure("overhead", "12 %", "<= 30 %", True)], "notes": []},
                "lifecycle": {"figures": [harness.figure("writes / floor", "1.9x", "<= 1.5x", False),
                                          harness.figure("reads", "25")], "notes": ["a note"]}}
    text = report.render(sections)
    assert "| Request overhead: overhead | 12 % | <= 30 % | met |" in text
    assert "| Capacity units per case lifecycle: writes / floor | 1.9x | <= 1.5x | **missed** |" in text
    assert "- reads: 25" in text and "How the writes stay near the floor" in text
