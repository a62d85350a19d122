"""The reply corpus is well formed: every class is covered and every fragment can be checked."""
from __future__ import annotations

import pytest

from tests.corpus import replies_corpus as corpus

ENTRIES = corpus.entries()
KEYS = {"file", "class", "client", "language", "description", "contains", "excludes"}


def test_the_corpus_covers_every_class_and_names_every_file():
    assert {e["class"] for e in ENTRIES} == set(corpus.CLASSES)
    assert {p.name for p in corpus.FOLDER.glob("*.eml")} == {e["file"] for e in ENTRIES}
    assert len({e["file"] for e in ENTRIES}) == len(ENTRIES)


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda e: e["file"])
def test_each_fragment_is_in_the_message(entry):
    assert KEYS <= set(entry), KEYS - set(entry)
    assert entry["contains"], "an entry names the text that must show"
    body = corpus.decoded_parts(entry)
    for fragment in entry["contains"] + entry["excludes"]:
        assert corpus.squeeze(fragment) in body, fragment
