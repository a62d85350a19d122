"""Reply extraction (issue 24): the reply corpus, and each rule of how extraction decides."""
from __future__ import annotations

import pytest

from chalicelib.adapters import mailparse, replies
from devtools import score_replies
from tests.corpus import replies_corpus as corpus

ENTRIES = corpus.entries()


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda e: e["file"])
def test_every_reply_shows_its_answer_in_order_and_nothing_of_the_history(entry):
    parsed = mailparse.parse(corpus.raw(entry))
    assert score_replies.verdict(entry, parsed.text) == "ok", parsed.text
    if "review" in entry:
        assert parsed.review is entry["review"]


def test_no_message_of_either_corpus_loses_its_answer():
    results = score_replies.score({"relais": score_replies.relais})["relais"]
    lost = {klass: verdicts["lost"] for klass, verdicts in results.items() if verdicts.get("lost")}
    assert lost == {}
    assert sum(len(files) for verdicts in results.values() for files in verdicts.values()) >= 49 + 60


QUOTE = "> Bonjour,\n> Question de l'agent : le RSA est bloqué ?\n"
HEADER = "Le jeu. 26 nov. 2026 à 10:12, Relais SP+ <ne-pas-repondre@relais.example.org> a écrit :\n"


def test_an_answer_written_below_the_quote_is_kept():
    result = replies.extract(f"{HEADER}{QUOTE}\nLe versement part ce soir.\n")
    assert result.text == "Le versement part ce soir." and not result.review


def test_inline_answers_keep_the_quoted_line_they_answer():
    text = "> Le dossier est-il complet ?\nOui, depuis hier.\n\n> Quand sera-t-il payé ?\nLe 5 décembre.\n"
    result = replies.extract(text)
    assert result.text.index("Oui, depuis hier.") < result.text.index("> Quand sera-t-il payé ?") \
        < result.text.index("Le 5 décembre.")


def test_a_greeting_alone_is_not_trusted_the_message_is_kept_folded_for_review():
    result = replies.extract(f"Bonjour,\n\n{HEADER}{QUOTE}")
    assert result.review and result.why == "greeting"
    assert result.text == f"Bonjour,\n\n{replies.FOLD}"


def test_relais_own_text_outside_any_known_quote_is_cut_and_sent_for_review():
    text = ("Le dossier est réglé.\n\nXyz 26.11.2026 10:12 Relais SP+ <ne-pas-repondre@relais.example.org> zzz:\n"
            "Bonjour,\nRépondez simplement à cet e-mail : votre réponse sera ajoutée au dossier.\n")
    result = replies.extract(text)
    assert result.review and result.why == "unrecognised_history"
    assert result.text.startswith("Le dossier est réglé.") and "Répondez simplement" not in result.text


def test_nothing_but_quotes_is_an_empty_extraction_never_a_guess():
    assert replies.extract(f"{HEADER}{QUOTE}").text == ""
    assert mailparse.parse(b"Content-Type: text/plain; charset=utf-8\r\n\r\n" + f"{HEADER}{QUOTE}".encode()).review


@pytest.mark.parametrize("line", [
    ">>> http://www.caf.fr/allocataires <<<",
    ">> Important <<",
])
def test_decorated_lines_are_not_quotes(line):
    result = replies.extract(f"Bonjour,\n{line}\nLe formulaire est en ligne.\n")
    assert line in result.text and "Le formulaire est en ligne." in result.text


@pytest.mark.parametrize("prose", [
    "Le 20 novembre, l'employeur nous a écrit :",
    "De : notre côté, le dossier est complet.",
    "Le 12 mars, la CAF a écrit à l'usager :",
])
def test_prose_that_looks_like_a_header_is_kept(prose):
    result = replies.extract(f"Bonjour,\n\n{prose}\nle dossier est complet depuis lundi.\n")
    assert prose in result.text and "depuis lundi" in result.text


def test_a_signature_is_cut_but_a_sentence_after_a_sign_off_is_answer():
    signed = replies.extract("C'est réglé.\n\nCordialement,\nKarim Benali\nCAF de l'Orne\nTél. 02 33 00 00 00\n")
    assert signed.text == "C'est réglé."
    written = replies.extract("C'est réglé.\n\nCordialement,\nKarim\n\nPS : le rappel de 236 € sera versé le 5 décembre "
                              "avec l'échéance normale, l'usager n'a rien à faire.\n")
    assert "le rappel de 236 €" in written.text


def test_a_forward_subject_makes_outlooks_header_block_open_forwarded_content():
    body = ("Voir ci-dessous.\n\nDe : Pôle famille <famille@example.org>\nEnvoyé : vendredi 27 novembre 2026 09:12\n"
            "À : Paul <paul@example.org>\nObjet : RE: dossier\n\nLa prime sera versée le 8 décembre.\n")
    forwarded = replies.extract(body, subject="TR: RE: dossier")
    assert "La prime sera versée le 8 décembre." in forwarded.text and replies.FORWARD_MARK in forwarded.text
    replied = replies.extract(body, subject="RE: TR: dossier")
    assert "La prime" not in replied.text


def test_a_new_language_is_one_row_of_the_table(monkeypatch):
    from chalicelib.adapters import reply_patterns

    text = "Tout est réglé.\n\nKlingon 26.11.2026 10:12 Relais <r@example.org> ghItlh:\n> Bonjour\n"
    assert "ghItlh" in replies.extract(text).text
    monkeypatch.setitem(reply_patterns.ATTRIBUTION_VERBS, "tlh", ("ghItlh",))
    replies.patterns.cache_clear()
    try:
        assert replies.extract(text).text == "Tout est réglé."
    finally:
        replies.patterns.cache_clear()


def test_a_mobile_footer_is_cut_but_a_sentence_that_starts_like_one_is_kept():
    assert replies.extract("C'est fait.\n\nEnvoyé de mon iPhone\n").text == "C'est fait."
    assert replies.extract("C'est fait.\n\nVon meinem iPhone gesendet\n").text == "C'est fait."
    kept = "Sent from my desk, it is much easier than from my mobile phone."
    assert kept in replies.extract(f"Here is the answer.\n\n{kept}\n").text


def test_a_sign_off_followed_by_answer_lines_is_not_a_signature():
    text = "Merci\nle dossier est complet, versement de 236 € le 5/12\n"
    assert "236 €" in replies.extract(text).text


def test_an_attribution_shaped_sentence_followed_by_the_authors_text_is_kept():
    text = "Voici ce que la CAF a envoyé le 12/11/2026 :\nune notification de droits à 298 € par mois.\n"
    result = replies.extract(text)
    assert "298 € par mois" in result.text and not result.review


def test_a_huge_body_is_read_up_to_a_bound_and_sent_for_review():
    text = "Le versement part ce soir.\n\n" + "> historique\n" * (replies.MAX_READ // 10)
    result = replies.extract(text)
    assert result.review and result.why == "too_long" and result.text.startswith("Le versement part ce soir.")


@pytest.mark.parametrize("attribution", [
    "Jean Dupont/CAF61/FR@CNAF a écrit sur 24/11/2026 10:12:18 :",      # Lotus Notes, French
    "John Smith wrote on 11/24/2026 10:12:18 AM:",                     # the verb, then the date
    "24.11.2026 10:12, Relais SP+ пишет:",                              # Russian webmail
])
def test_attributions_with_the_verb_before_the_date_are_headers(attribution):
    text = f"Réglé.\n\n{attribution}\n\n> Bonjour,\n> Question de l'agent : RSA bloqué ?\n"
    assert replies.extract(text).text == "Réglé."


def test_every_inline_answer_follows_the_question_it_answers():
    text = "Bonjour,\n\n> Question 1 ?\n\nRéponse 1.\n\n> Question 2 ?\n\nRéponse 2.\n\nCordialement,\nMarie\n"
    assert replies.extract(text).text == "Bonjour,\n\n> Question 1 ?\n\nRéponse 1.\n\n> Question 2 ?\n\nRéponse 2."
