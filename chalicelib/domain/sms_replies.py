"""What a usager means by an SMS reply: STOP, a satisfaction mark, OUI, SUIVI, AVIS, or words
for the agent.

People answer from any phone, in any case, with or without accents, quotes, emoji or
punctuation: « stop svp », « « STOP » », « 4/5 très bien », « ⭐⭐⭐⭐ », « Oui ! ». The text is
first brought to plain words (`_tokens`), then read three ways. Each reading says, too,
whether the text carries words beyond what it recognised and politeness: those words reach
the case's agent as a message as well.

Opt-out, the consent side: a word that only means "unsubscribe" (STOP, STOPP, DESABONNER,
UNSUBSCRIBE...) counts anywhere as a word, as operators do. ARRET counts anywhere too, except
where it is a noun of daily administrative life (« mon arrêt maladie », « l'arrêt de
travail »). Ordinary verbs and English words that French sentences contain (« arrêter de
travailler », « week-end », « la fin du mois ») count only alone or next to a word about SMS
(« arrêtez les SMS », « fin des SMS »).

A mark, the other way round: recorded only when nothing says the number means something else.
One mark, 1 to 5, in its own clause, with only greetings, thanks, appreciation and mark words
around it (« note 3 », « je mets 5 », « 4 merci »); any other number (« 06 12 34 56 78 », « 10 »,
« 0 », « 61-2026-00012 », « le 3 mars », « 500 € ») or two different marks (« 3 ou 4 », « 3-4 »)
and there is no mark: the text goes to the agent.

SUIVI, the usager asks where their case stands: « SUIVI », « suivi svp », « Suivi 61-K7M-4QX », or
a text that is only a case reference (« 61 k7m 4qx »), with politeness around it and nothing else.

AVIS, the usager gives their opinion: the text starts with AVIS (« Avis : très bien reçue »),
and what follows it is the opinion. « avis 4 » stays a mark: a mark alone is not an opinion.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from .references import normalize_reference

# --- plain words ------------------------------------------------------------------------------

_KEYCAP = re.compile("([0-9])\ufe0f?\u20e3")               # 4️⃣: a digit, then the keycap
_STARS = set("⭐★🌟")
_BREAKS = set(".!?,;:/-()\n")
_UNITS = {"€": "euros", "$": "dollars", "%": "pourcent"}
_TOKEN = re.compile(r"[a-z]+|[0-9]+|[.!?,;:/()\n-]|[€$%]")
_OUT_OF_FIVE = re.compile(r"\b([0-9]|un|une|deux|trois|quatre|cinq)\s*(?:/|sur)\s*(?:5|cinq)\b")


def _plain(text: str) -> str:
    """Lower case, no accents, keycaps as digits, « stooop » as « stop »."""
    text = _KEYCAP.sub(r" \1 ", text).replace("🔟", " 10 ")
    text = unicodedata.normalize("NFKD", text.casefold())        # also ⑤ -> 5, ５ -> 5
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = re.sub(r"([a-z])\1{2,}", r"\1", text)                   # letters said three times or more
    return re.sub(r"\bopt[\s_-]*out\b", "optout", text)


def _tokens(plain: str) -> list[str]:
    """Words, numbers, clause breaks and units; apostrophes, quotes, spaces and emoji separate."""
    return [_UNITS.get(token, token) for token in _TOKEN.findall(plain)]


def _words(tokens: list[str]) -> list[str]:
    return [token for token in tokens if token.isalpha()]


# --- shared vocabulary ------------------------------------------------------------------------

GREETINGS = {"bonjour", "bonsoir", "salut", "hello", "coucou", "madame", "monsieur", "mme", "mr"}
THANKS = {"merci", "mercie", "mci", "beaucoup", "bcp", "svp", "stp", "please", "cordialement", "cdt",
          "cdlt", "bonne", "journee", "soiree", "continuation", "pour"}
PLEASE = {"s", "il", "vous", "te", "plait"}                      # s'il vous plaît, s'il te plaît
POLITE = GREETINGS | THANKS | PLEASE


# --- opt-out ----------------------------------------------------------------------------------

# Words that only mean "unsubscribe": anywhere as a word. From AWS End User Messaging's
# required opt-out keywords (STOP, OPTOUT, UNSUBSCRIBE) and the French forms operators accept.
OPT_OUT_WORDS = {"stop", "stopp", "stopper", "stoppez", "stopsms", "stopall", "optout", "unsubscribe",
                 "desabonner", "desabonnez", "desabonne", "desabonnement", "desinscrire",
                 "desinscrivez", "desinscris", "desinscrit", "desinscription"}
# Ordinary words: opt-out alone or next to a word about SMS. The rest of AWS's required list
# (ARRET is handled below; CANCEL, END, QUIT, REMOVE, TD) and French verbs.
OPT_OUT_IF_ABOUT_SMS = {"arreter", "arretez", "arrete", "arretes", "fin", "end", "quit", "cancel",
                        "remove", "td", "annuler", "annulez", "cesser", "cessez"}
SMS_WORDS = {"sms", "texto", "textos", "message", "messages", "notification", "notifications",
             "relance", "relances", "envoi", "envois", "envoyer", "envoyez", "ecrire", "ecrivez"}
# « arrêt » is a noun of daily life after these, or before « maladie », « de travail »...
_DETERMINERS = {"mon", "ton", "son", "votre", "notre", "leur", "l", "un", "cet", "en", "d", "mes",
                "ses", "vos", "nos"}
_NOUN_AFTER_ARRET = {"maladie", "de", "du", "des", "cardiaque"}
# « je ne veux plus de SMS » wishes; « je ne reçois plus de SMS » complains.
_WISHES = {"veux", "voudrais", "souhaite", "souhaiterais", "desire"}
# A question is a request only with these: « pouvez-vous ne plus m'envoyer de SMS ? »
_REQUESTS = {"pouvez", "pourriez", "peux", "pourrais", "possible"}
# What an opt-out says besides the keyword without saying more to the agent.
OPT_OUT_FILLER = POLITE | SMS_WORDS | {
    "je", "j", "me", "m", "moi", "nous", "vos", "votre", "les", "des", "de", "d", "du", "le", "la",
    "l", "ces", "ce", "ca", "tous", "toutes", "tout", "ne", "n", "plus", "pas", "rien", "veux",
    "voudrais", "souhaite", "souhaiterais", "desire", "recevoir", "plait", "immediatement",
    "maintenant", "definitivement", "immediat", "total", "definitif", "sil", "oui", "ok", "arret"} | _REQUESTS


def _about_sms(words: list[str], at: int, reach: int = 4) -> bool:
    return any(word in SMS_WORDS for word in words[at + 1:at + 1 + reach])


def _opt_out(tokens: list[str]) -> bool:
    words = _words(tokens)
    alone = all(word in OPT_OUT_FILLER or word in OPT_OUT_IF_ABOUT_SMS for word in words)
    for at, word in enumerate(words):
        if word in OPT_OUT_WORDS:
            return True
        if word == "arret":
            noun = (at > 0 and words[at - 1] in _DETERMINERS) or (
                at + 1 < len(words) and words[at + 1] in _NOUN_AFTER_ARRET)
            if _about_sms(words, at) or not noun:
                return True
        if word in OPT_OUT_IF_ABOUT_SMS and (alone or _about_sms(words, at)):
            return True
    if "?" in tokens and not _REQUESTS & set(words):
        return False                         # « vous ne m'envoyez plus de SMS ? » complains
    text = " ".join(words)
    if re.search(r"\bvous (?:ne |n )(?:m |me |nous )?envoy", text):
        return False                         # « vous ne m'envoyez plus de SMS » says what happens
    if re.search(r"\b(?:plus|pas) (?:de |d )?(?:sms|textos?)\b", text):      # « plus de SMS svp »
        return alone or bool(_WISHES & set(words))
    if re.search(r"\b(?:envoy\w* plus|plus (?:m |me |nous )?envoy\w*)\b", text):
        return True                          # « ne m'envoyez plus rien », « merci de ne plus m'envoyer »
    if re.search(r"\bplus (?:\w+ )?recevoir\b", text):                        # « ne plus recevoir »
        return alone or bool(SMS_WORDS & set(words))
    return False


# --- satisfaction marks -----------------------------------------------------------------------

NUMBER_WORDS = {"un": 1, "une": 1, "deux": 2, "trois": 3, "quatre": 4, "cinq": 5}
# How people judge, before or after their mark: « très satisfait 5 », « 4 pas mal ».
APPRECIATION = {"tres", "bien", "super", "top", "parfait", "parfaite", "excellent", "excellente",
                "bravo", "genial", "nickel", "satisfait", "satisfaite", "satisfaits", "satisfaites",
                "content", "contente", "mecontent", "mecontente", "pas", "du", "tout", "a", "fait",
                "moyen", "moyenne", "bof", "nul", "nulle", "mal", "assez", "plutot", "vraiment", "bon", "trop",
                "ok", "oui"}
# Only before a mark: « note 3 », « je vous mets 5 », « c'est un 4 ».
MARK_LEAD = {"note", "notes", "ma", "mon", "je", "j", "vous", "mets", "met", "mettrai", "mettrais",
             "donne", "donnerai", "donnerais", "dirai", "dirais", "dis", "attribue", "de", "c", "est",
             "ce", "sera", "serait", "un", "alors", "donc", "reponse", "satisfaction", "avis"}
# Only right after a mark: « 5 étoiles », « 4 points ».
MARK_TAIL = {"etoile", "etoiles", "points", "point", "pts", "un"}
MARK_WORDS = POLITE | APPRECIATION | MARK_LEAD | MARK_TAIL


def _clauses(tokens: list[str]) -> list[list[str]]:
    clauses: list[list[str]] = [[]]
    for token in tokens:
        if token in _BREAKS:
            clauses.append([])
        else:
            clauses[-1].append(token)
    return [clause for clause in clauses if clause]


def _standing_alone(clause: list[str], at: int) -> bool:
    """The number at `at` is a mark where it stands: only lead-in words before it in its clause,
    and nothing after it but the clause's end or a word a mark is followed by."""
    before, after = clause[:at], clause[at + 1:at + 2]
    return (all(word in MARK_WORDS and word not in MARK_TAIL - {"un"} for word in before)
            and all(word in POLITE or word in APPRECIATION or word in MARK_TAIL for word in after))


def _mark(plain: str, tokens: list[str]) -> int | None:
    marks: list[int] = []
    for clause in _clauses(tokens):
        for at, token in enumerate(clause):
            if token.isdigit():
                value = int(token) if len(token) == 1 else 0
                if not 1 <= value <= 5 or not _standing_alone(clause, at):
                    return None              # a phone number, a date, an amount, a reference...
                marks.append(value)
            elif token in NUMBER_WORDS and _standing_alone(clause, at):
                marks.append(NUMBER_WORDS[token])
    stars = sum(ch in _STARS for ch in plain)
    if stars:
        if stars > 5:
            return None
        if not marks:
            marks.append(stars)
        elif stars > 1:                      # « 5 ⭐ » is five stars; « 4 ⭐⭐⭐ » is two marks
            marks.append(stars)
    return marks[0] if marks and len(set(marks)) == 1 else None


# --- consent ----------------------------------------------------------------------------------

AGREEMENT = {"oui", "ouais", "accepte", "confirme", "accord", "daccord"}
# Around a yes without changing it: « ok oui », « oui je confirme », « oui bien sûr merci ».
AGREEMENT_FILLER = POLITE | {"ok", "okay", "je", "j", "d", "c", "est", "bon", "bien", "sur", "tout",
                             "a", "fait", "absolument", "evidemment", "volontiers", "mon", "avec",
                             "plaisir", "entendu", "parfait", "super", "top", "suis", "tres"}


def _yes(tokens: list[str]) -> bool:
    words = _words(tokens)
    return ("?" not in tokens and not any(token.isdigit() for token in tokens)
            and any(word in AGREEMENT for word in words)
            and all(word in AGREEMENT or word in AGREEMENT_FILLER for word in words))


# --- follow-up and opinions ---------------------------------------------------------------------

FOLLOW_UP_WORDS = {"suivi", "suivis", "suivie", "suivre"}
# Around SUIVI or a reference without changing it: « suivi de mon dossier svp », « ma demande ref ».
FOLLOW_UP_FILLER = POLITE | {"mon", "ma", "de", "du", "la", "le", "dossier", "demande", "ref",
                             "reference", "numero", "n", "no", "je", "j", "voudrais", "veux", "souhaite",
                             "aimerais", "un", "avoir"}
OPINION_WORDS = {"avis"}
_RAW_WORDS = re.compile(r"[a-z0-9]+")


def _follow_up(text: str) -> tuple[bool, str | None]:
    """(asks for the follow-up, the case reference written in it or None). A reference may be
    written in pieces (« 61 k7m 4qx »): whatever is not SUIVI nor politeness must make one.
    Letters said three times are kept here: « ZZZ » may be a piece of a reference."""
    folded = unicodedata.normalize("NFKD", text.casefold())
    words = _RAW_WORDS.findall("".join(ch for ch in folded if not unicodedata.combining(ch)))
    asked = any(word in FOLLOW_UP_WORDS for word in words)
    rest = [word for word in words if word not in FOLLOW_UP_WORDS and word not in FOLLOW_UP_FILLER]
    if not rest:
        return asked, None
    reference = normalize_reference("".join(rest))
    return reference is not None, reference


def _opinion(text: str) -> str | None:
    """The words after AVIS at the start of the text, as the usager wrote them, or None."""
    start = re.match(r"\W*avis\b", text, re.IGNORECASE)
    if start is None:
        return None
    return text[start.end():].lstrip(" :,.;-!\n\t»\"'").strip() or None


# --- the reading ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Reading:
    opt_out: bool
    mark: int | None                         # 1 to 5, or None
    yes: bool
    more_than_opt_out: bool                  # words for the agent beyond the opt-out
    more_than_mark: bool                     # words for the agent beyond the mark
    follow_up: bool = False                  # SUIVI, or a text that is only a case reference
    reference: str | None = None             # the case reference written, if any
    opinion: str | None = None               # what follows AVIS, as written


def read(text: str) -> Reading:
    """One SMS reply, read every way it can be; the service picks what applies to the case."""
    plain = _plain(text)
    tokens = _tokens(plain)
    words = _words(tokens)
    marked = _tokens(_OUT_OF_FIVE.sub(r" \1 ", plain))
    follow_up, reference = _follow_up(text)
    return Reading(
        opt_out=_opt_out(tokens),
        mark=_mark(plain, marked),
        yes=_yes(tokens),
        more_than_opt_out=any(word not in OPT_OUT_FILLER and word not in OPT_OUT_WORDS
                              and word not in OPT_OUT_IF_ABOUT_SMS for word in words),
        more_than_mark=any(word not in MARK_WORDS and word not in NUMBER_WORDS
                           for word in _words(marked)),
        follow_up=follow_up, reference=reference, opinion=_opinion(text))
