"""Presidio recognizers for what callers say on the phone.

They run on the digits view of a call (see ``spoken``), so "four one one one ..." reaches them as "4111...".
Presidio's own recognizers cover the written forms (Luhn-checked cards, SSNs, phone numbers, IBANs, UK National
Insurance numbers, spaCy's PERSON entities); these add what a call centre transcript needs on top:

- ``NumberRecognizer``: every run of digits, typed by what was asked just before it ("card", "date of birth",
  "policy", "postcode", ...) and by its shape (Luhn, length);
- ``EmailRecognizer``: written and spoken ("john dot smith at gmail dot com") addresses;
- ``PostcodeRecognizer``: UK postcodes and US ZIP codes, written or spelled out;
- ``AddressRecognizer``: house number and street;
- ``DateOfBirthRecognizer``: dates said right after a question about birth;
- ``NameRecognizer``: names after cues ("my name is", "this is", "thanks"), also in lowercase ASR output, and
  spelled-out names.
"""

from __future__ import annotations

import re

from presidio_analyzer import EntityRecognizer, RecognizerResult
from spacy.lang.en.stop_words import STOP_WORDS

from callqa.lexicon import NOT_NAMES, name_lists, vocative_names

CONTEXT_CHARS = 90
"""How far back (characters of the call, across turns) a cue such as "card number" still types a number."""

CUES: list[tuple[str, re.Pattern]] = [
    ("CARD", re.compile(r"\b(card|credit|debit|visa|master ?card|amex|american express|cvv|cvc|security code|expiry|expiration|long number)\b", re.I)),
    ("SSN", re.compile(r"\b(social security|social|ssn|s s n|s\.s\.n\.?)\b", re.I)),
    ("NATIONAL_ID", re.compile(r"\b(national insurance|n ?i number|nino)\b", re.I)),
    ("DOB", re.compile(r"\b(date of birth|birth ?date|born|birthday|d ?o ?b|dob)\b", re.I)),
    ("PHONE", re.compile(r"\b(phone|mobile|cell|landline|telephone|tel|contact number|call (you|me) (back )?on|reach (you|me)|ring (you|me)|text (you|me))\b", re.I)),
    ("POSTCODE", re.compile(r"\b(post ?code|zip( code)?|postal code)\b", re.I)),
    ("POLICY", re.compile(r"\b(polic(y|ies)|pol)\b", re.I)),
    ("ACCOUNT", re.compile(r"\b(account|acct|a/c|sort code|iban|routing|reference|ref|member(ship)?|customer (number|id)|order|booking|claim|case|ticket|invoice|confirmation|meter|serial|tracking|loyalty|id number)\b", re.I)),
]
"""What was asked or said just before a number types it; the nearest cue wins."""

UNIT_AFTER = re.compile(
    r"^\s*(%|percent|pounds?|quid|dollars?|bucks|euros?|pence|cents?|p\b|gb|mb|gig|megs?|minutes?|mins?|hours?|days?|weeks?|months?|years?|"
    r"times|people|items?|texts|calls|am|pm|o'clock|miles|km|kilometres?|kilometers?|degrees|points)\b",
    re.I,
)
CURRENCY_BEFORE = re.compile(r"[$£€]\s*$")


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def nearest_cue(text: str, start: int, window: int = CONTEXT_CHARS) -> str | None:
    """The type named by a cue in the ``window`` characters before ``start``.

    The last sentence with a cue decides; within it the most specific cue wins (the order of ``CUES``), so "the
    date of birth on the account" types a date of birth and "the postcode on your account" a postcode.
    """
    before = text[max(0, start - window) : start]
    found = [(m.end(), rank, kind) for rank, (kind, pattern) in enumerate(CUES) for m in pattern.finditer(before)]
    if not found:
        return None
    last = max(end for end, _, _ in found)
    sentence_start = max((m.end() for m in re.finditer(r"[.?!\n]\s", before[:last])), default=0)
    return min((rank, kind) for end, rank, kind in found if end > sentence_start)[1]


def _result(kind: str, start: int, end: int, score: float, why: str) -> RecognizerResult:
    return RecognizerResult(entity_type=kind, start=start, end=end, score=score, analysis_explanation=None, recognition_metadata={"why": why, RecognizerResult.RECOGNIZER_NAME_KEY: why})


class CallRecognizer(EntityRecognizer):
    """A recognizer of this module: English, loaded eagerly, results typed with callqa's tags."""

    ENTITIES: list[str] = []

    def __init__(self) -> None:
        super().__init__(supported_entities=self.ENTITIES, supported_language="en", name=type(self).__name__)

    def load(self) -> None:  # nothing to load
        pass


class NumberRecognizer(CallRecognizer):
    ENTITIES = ["CARD", "SSN", "NATIONAL_ID", "DOB", "PHONE", "POLICY", "ACCOUNT", "POSTCODE"]
    DIGITS = re.compile(r"(?<![\d.])\d+(?![\d]|\.\d)")
    ID_AROUND = re.compile(r"(?:\b[A-Za-z]{1,3}[\s-]*)$")

    def __init__(self, quantities: list[tuple[int, int]] | None = None) -> None:
        super().__init__()
        self.quantities: list[tuple[int, int]] = quantities or []

    def analyze(self, text, entities, nlp_artifacts=None):
        out = []
        for m in self.DIGITS.finditer(text):
            digits, start, end = m.group(), m.start(), m.end()
            kind = self.classify(text, digits, start, end)
            if kind is None:
                continue
            # identifiers with letters: "POL-447122", "A B 12 34 56 C", "ref x y 4471"
            if kind in ("POLICY", "ACCOUNT", "NATIONAL_ID"):
                left = re.search(r"(?:(?<![\w'])(?:[A-Za-z]{1,3}|dash|hyphen)\b[\s-]*){1,5}$", text[max(0, start - 24) : start])
                if left:
                    letters = left.group()
                    stop = list(re.finditer(r"\b(is|it|a|i|my|on|to|at|of|an|so|no|oh|um|uh|er|and|the|its|was|our|for)\b", letters, re.I))
                    keep = letters[stop[-1].end() :] if stop else letters
                    start -= len(keep.lstrip())
                right = re.match(r"(?:[\s-]*\b[A-Za-z]\b(?![''])){1,2}", text[end : end + 6])
                if kind == "NATIONAL_ID" and right:
                    end += len(right.group())
            out.append(_result(kind, start, end, 0.9, "number"))
        return out

    def classify(self, text: str, digits: str, start: int, end: int) -> str | None:
        n = len(digits)
        quantity = any(s <= start < e for s, e in self.quantities)
        amount = bool(UNIT_AFTER.match(text[end : end + 16]) or CURRENCY_BEFORE.search(text[max(0, start - 3) : start]))
        cue = nearest_cue(text, start)
        if cue == "CARD" and (n >= 12 or n in (3, 4)) and not amount:
            return "CARD"
        if cue == "SSN" and n in (4, 9):
            return "SSN"
        if cue == "NATIONAL_ID" and n == 6:
            return "NATIONAL_ID"
        if cue == "DOB" and 2 <= n <= 8 and not amount:
            return "DOB"
        if cue == "PHONE" and 6 <= n <= 15:
            return "PHONE"
        if cue == "POSTCODE" and n in (5, 9):
            return "POSTCODE"
        if cue in ("ACCOUNT", "POLICY") and n >= 4 and not amount and not quantity:
            return cue
        if quantity or amount:
            return None
        if 13 <= n <= 19 and luhn_ok(digits):
            return "CARD"
        if n in (10, 11) and digits[0] in "01" or n in (11, 12) and digits.startswith("44") or n == 11 and digits[0] == "1":
            return "PHONE"
        if n >= 7:
            return "ACCOUNT"  # a long number nobody explained is an identifier more often than not
        return None


class EmailRecognizer(CallRecognizer):
    ENTITIES = ["EMAIL"]
    WRITTEN = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
    SPOKEN = re.compile(
        r"\b[a-z0-9][\w]*(?:\s+\d+)?(?:\s+(?:dot|underscore|dash|hyphen|point)\s+[\w]+(?:\s+\d+)?)*\s+(?:at|@)\s+[\w]+(?:\s+(?:dot|point)\s+(?:com|net|org|co|uk|us|io|edu|gov|ac|me|info|biz|ie|ca|au|de|fr))+\b",
        re.I,
    )

    def analyze(self, text, entities, nlp_artifacts=None):
        out = [_result("EMAIL", m.start(), m.end(), 1.0, "email") for m in self.WRITTEN.finditer(text)]
        out += [_result("EMAIL", m.start(), m.end(), 0.9, "spoken email") for m in self.SPOKEN.finditer(text)]
        return out


UK_POSTCODE = re.compile(r"^[A-Z]{1,2}\d[A-Z\d]?\d[A-Z]{2}$", re.I)
US_ZIP = re.compile(r"^\d{5}(\d{4})?$")


class PostcodeRecognizer(CallRecognizer):
    ENTITIES = ["POSTCODE"]
    WRITTEN_UK = re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}\b", re.I)
    CUE = re.compile(r"\b(post ?code|zip(?: code)?|postal code)\b(?:\s+(?:is|it's|its|it is|that's|um|uh|erm|er|yeah|yes|sure|of|,|:))*", re.I)
    TOKEN = re.compile(r"[A-Za-z0-9]+")
    FILLER = {"is", "it's", "its", "it", "um", "uh", "erm", "er", "yeah", "yes", "sure", "that's", "thats", "ok", "okay"}

    def analyze(self, text, entities, nlp_artifacts=None):
        out = [_result("POSTCODE", m.start(), m.end(), 0.85, "uk postcode") for m in self.WRITTEN_UK.finditer(text)
               if re.search(r"\d", m.group()) and re.search(r"[A-Za-z]", m.group())]
        for cue in self.CUE.finditer(text):
            # the code is said within the next few words, letter by letter or in groups, perhaps after "um, it's"
            tokens = list(self.TOKEN.finditer(text, cue.end(), min(len(text), cue.end() + 80)))[:14]
            for first in range(len(tokens)):
                match = None
                for k in range(min(8, len(tokens) - first), 0, -1):
                    part = tokens[first : first + k]
                    if any(len(t.group()) > 4 and not t.group().isdigit() for t in part):
                        continue
                    joined = "".join(self._expand(t.group()) for t in part)
                    if UK_POSTCODE.match(joined) or US_ZIP.match(joined):
                        match = part
                        break
                if match:
                    out.append(_result("POSTCODE", match[0].start(), match[-1].end(), 0.9, "spoken postcode"))
                    break
        return out

    @staticmethod
    def _expand(word: str) -> str:
        return {"double": "", "triple": ""}.get(word.lower(), word)


STREET = (
    r"street|st|road|rd|avenue|ave|lane|ln|drive|dr|close|way|court|ct|place|pl|boulevard|blvd|crescent|terrace|"
    r"grove|gardens|square|sq|parkway|pkwy|highway|hwy|mews|row|walk|circle|cir|trail|hill|park|rise|view"
)


class AddressRecognizer(CallRecognizer):
    ENTITIES = ["ADDRESS"]
    NUMBERED = re.compile(
        rf"\b(?:(?:flat|apartment|apt|unit|suite)\s+(?:\w+,?\s+)?)?\d{{1,8}}[a-z]?,?\s+(?:[A-Za-z'.-]+\s+){{0,3}}(?:{STREET})\b\.?"
        r"(?:,?\s+(?:flat|apartment|apt|unit|suite)\s+\w+)?",
        re.I,
    )
    TOWN = re.compile(r",\s*([A-Za-z][a-z]+|[A-Z][A-Za-z]+)(?:\s+[A-Z][a-z]+)?(?=\s*(?:[.,!?]|$|\n|\s+(?:i think|please|thanks)\b))")
    NAMED = re.compile(
        rf"\b(?:live (?:on|at|in)|living (?:on|at)|address is|moved to|delivered to|send it to)\s+((?:[A-Za-z'.-]+\s+){{1,3}}?(?:{STREET}))\b",
        re.I,
    )

    def analyze(self, text, entities, nlp_artifacts=None):
        out = [_result("ADDRESS", m.start(), m.end(), 0.95, "street address") for m in self.NUMBERED.finditer(text)]
        out += [_result("ADDRESS", m.start(1), m.end(1), 0.7, "street name") for m in self.NAMED.finditer(text)]
        for i, r in enumerate(out):  # "..., portland": a town after a comma ends the address
            town = self.TOWN.match(text, r.end)
            if town and town.group(1).lower() not in NOT_NAMES and town.group(1).lower() not in STOP_WORDS:
                out[i] = _result("ADDRESS", r.start, town.end(), r.score, "street address and town")
        if nlp_artifacts is not None and out:  # a town or city right after the street belongs to the address
            doc = nlp_artifacts.tokens
            places = [(e.start_char, e.end_char) for e in doc.ents if e.label_ in ("GPE", "LOC", "FAC")]
            for i, r in enumerate(out):
                for s, e in places:
                    if 0 <= s - r.end <= 3 and re.fullmatch(r"[\s,]*", text[r.end : s]):
                        out[i] = _result("ADDRESS", r.start, e, r.score, "street address and town")
        return out


MONTHS = r"jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?"
ORDINAL = (
    r"\d{1,2}(?:st|nd|rd|th)?|first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|eleventh|twelfth|thirteenth|"
    r"fourteenth|fifteenth|sixteenth|seventeenth|eighteenth|nineteenth|twentieth|(?:twenty|thirty)(?:[\s-]+(?:first|second|third|fourth|fifth|sixth|seventh|eighth|ninth))?|thirtieth"
)


class DateOfBirthRecognizer(CallRecognizer):
    ENTITIES = ["DOB"]
    DATE = re.compile(
        rf"\b(?:(?:the\s+)?(?:{ORDINAL})\s+(?:of\s+)?(?:{MONTHS})|(?:{MONTHS})\s+(?:the\s+)?(?:{ORDINAL}))(?:,?\s+(?:\d{{2}}|\d{{4}}))?\b"
        r"|\b\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}\b",
        re.I,
    )

    def analyze(self, text, entities, nlp_artifacts=None):
        spans = [(m.start(), m.end()) for m in self.DATE.finditer(text)]
        if nlp_artifacts is not None:
            spans += [(e.start_char, e.end_char) for e in nlp_artifacts.tokens.ents
                      if e.label_ == "DATE" and re.search(rf"\b(?:{MONTHS})\b|\d{{2,4}}", e.text, re.I)]
        return [_result("DOB", s, e, 0.9, "date after a birth question") for s, e in spans if nearest_cue(text, s) == "DOB"]


BUSINESS_WORDS = frozenset(
    """hotel inn airlines airline air utilities energy mobile wireless bank society insurance support services
    service broadband telecom rentals gyms gym fitness clinic credit union home post mail care team group ltd inc
    limited company plc""".split()
)
STRONG_CUES = re.compile(
    r"\b(?:my name is|my name's|name is|name's|first name is|surname is|last name is|full name is|under the name(?: of)?|"
    r"in the name of|account holder is|speaking with|speaking to|talking to|you're through to|you are through to|"
    r"you've reached|you have reached|ask for|mr|mrs|ms|miss|dr|mister|called)\.?\s*$",
    re.I,
)
MEDIUM_CUES = re.compile(r"\b(?:this is|it's|it is|i'm|i am|me is|here is)\s*$", re.I)
WEAK_CUES = re.compile(r"\b(?:thanks|thank you|hi|hello|hey|bye|goodbye|cheers|sorry|okay|ok|great|morning|afternoon|evening|dear)\s*,?\s*$", re.I)
NAME_QUESTION = re.compile(
    r"\b(?:your (?:full |first |last )?name|full name|surname|who (?:am i|i'm) (?:speaking|talking) (?:with|to)|who's calling|"
    r"who is calling|account holder's name|name of the account holder|name on the (?:account|card|booking|policy))\b",
    re.I,
)
"""A question for a name at the end of the previous turn: the answer's first words are the name."""
ANSWER_PREFIX = re.compile(r"(?:[\s,.]|\b(?:um|uh|erm|er|yeah|yes|yep|sure|okay|ok|so|it's|its|it|is|that's|thats|oh|well|hi|hello)\b)*", re.I)
SPELLED = re.compile(r"\b(?:spelled|spelt|spell(?:ing)?|that's)\s*,?\s+((?:(?:double\s+)?[A-Za-z]\b[\s,.-]*){3,})", re.I)
FUNCTION_POS = {"AUX", "ADP", "DET", "PRON", "CCONJ", "SCONJ", "PART", "NUM", "PUNCT", "SYM"}


class NameRecognizer(CallRecognizer):
    """People's names where the words around them show it: after "my name is", "this is", "Mrs", "thanks", ...

    spaCy's PERSON entities need capital letters; ASR output is often lowercase, so this also reads the cue and the
    parser's part of speech, with the census name lists as extra evidence for the weaker cues.
    """

    ENTITIES = ["PERSON"]

    def analyze(self, text, entities, nlp_artifacts=None):
        if nlp_artifacts is None:
            return []
        first, last = name_lists()
        doc = nlp_artifacts.tokens
        out = []
        for e in doc.ents:
            if e.label_ == "PERSON" and any(t.is_alpha and t.lower_ not in NOT_NAMES and not t.is_stop for t in e) \
                    and not any(t.lower_ in BUSINESS_WORDS for t in e) and not all(t.is_upper and len(t) <= 3 for t in e) \
                    and not (len(e) == 1 and e[0].pos_ in FUNCTION_POS | {"VERB", "ADJ", "ADV"}):  # "Turn on ..."
                out.append(_result("PERSON", e.start_char, e.end_char, 0.85, "spacy person"))
        i = 0
        while i < len(doc):
            tok = doc[i]
            before = text[max(0, tok.idx - 40) : tok.idx]
            if self._answers_name_question(text, tok.idx):
                strength = 3  # "who am I speaking with?" - "um, dorothy mwangi"
            else:
                strength = 3 if STRONG_CUES.search(before) else 2 if MEDIUM_CUES.search(before) else 1 if WEAK_CUES.search(before) else 0
            if strength == 2 and any(k < len(doc) and doc[k].lower_ in ("from", "here", "speaking", "calling") for k in (i + 1, i + 2)):
                strength = 4  # "this is priya from billing", "it's tom here": the shape says name whatever the tagger thinks
            if not strength or not self._could_be_name(tok, first, last, strength):
                i += 1
                continue
            j = i + 1
            while j < len(doc) and j - i < 3 and self._could_be_name(doc[j], first, last, strength, following=True):
                j += 1
            if any(t.lower_ in BUSINESS_WORDS for t in doc[i : min(j + 1, len(doc))]):
                i = j  # "you're through to northlink broadband": a company, not a person
                continue
            out.append(_result("PERSON", tok.idx, doc[j - 1].idx + len(doc[j - 1]), 0.8, "name after a cue"))
            i = j
        for m in SPELLED.finditer(text):
            out.append(_result("PERSON", m.start(1), m.end(1) - len(m.group(1)) + len(m.group(1).rstrip(" ,.-")), 0.8, "spelled out"))
        # A name said to the listener, as the personal_name rule reads it ("anything else today declan", "Good luck
        # with the move, Daniel."): what the tagger counts as the agent using a name is redacted too.
        line_start = 0
        for line in text.split("\n"):
            for name in vocative_names(line):
                for m in re.finditer(rf"(?<![\w'])({re.escape(name)})(?![\w'])", line, re.I):
                    if set(re.findall(r"[a-z]+", line[m.end(1) :].lower())[:2]) & BUSINESS_WORDS:
                        continue  # "Hello, Arden Home Insurance": a company, not a person
                    out.append(_result("PERSON", line_start + m.start(1), line_start + m.end(1), 0.8, "name said to the listener"))
            line_start += len(line) + 1
        return out

    @staticmethod
    def _answers_name_question(text: str, at: int) -> bool:
        """Whether ``at`` starts the answer (after fillers such as "um, yeah it's") to a name question in the previous turn."""
        line_start = text.rfind("\n", 0, at) + 1
        if line_start == 0 or not ANSWER_PREFIX.fullmatch(text[line_start:at]):
            return False
        previous = text[text.rfind("\n", 0, line_start - 1) + 1 : line_start - 1]
        return bool(NAME_QUESTION.search(previous))

    @staticmethod
    def _could_be_name(tok, first: frozenset[str], last: frozenset[str], strength: int, following: bool = False) -> bool:
        low = tok.lower_
        if not tok.is_alpha or len(low) < 2 or low in NOT_NAMES or tok.is_stop:
            return False
        listed = low in first or low in last
        function_word = tok.pos_ in FUNCTION_POS
        if following:  # a surname after a first name
            if strength >= 3:
                return not function_word
            return listed or tok.text[:1].isupper() or tok.pos_ == "PROPN"
        if strength >= 3:
            return not function_word
        if strength == 2:
            return (listed or tok.pos_ == "PROPN" or tok.text[:1].isupper()) and tok.pos_ not in ("VERB", "ADJ", "ADV", "AUX", "ADP", "DET", "NUM")
        return (low in first or tok.text[:1].isupper() and tok.pos_ == "PROPN") and not function_word
