import random

import pytest

from chalicelib.domain.references import ALPHABET, new_reference, normalize_reference


def test_alphabet_has_nothing_to_mishear():
    for ambiguous in "0O1IL":
        assert ambiguous not in ALPHABET


def test_reference_carries_the_departement_and_reads_in_groups_of_three():
    ref = new_reference("61")
    departement, first, second = ref.split("-")
    assert departement == "61" and len(first) == len(second) == 3
    assert set(first + second) <= set(ALPHABET)


def test_draws_are_spread_out():
    rng = random.Random(42)
    refs = {new_reference("62", rng.randrange) for _ in range(5000)}
    assert len(refs) == 5000


@pytest.mark.parametrize("typed, expected", [
    ("61-K7M-4QX", "61-K7M-4QX"),
    ("61 k7m 4qx", "61-K7M-4QX"),
    ("61K7M4QX", "61-K7M-4QX"),
    ("2A-K7M-4QX", "2A-K7M-4QX"),
    ("974-ABC-DEF", "974-ABC-DEF"),
    ("61-K7M-4Q0", None),   # 0 is not in the alphabet
    ("61-K7M", None),
    ("", None),
    ("../etc/passwd", None),
])
def test_normalize_what_people_type(typed, expected):
    assert normalize_reference(typed) == expected


@pytest.mark.parametrize("typed, body", [
    ("K7M-4QX", "K7M-4QX"), ("k7m 4qx", "K7M-4QX"), ("k7m4qx", "K7M-4QX"),
    ("61-K7M-4QX", None), ("K7M-4Q", None), ("MARTIN", None), ("K7M-4QX1", None), ("", None),
])
def test_a_reference_may_be_typed_without_its_departement(typed, body):
    from chalicelib.domain.references import reference_body

    assert reference_body(typed) == body


def test_what_was_typed_refers_to_a_reference_whole_or_without_its_departement():
    from chalicelib.domain.references import refers_to

    assert refers_to("61 k7m 4qx", "61-K7M-4QX") and refers_to("k7m4qx", "61-K7M-4QX")
    assert not refers_to("K7M-4QY", "61-K7M-4QX") and not refers_to("martin", "61-K7M-4QX")
