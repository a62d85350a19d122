"""The name keys a case is found by: both orders, and the later parts of a compound last name."""
from chalicelib.domain.search import name_keys, query_prefix


def test_a_compound_last_name_is_found_by_its_second_half_in_both_orders():
    keys = name_keys("Jeanne", "Dupré-Lefèvre")
    for typed in ("Lefèvre", "LEFEVRE", "lefèvre jea", "Jeanne Lefèvre", "Dupré Lefèvre", "jeanne dupre"):
        assert any(key.startswith(query_prefix(typed)) for key in keys), typed


def test_a_plain_name_keeps_its_two_keys_and_a_long_one_stays_bounded():
    assert name_keys("Jean", "Martin") == ["jean martin", "martin jean"]
    assert len(name_keys("Anne", "de la Fontaine du Bois Joli")) == 2 + 2 * 3
