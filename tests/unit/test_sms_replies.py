"""SMS replies as usagers write them: STOP in a sentence, a mark written any usual way, OUI.

Each table holds what the old reading (the whole text, accents and trailing « .! » taken off,
compared with a set of six words or with "1".."5" and "oui") got wrong, and what it must keep
getting right."""
import pytest

from chalicelib.domain import sms
from chalicelib.domain.sms_replies import read

OPT_OUTS = [
    "STOP",
    "stop",
    "Stop.",
    "stop svp",
    "STOP SMS",
    "Stop merci",
    "« STOP »",
    '"stop"',
    "Stop!!!",
    "Stooooop",
    "STOP 🙏",
    "Bonjour, stop svp",
    "stop-sms",
    "STOPP",
    "Stopper les sms",
    "Arrêt",
    "ARRET",
    "arret svp",
    "Arrêt des SMS merci",
    "Arrêt immédiat",
    "arrêtez les sms",
    "Arrêtez de m'envoyer des messages",
    "Désabonner",
    "DESABONNER",
    "je veux me désabonner",
    "Désinscription",
    "unsubscribe",
    "opt-out",
    "Fin",
    "END",
    "ne plus recevoir",
    "Je ne veux plus de SMS",
    "Plus de sms svp",
    "pas de sms merci",
    "Merci de ne plus m'envoyer de messages",
    "Ne m'envoyez plus rien",
    "Pouvez-vous ne plus m'envoyer de SMS ?",
    "le stop de ma demande?",       # a keyword anywhere is an opt-out; the agent reads the rest
]

NOT_OPT_OUTS = [
    "Bonjour",
    "4",
    "Oui",
    "Je passe demain matin avec mes papiers",
    "J'ai envoyé mon arrêt de travail",
    "mon arrêt maladie est fini",
    "Je suis en arrêt depuis lundi",
    "L'arrêt de bus est loin",
    "arrêt de mes droits depuis mars ?",
    "J'ai dû arrêter de travailler",
    "Je veux arrêter ma demande",
    "je passe ce week-end",
    "à la fin du mois",
    "Je ne reçois plus de SMS",
    "je n'ai pas reçu de SMS",
    "Vous ne m'envoyez plus de sms ?",
    "Je ne vais plus recevoir le RSA ?",
    "Pouvez-vous annuler mon rendez-vous",
]


@pytest.mark.parametrize("text", OPT_OUTS)
def test_an_opt_out_is_recognised_the_way_operators_do(text):
    assert read(text).opt_out


@pytest.mark.parametrize("text", NOT_OPT_OUTS)
def test_ordinary_words_are_not_an_opt_out(text):
    assert not read(text).opt_out


@pytest.mark.parametrize("text, more", [
    ("stop svp", False),
    ("STOP je ne veux plus de vos SMS merci", False),
    ("le stop de ma demande?", True),
    ("Stop. Appelez-moi plutôt au 06 12 34 56 78", True),
])
def test_an_opt_out_with_more_to_say_also_reaches_the_agent(text, more):
    assert read(text).more_than_opt_out is more


MARKS = [
    ("5", 5),
    (" 4 ", 4),
    ("1", 1),
    ("5/5", 5),
    ("4 / 5", 4),
    ("3 sur 5", 3),
    ("Quatre sur cinq", 4),
    ("cinq", 5),
    ("Cinq !", 5),
    ("Un", 1),
    ("4 merci", 4),
    ("note 3", 3),
    ("Note : 4", 4),
    ("je mets 5", 5),
    ("Je vous mets 5 étoiles", 5),
    ("c'est un 5", 5),
    ("5 !!", 5),
    ("5.", 5),
    ("4/5 très bien", 4),
    ("2/5 trop long", 2),
    ("Très satisfaite, je mets 5", 5),
    ("pas satisfait 1", 1),
    ("5 tout à fait", 5),
    ("⭐⭐⭐⭐", 4),
    ("⭐️⭐️⭐️⭐️⭐️", 5),
    ("★★★★☆", 4),
    ("5 ⭐", 5),
    ("4️⃣", 4),
    ("５", 5),
    ("4 😊", 4),
    ("5 sur 5 merci beaucoup", 5),
    ("4 merci beaucoup pour votre aide", 4),
    ("5. La dame était très gentille", 5),
    ("Merci pour tout. 5/5", 5),
]

NO_MARKS = [
    "3 ou 4",                       # ambiguous: the agent reads it
    "3-4",
    "2 et 5",
    "4,5",
    "3/4",
    "4 ⭐⭐",
    "trois ou quatre",
    "j'ai 2 enfants",
    "2 enfants",
    "rappelez moi au 06 12 34 56 78",
    "mon dossier 61-2026-00012",
    "10",
    "0",
    "0/5",
    "8/10",
    "🔟",
    "le 3 mars",
    "rdv à 14h30",
    "4h",
    "500 €",
    "5 euros",
    "il y a 3 jours",
    "5 ans que j'attends",
    "1 question svp",
    "Un grand merci",
    "5/5 mais j'ai 2 enfants",
    "Bonjour",
    "oui",
]


@pytest.mark.parametrize("text, mark", MARKS)
def test_a_mark_is_read_as_people_write_it(text, mark):
    assert read(text).mark == mark


@pytest.mark.parametrize("text", NO_MARKS)
def test_no_mark_from_an_ambiguous_text_or_one_about_something_else(text):
    assert read(text).mark is None


@pytest.mark.parametrize("text, more", [
    ("5/5", False),
    ("4/5 très bien", False),
    ("Très satisfaite, je mets 5", False),
    ("5 sur 5 merci beaucoup", False),
    ("4 merci beaucoup pour votre aide", True),
    ("5. La dame était très gentille", True),
    ("2/5 trop long", True),
])
def test_a_mark_with_more_to_say_also_reaches_the_agent(text, more):
    assert read(text).more_than_mark is more


@pytest.mark.parametrize("text, yes", [
    ("oui", True),
    ("Oui !", True),
    ("OUI merci", True),
    ("ok oui", True),
    ("Ouiii", True),
    ("oui je confirme", True),
    ("d'accord", True),
    ("Oui je suis d'accord", True),
    ("oui bien sûr merci", True),
    ("Oui 👍", True),
    ("oui mais c'est pour quoi ?", False),      # a question: the agent answers it
    ("Oui ?", False),
    ("non", False),
    ("pas d'accord", False),
    ("oui et non", False),
    ("ok", False),                              # the SMS asks for OUI; « ok » acknowledges
])
def test_oui_as_people_write_it(text, yes):
    assert read(text).yes is yes


def test_the_opt_out_confirmation_is_one_gsm7_segment_naming_the_case_and_the_point():
    text = sms.render("opted_out", ref="61-2026-00012", point="Mairie de Bretoncelles")
    assert sms.is_gsm7(text) and sms.segments(text) == 1
    assert "vous ne recevrez plus de SMS" in text and "61-2026-00012" in text
    assert "Mairie de Bretoncelles" in text


# --- SUIVI and AVIS (issue 25) ----------------------------------------------------------------

FOLLOW_UPS = [
    ("SUIVI", None), ("suivi", None), ("Suivi svp", None), (" SUIVÏ ", None), ("« suivi »", None),
    ("Bonjour, suivi de mon dossier merci", None), ("je voudrais un suivi", None),
    ("Suivi 61-K7M-4QX", "61-K7M-4QX"), ("61 k7m 4qx", "61-K7M-4QX"), ("61K7M4QX", "61-K7M-4QX"),
    ("suivi 2A-ZZZ-ZZZ svp", "2A-ZZZ-ZZZ"), ("dossier 974-WXY-ZWX", "974-WXY-ZWX"),
]
NOT_FOLLOW_UPS = ["Bonjour", "où en est mon dossier ?", "suivi 06 12 34 56 78", "stop suivi",
                  "le suivi est nul", "61-K7M", "4", "Oui"]


@pytest.mark.parametrize("text, reference", FOLLOW_UPS)
def test_suivi_or_a_reference_alone_asks_for_the_follow_up(text, reference):
    reading = read(text)
    assert reading.follow_up and reading.reference == reference and not reading.opt_out


@pytest.mark.parametrize("text", NOT_FOLLOW_UPS)
def test_other_texts_do_not_ask_for_the_follow_up(text):
    assert not read(text).follow_up


@pytest.mark.parametrize("text, opinion", [
    ("AVIS très bien reçue", "très bien reçue"), ("Avis : accueil parfait", "accueil parfait"),
    ("« AVIS » top", "top"), ("avis!! super accueil", "super accueil"), ("AVIS 4", "4"),
    ("avis", None), ("Avisé trop tard", None), ("mon avis est bon", None), ("4 merci", None),
])
def test_avis_at_the_start_gives_the_words_after_it(text, opinion):
    assert read(text).opinion == opinion
