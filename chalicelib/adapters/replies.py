"""What the author of a reply wrote now, out of everything their client sent along.

Pure: text in, runs out. The body is read line by line into runs (`Segment`): the author's
text, quoted lines ('>'), reply headers (attributions, Outlook header blocks, separators),
forwarded messages, signatures. The phrases come from `reply_patterns` (one table per kind of
line, per language); this module holds none.

How it decides (docs/email.md, "Reply extraction"):
- A quote is a run of '>' lines; a reply header is recognised from the tables; after a header
  that no '>' quote follows (Outlook's unquoted history), the rest of the message is history.
- Text after or between quotes is kept, in order (bottom-posting, inline answers), with the
  last lines of the quote it answers when there are several answers.
- A forward is content: the forwarded message is kept, marked, without its own history.
- Signatures and footers are cut only from the last run, and only when what they would cut
  looks like a signature (short lines, no sentence of the answer after them).
- It declines to cut (`Extraction.review`) when the result is empty, only a greeting, or much
  shorter than the text outside recognised quotes, or when a line of Relais's own email is
  found outside any recognised quote: then the whole message is kept, quotes folded, and the
  agent checks it.
"""
from __future__ import annotations

import bisect
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from . import reply_patterns as table

ATTRIBUTION_MAX = 400      # characters of an attribution, over at most ATTRIBUTION_LINES lines
ATTRIBUTION_LINES = 4
SIGNATURE_MAX_LINES = 14   # a signature is short...
SIGNATURE_MAX_LINE = 100   # ...made of short lines
CONTEXT_LINES = 2          # quoted lines kept above an inline answer
MAX_READ = 300_000         # characters of a body read (a reply's answer is never that far down)
HISTORY_LOOKAHEAD = 200    # lines read after an unquoted attribution to confirm history follows
FOLD = "[…] (texte cité replié)"
FORWARD_MARK = "[Contenu transféré]"


@dataclass
class Segment:
    """A run of a message's body: what its author wrote now, or what it carries along."""
    kind: str        # text | quote | header | forward | signature
    text: str


@dataclass
class Extraction:
    text: str                # what the thread shows
    review: bool             # declined to cut: `text` is the message with its quotes folded
    why: str | None = None   # empty | greeting | shrunk | unrecognised_history | too_long


# --- the tables, compiled once -------------------------------------------------------------

def _phrase(text: str) -> str:
    """A phrase as a pattern: spaces match any run of spaces, the rest literally."""
    return r"\s+".join(re.escape(word) for word in text.split())


def _alternatives(phrases) -> str:
    return "|".join(_phrase(p) for p in sorted(set(phrases), key=len, reverse=True))


def _flat(rows: dict[str, tuple[str, ...]]) -> list[str]:
    return [phrase for phrases in rows.values() for phrase in phrases]


@dataclass(frozen=True)
class _Patterns:
    attribution_end: re.Pattern
    attribution_loose: re.Pattern
    attribution_phrase: re.Pattern
    ruled: re.Pattern
    separator: re.Pattern
    header_line: re.Pattern
    header_kind: dict[str, str]
    footer: re.Pattern
    sign_off: re.Pattern
    disclaimer: re.Pattern
    greeting: re.Pattern
    own_email: re.Pattern
    dated_sender: re.Pattern
    opening: re.Pattern


@lru_cache(maxsize=1)
def patterns() -> _Patterns:
    verbs = _alternatives(_flat(table.ATTRIBUTION_VERBS))
    header_kind = {name.casefold(): kind for kind, rows in table.HEADER_NAMES.items()
                   for name in _flat(rows)}
    separators = {phrase: kind for kind, rows in table.SEPARATORS.items() for phrase in _flat(rows)}
    return _Patterns(
        # "... <verb>:" at the very end (a name in parentheses or an address may sit between).
        attribution_end=re.compile(rf"(?:^|[\s,>)\]])(?:{verbs})(?:\s*\([^)]{{0,80}}\))?\s*(?:\.\.\.)?\s*:\s*$",
                                   re.IGNORECASE),
        # "... <verb> <name> <addr>:" or "... <verb> je:": the verb, then a short tail.
        attribution_loose=re.compile(rf"(?:^|[\s,>)\]])(?:{verbs})\s+(?:[^\n:]|:\d){{0,120}}:\s*$",
                                     re.IGNORECASE),
        attribution_phrase=re.compile(rf"(?:{_alternatives(_flat(table.ATTRIBUTION_PHRASES))})[^\n]*:\s*$",
                                      re.IGNORECASE),
        ruled=re.compile(rf"^\s*-{{2,}}\s*\S.*?\b(?:{_alternatives(table.RULED_ATTRIBUTION_WORDS)})\b.*?-{{2,}}\s*$",
                         re.IGNORECASE),
        separator=re.compile(rf"^[\s\-_=*>]*(?P<phrase>{_alternatives(separators)})[\s\-_=*]*:?\s*$",
                             re.IGNORECASE),
        header_line=re.compile(rf"^\s*\*?\s*(?P<name>{_alternatives(header_kind)})\s*\*?\s*:\s*\*?(?P<value>.*)$",
                               re.IGNORECASE),
        header_kind=header_kind | {"__separators__": "", **{k.casefold(): v for k, v in separators.items()}},
        footer=re.compile(rf"^\s*(?:{_alternatives(_flat(table.FOOTERS))})\b", re.IGNORECASE),
        sign_off=re.compile(rf"^\s*(?:{_alternatives(_flat(table.SIGN_OFFS))})\s*[,.!;:]*\s*(?:[-–]\s*)?"
                            r"(?P<name>[^\n,.!?:;]{0,40})[,.!]?\s*$", re.IGNORECASE),
        disclaimer=re.compile(rf"^\s*(?:{_alternatives(table.DISCLAIMERS)})", re.IGNORECASE),
        greeting=re.compile(rf"^\s*(?:{_alternatives(table.GREETINGS)})\b[^\n]{{0,40}}$", re.IGNORECASE),
        own_email=re.compile("|".join(table.OWN_EMAIL_LINES), re.IGNORECASE),
        # "On Thu, Nov 26", "Le 26/11", "Am Mi., 25.": the opening word, at most two short words, a number.
        opening=re.compile(rf"^\s*(?:{_alternatives(_flat(table.ATTRIBUTION_OPENINGS))})\s+"
                           r"(?:[^\W\d]{1,6}[.,]?\s+){0,2}\d",
                           re.IGNORECASE),
        # "2011/4/7 Name <addr>", "2014-10-17 11:28 GMT+03:00 Name <addr>:"
        # or, ending with a colon, "26 nov. 2026 10:12:03 Relais <addr>:" (FairEmail, K-9).
        dated_sender=re.compile(r"^\s*(?:\d{4}[/.-]\d{1,2}[/.-]\d{1,2}\b[^\n]{0,60}?<?[^\s<>@]+@[^\s<>@]+>?\s*:?"
                                r"|\d{1,2}\.?\s+[^\W\d]{3,10}\.?\s+\d{4}\b[^\n]{0,60}?<[^\s<>@]+@[^\s<>@]+>\s*:)\s*$"),
    )


# --- reading lines ---------------------------------------------------------------------------

_DECORATION = re.compile(r"^\s*>{2,}.*<{2,}\s*$")       # ">>> http://... <<<", ">> Important <<"
_HAS_DATE_OR_ADDRESS = re.compile(r"\d|@")
_ARROW_ANSWER = re.compile(r"^\s*(?:=+>|-+>|→|⇒)\s*\S")   # "=> answer" in an unquoted history
_GROUPWISE = re.compile(r"^\s*>>>\s*\S.*(?:@|\d{1,2}[/.]\d{1,2}[/.]\d{2,4}).*>>>\s*$")
_SENTENCE_END = re.compile(r"[a-zà-öø-ÿ]{3,}[.!?]$")
_SENTENCE_BREAK = re.compile(r"(?:(?<=[.!?])|(?<=\s{2}))\s*(?=\S)")
_UNDERSCORES = re.compile(r"^\s*_{8,}\s*$")
_SIG_DELIMITER = re.compile(r"^-- ?$")
_SENTENCE = re.compile(r"[.!?]\s+\S.*[.!?]\s*$|^.{60,}[.!?]\s*$")


_QUOTE_MARKS = re.compile(r"^(?:[ \t]*>)+ ?")


def _is_quote(line: str) -> bool:
    # String methods first: this runs on every line of a long history.
    return line.lstrip(" \t").startswith(">") and not (
        line.rstrip().endswith("<<") and _DECORATION.match(line) is not None)


def _unquote(line: str) -> str:
    return _QUOTE_MARKS.sub("", line, count=1) if ">" in line else line


def _normal(line: str) -> str:
    return unicodedata.normalize("NFC", line.replace("\xa0", " ").replace("\u202f", " ")).strip()


def _header_name(line: str) -> str | None:
    match = patterns().header_line.match(line)
    if not match:
        return None
    return patterns().header_kind.get(re.sub(r"\s+", " ", match["name"]).casefold())


def header_block_end(lines: list[str], start: int) -> int | None:
    """The end of an Outlook-style header block starting at `start` ("From: / Sent: / To: /
    Subject:", any language; one blank line between header lines and wrapped values allowed),
    or None when it is not one."""
    first = _header_name(lines[start])
    if first is None:
        return None
    kinds, last, index = {first}, start, start + 1
    while index < len(lines) and index - last <= 2:
        line = lines[index]
        if not line.strip():
            index += 1
            continue
        kind = _header_name(line)
        if kind and kind not in kinds:
            kinds.add(kind)
            last = index
        elif kind is None and index == last + 1 and _header_follows(lines, index):
            last = index      # a wrapped value: "To: a@b.fr;" then " c@d.fr"
        elif kind is None and index == last + 1 and len(kinds) == 1 and (
                "@" in line or line.lstrip().startswith(("[", "<", "mailto"))):
            last = index      # "*From:* Name" wrapped before its "[mailto:addr]"
        else:
            break
        index += 1
    if "from" not in kinds or len(kinds) < 2:
        return None
    # Two lines such as "From: our side, ..." and "Subject: closed once ..." are prose: a real
    # block names three fields, or its sender has an address, or its date has a number.
    block = lines[start:last + 1]
    if len(kinds) >= 3 or any(_header_name(line) == "from" and ("@" in line or "mailto" in line) for line in block) \
            or any(_header_name(line) == "date" and re.search(r"\d", line) for line in block):
        return last + 1
    return None


def _header_follows(lines: list[str], index: int) -> bool:
    return any(_header_name(line) is not None for line in lines[index + 1:index + 3] if line.strip())


def attribution_end(lines: list[str], start: int) -> int | None:
    """The end of a reply attribution starting at `start` ("On <date>, <name> wrote:" in any
    language of the table, over at most ATTRIBUTION_LINES lines), or None."""
    p = patterns()
    first = lines[start].strip()
    if not first:
        return None
    if p.ruled.match(first):
        return start + 1
    if p.dated_sender.match(first):
        return start + 1
    opens = bool(p.opening.match(first))
    joined, taken = "", 0
    for index in range(start, min(start + 2 * ATTRIBUTION_LINES, len(lines))):
        line = lines[index].strip()
        if not line:
            if not opens:     # only an attribution that opens like one may hold blank lines
                return None
            continue
        if index > start and _is_quote(lines[index]):
            # Polymail ends a split attribution with a quoted "> wrote:"; anything else ends it.
            line = _unquote(lines[index]).strip()
            if not (opens and line.endswith(":") and len(line) < 40 and _is_attribution(f"{joined} {line}")):
                return None
        taken += 1
        if taken > 1 and (re.search(r"[,.;!?]$", joined) and not opens or _SENTENCE_END.search(joined)
                          or p.sign_off.match(line)):
            # "Bonjour," or "... l'avis d'imposition." then a line ending in "a écrit :": the
            # attribution starts below (a wrap falls after "nov." or "Mi.", never after a word).
            return None
        joined = f"{joined} {line}".strip()
        if len(joined) > ATTRIBUTION_MAX or taken > ATTRIBUTION_LINES:
            return None
        if joined.endswith(":") and _is_attribution(joined):
            return index + 1
    return None


_TIME = re.compile(r"\b\d{1,2}\s?[:.h]\s?\d{2}\b")
_ADDRESS = re.compile(r"[^\s<>()@]+@[^\s<>()@]+\.[a-z]{2,}", re.IGNORECASE)


def _is_attribution(text: str) -> bool:
    """A reply attribution, ending with its colon: the verb last (with a digit or an address in
    the line), or the verb then a short tail when the line holds a time or an address ("Am ...
    um 16:40 schrieb Name <addr>:"); "Le 12 mars, X a écrit à l'usager :" is prose."""
    p = patterns()
    if p.attribution_end.search(text) or p.attribution_phrase.search(text):
        # A date a client writes (a year, a time, 26/11) or an address: "Le 20 novembre, X nous
        # a écrit :" is prose.
        return bool(_ADDRESS.search(text) or _TIME.search(text) or re.search(r"\d{4}|\d{1,2}[./-]\d{1,2}", text))
    if p.attribution_loose.search(text):
        return bool(_ADDRESS.search(text) or _TIME.search(text) and re.search(r"\d{4}|\d{1,2}[./]\d{1,2}", text))
    return False


def separator_kind(line: str) -> str | None:
    """'original' or 'forward' for a separator line ("-----Original Message-----")."""
    match = patterns().separator.match(line)
    if not match:
        return None
    phrase = re.sub(r"\s+", " ", match["phrase"]).casefold()
    for kind, rows in table.SEPARATORS.items():
        if phrase in {p.casefold() for p in _flat(rows)}:
            return kind
    return None


# --- cutting a body into runs ------------------------------------------------------------------

def is_forward_subject(subject: str) -> bool:
    prefix = subject.strip().split(":", 1)[0].strip().casefold() if ":" in subject else ""
    return prefix in table.FORWARD_SUBJECT_PREFIXES


def segments(text: str, subject: str = "") -> list[Segment]:
    """The body cut into its runs, in order. A forward's subject ("Fwd:", "TR:", "WG:"...) makes
    its first header open the forwarded message."""
    return _read_body(text, subject)[0]


def _read_body(text: str, subject: str) -> tuple[list[Segment], bool]:
    """(runs, whether history no table knows was found and cut: a line of Relais's own email
    outside any recognised quote)."""
    lines = [line.replace("\xa0", " ").rstrip() if line.lstrip(" \t").startswith(">") else _normal(line)
             for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    runs = _merge(_read(lines, forwarded=False, forward_first=is_forward_subject(subject)))
    own = patterns().own_email
    leak = next((i for i, run in enumerate(runs) if run.kind in ("text", "forward") and own.search(run.text)),
                None)
    if leak is None:
        return runs, False
    return _merge(_cut_leak(runs, leak)), True


def _forwarded(lines: list[str], index: int, runs: list[Segment]) -> list[Segment]:
    """A forwarded message from `index` on (after its separator): its header block, then its
    content, '>'-quoted or not, read as forwarded content without its own history."""
    start = _skip_blank(lines, index)
    body = lines[start:]
    if body and _is_quote(body[0]):
        end = _quote_end(body, 0)
        inner = [_unquote(line) for line in body[:end]]
        runs.extend(_forwarded(inner, 0, []))
        runs.extend(_read(body[end:], forwarded=False))
        return runs
    block = header_block_end(lines, start) if start < len(lines) else None
    if block:
        runs.append(Segment("header", "\n".join(lines[start:block])))
        start = block
    runs.extend(_read(lines[start:], forwarded=True))
    return runs


def _read(lines: list[str], forwarded: bool, forward_first: bool = False) -> list[Segment]:
    runs: list[Segment] = []
    body_kind = "forward" if forwarded else "text"
    text: list[str] = []

    def flush():
        if any(line.strip() for line in text):
            runs.append(Segment(body_kind, "\n".join(text).strip("\n")))
        text.clear()

    index = 0
    marks: list[int] | None = None
    while index < len(lines):
        line = lines[index]
        if _GROUPWISE.match(line):
            # GroupWise's attribution: '>>> "Name" <addr> 26/11/2026 10:12 >>>', history below.
            flush()
            runs.append(Segment("header", line.strip()))
            index = _after_header(lines, index + 1, runs)
            continue
        if _is_quote(line):
            flush()
            end = _quote_end(lines, index)
            first = next(i for i in range(end - index) if _unquote(lines[index + i]).strip())
            if separator_kind(_unquote(lines[index + first])) == "forward":
                # Apple Mail quotes a forward: "> Begin forwarded message:" and the rest quoted.
                inner = [_unquote(q) for q in lines[index + first + 1:end]]
                runs.append(Segment("header", _unquote(lines[index + first])))
                _forwarded(inner, 0, runs)
            else:
                runs.append(Segment("quote", "\n".join(lines[index:end])))
            index = end
            continue
        kind = separator_kind(line) if line.strip() else None
        if kind == "original" and forward_first and not forwarded:
            kind = "forward"
        if kind is None and forward_first and not forwarded and (header_block_end(lines, index) or (
                _UNDERSCORES.match(line) and _skip_blank(lines, index + 1) < len(lines)
                and header_block_end(lines, _skip_blank(lines, index + 1)))):
            # Outlook forwards with a bare header block: it opens the forwarded message.
            flush()
            return _forwarded(lines, index + 1 if _UNDERSCORES.match(line) else index, runs)
        if kind == "forward":
            flush()
            runs.append(Segment("header", line))
            return _forwarded(lines, index + 1, runs)
        header_end = None
        if kind == "original":
            after = _skip_blank(lines, index + 1)
            block = header_block_end(lines, after) if after < len(lines) else None
            header_end = block or index + 1
        elif _UNDERSCORES.match(line):
            after = _skip_blank(lines, index + 1)
            block = header_block_end(lines, after) if after < len(lines) else None
            header_end = block
        elif line.strip():
            header_end = header_block_end(lines, index)
            split = _attribution_in_line(line) if header_end is None else None
            if split is not None:
                text.append(line[:split].rstrip())
                flush()
                runs.append(Segment("header", line[split:].strip()))
                index = _after_header(lines, index + 1, runs)
                continue
            if header_end is None:
                header_end = attribution_end(lines, index)
                if header_end is not None:
                    marks = _history_marks(lines) if marks is None else marks
                    if not _history_follows(lines, header_end, marks):
                        header_end = None     # "... a envoyé le 12/11/2026 :" then the author's text
        if header_end is not None:
            flush()
            runs.append(Segment("header", "\n".join(lines[index:header_end])))
            index = _after_header(lines, header_end, runs)
            continue
        text.append(line)
        index += 1
    flush()
    return runs


def _after_header(lines: list[str], index: int, runs: list[Segment]) -> int:
    """After a reply header: a '>' quote is history and reading goes on below it; anything else
    (Outlook's unquoted history) is history to the end."""
    after = _skip_blank(lines, index)
    if after < len(lines) and _is_quote(lines[after]):
        return after
    history: list[str] = []
    for line in lines[index:]:
        if _ARROW_ANSWER.match(line):
            # Outlook's inline answers in the unquoted history: "=> Bien reçue le 14 juin."
            if any(h.strip() for h in history):
                runs.append(Segment("quote", "\n".join(history).strip("\n")))
            history = []
            if runs and runs[-1].kind == "text":
                runs[-1] = Segment("text", f"{runs[-1].text}\n{line}")
            else:
                runs.append(Segment("text", line))
        else:
            history.append(line)
    if any(h.strip() for h in history):
        runs.append(Segment("quote", "\n".join(history).strip("\n")))
    return len(lines)


def _history_marks(lines: list[str]) -> list[int]:
    """The lines that prove history: Relais's own text, a separator, a header block (once per
    body, so that many attribution-shaped lines cost no more than one)."""
    own = patterns().own_email
    return [i for i, line in enumerate(lines) if line.strip() and (
        own.search(line) or separator_kind(line) or header_block_end(lines, i))]


def _history_follows(lines: list[str], index: int, marks: list[int]) -> bool:
    """After an attribution, whether history follows: a '>' quote (as every client writes it in
    plain text), or, unquoted, Relais's own email or another reply header within
    HISTORY_LOOKAHEAD lines."""
    after = _skip_blank(lines, index)
    if after >= len(lines) or _is_quote(lines[after]):
        return True
    found = bisect.bisect_left(marks, after)
    return found < len(marks) and marks[found] < after + HISTORY_LOOKAHEAD


def _attribution_in_line(line: str) -> int | None:
    """Where an attribution starts when it ends a line of text: "Merci. On Tue, ... wrote:"."""
    p = patterns()
    if p.opening.match(line) or not line.rstrip().endswith(":") or not (
            p.attribution_end.search(line) or p.attribution_loose.search(line)):
        return None
    start = max(1, len(line) - ATTRIBUTION_MAX)     # an attribution is short: only its tail is read
    for match in _SENTENCE_BREAK.finditer(line, start):
        tail = line[match.end():]
        if p.opening.match(tail) and attribution_end([tail], 0) is not None:
            return match.end()
    # A footer then an attribution on one line: "Sent from Samsung Mobile <date> <name> wrote:".
    if patterns().footer.match(line) and _is_attribution(line.strip()):   # footer + header: no guard
        return 0
    return None


def _quote_end(lines: list[str], start: int) -> int:
    index, end = start, start
    while index < len(lines):
        if _is_quote(lines[index]):
            end = index + 1
        elif lines[index].strip():
            break
        index += 1
    return end


def _skip_blank(lines: list[str], index: int) -> int:
    while index < len(lines) and not lines[index].strip():
        index += 1
    return index


def _merge(runs: list[Segment]) -> list[Segment]:
    merged: list[Segment] = []
    for run in runs:
        if merged and merged[-1].kind == run.kind and run.kind in ("quote", "header"):
            merged[-1] = Segment(run.kind, f"{merged[-1].text}\n{run.text}")
        else:
            merged.append(run)
    return merged


# --- signatures and footers ------------------------------------------------------------------

def _cut_footer_and_signature(text: str) -> tuple[str, str]:
    """(kept, cut) for a run of the author's text: mobile footers, disclaimers, the '-- '
    delimiter, and a sign-off followed by a signature. Never cuts a sentence of answer. Only
    the last lines are read (a signature is short), so a long run costs one pass."""
    p = patterns()
    lines = text.split("\n")
    end = _boilerplate_start(lines)
    first = _nth_filled_from_end(lines[:end], SIGNATURE_MAX_LINES + 1)
    for index in range(first, end):
        if _SIG_DELIMITER.match(lines[index]) and _looks_like_signature(lines[index + 1:end]):
            end = index
            break
    for index in range(first, end):
        if p.sign_off.match(lines[index]) and _looks_like_signature(lines[index + 1:end]):
            end = index
            break
    kept = "\n".join(lines[:end]).strip()
    return kept, "\n".join(lines[end:]).strip()


def _nth_filled_from_end(lines: list[str], count: int) -> int:
    """The index of the count-th non-empty line from the end (0 when there are fewer)."""
    seen = 0
    for index in range(len(lines) - 1, -1, -1):
        if lines[index].strip():
            seen += 1
            if seen == count:
                return index
    return 0


def _boilerplate_start(lines: list[str]) -> int:
    """Where a mobile footer (in the last 4 lines) or a legal disclaimer (in the last
    SIGNATURE_MAX_LINES) starts, or len(lines)."""
    first = _nth_filled_from_end(lines, SIGNATURE_MAX_LINES)
    footer_from = _nth_filled_from_end(lines, 4)
    for index in range(first, len(lines)):
        line = lines[index]
        if index >= footer_from and _is_footer(line) or patterns().disclaimer.match(line):
            return index
    return len(lines)


def _is_footer(line: str) -> bool:
    """"Sent from my iPhone", not "Sent from my desk, it is much easier than my phone."."""
    return bool(patterns().footer.match(line)) and len(line) <= 90 and ", " not in line


def _looks_like_signature(lines: list[str]) -> bool:
    """Name, title, service, phone, address: a few short lines, none a sentence of answer (no
    long sentence, no amount, no question, no line that starts in lower case)."""
    filled = [line.strip() for line in lines if line.strip()]
    if len(filled) > SIGNATURE_MAX_LINES:
        return False
    return not any(len(line) > SIGNATURE_MAX_LINE or _SENTENCE.search(line) and len(line) > 50
                   or "€" in line or line.endswith(("?", "!")) or line.endswith(".") and len(line) > 30
                   or line[0].islower() and not (_ADDRESS.search(line) or line.startswith(("http", "www.")))
                   for line in filled)


# --- the result --------------------------------------------------------------------------

def extract(text: str, subject: str = "") -> Extraction:
    """The new text of a reply, or the whole message folded for review (see the module)."""
    if len(text) > MAX_READ:
        # Bounded work per message: the rest is history or an attachment pasted inline; the
        # agent checks it against the original.
        result = extract(text[:MAX_READ], subject)
        return Extraction(result.text, review=True, why="too_long")
    runs, leaked = _read_body(text, subject)
    mine = [run for run in runs if run.kind in ("text", "forward")]
    outside = "\n\n".join(run.text for run in mine)
    if leaked:
        return Extraction(folded(runs), review=True, why="unrecognised_history")
    kept = _visible(runs)
    plain = _letters(kept)
    if not plain:
        if not _letters(_strip_footers(outside)):
            return Extraction("", review=False, why="empty")
        return Extraction(folded(runs), review=True, why="empty")
    if patterns().greeting.match(kept) and "\n" not in kept.strip():
        return Extraction(folded(runs), review=True, why="greeting")
    written = _letters("\n".join("\n".join(run.text.split("\n")[:_boilerplate_start(run.text.split("\n"))])
                                for run in mine))
    if len(plain) < 0.3 * len(written) and len(written) - len(plain) > 200:
        return Extraction(folded(runs), review=True, why="shrunk")
    return Extraction(kept, review=False)


def _letters(text: str) -> str:
    return re.sub(r"\W+", "", text)


def _strip_footers(text: str) -> str:
    return "\n".join(line for line in text.split("\n") if not _is_footer(line))


def _cut_leak(runs: list[Segment], leak: int) -> list[Segment]:
    """Cut the run holding Relais's own text before it: at the last line that looks like a
    header (an address, a date, a colon at the end) above it, else at its paragraph."""
    run = runs[leak]
    lines = run.text.split("\n")
    first = next(i for i, line in enumerate(lines) if patterns().own_email.search(line))
    cut = None
    for index in range(first - 1, max(-1, first - 25), -1):
        line = lines[index].strip()
        if line.endswith(":") and _HAS_DATE_OR_ADDRESS.search(line) or _header_name(line) == "from":
            cut = index
            break
    if cut is None:
        cut = first
        while cut > 0 and lines[cut - 1].strip():
            cut -= 1
    head = "\n".join(lines[:cut]).strip()
    kept = [*runs[:leak]]
    if head:
        kept.append(Segment(run.kind, head))
    kept.append(Segment("quote", "\n".join(lines[cut:])))
    return kept


def _visible(runs: list[Segment]) -> str:
    """The author's runs in order; between two of them, the quoted lines answered."""
    authored = [i for i, run in enumerate(runs) if run.kind in ("text", "forward")]
    if not authored:
        return ""
    texts = {i: (_cut_footer_and_signature(runs[i].text)[0] if runs[i].kind == "text" else runs[i].text)
             for i in authored}
    own = patterns().own_email
    substantive = [i for i in authored if texts[i].strip() and not (
        patterns().greeting.match(texts[i]) and "\n" not in texts[i].strip())]
    inline = len(substantive) > 1
    answers = set(substantive)             # inline: each answer right after a quote gets its context
    parts: list[str] = []
    forward_marked = False
    for i in authored:
        piece = texts[i].strip()
        if not piece:
            continue
        if runs[i].kind == "forward" and not forward_marked:
            parts.append(FORWARD_MARK)
            forward_marked = True
        if inline and i in answers:
            context = _context(runs, i, own)
            if context:
                parts.append(context)
        parts.append(_strip_footers(piece).strip() if runs[i].kind == "text" else piece)
    return "\n\n".join(part for part in parts if part.strip()).strip()


def _context(runs: list[Segment], index: int, own: re.Pattern) -> str:
    """The last quoted lines right above an inline answer (the end of the quote's last
    paragraph, never Relais's own boilerplate), as '> ' lines, after a marker when more was
    folded. Nothing when the answer does not follow a quote."""
    before = runs[index - 1] if index > 0 else None
    if before is None or before.kind != "quote":
        return ""
    quoted = [_unquote(line).strip() for line in before.text.split("\n")]
    paragraph: list[str] = []
    for line in reversed(quoted):
        if not line:
            if paragraph:
                break
            continue
        if own.search(line) or line.startswith(("http://", "https://")) or line.strip() in ("--", "-- "):
            if paragraph:
                break
            continue
        paragraph.insert(0, line)
    if not paragraph:
        return FOLD
    shown = paragraph[-CONTEXT_LINES:]
    folded_more = len([line for line in quoted if line]) > len(shown)
    return "\n".join(([FOLD] if folded_more else []) + [f"> {line}" for line in shown])


def folded(runs: list[Segment]) -> str:
    """The whole message as the thread shows it when extraction declined to cut: the author's
    runs in order, each folded quote a marker (the original holds the rest)."""
    kept: list[str] = []
    for run in runs:
        piece = run.text.strip() if run.kind in ("text", "forward", "signature") else FOLD
        if piece and not (kept and kept[-1] == FOLD == piece):
            kept.append(piece)
    return "\n\n".join(kept).strip()
