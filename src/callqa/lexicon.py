"""Word lists shared by the stages (people's first names and surnames, words that are never names), the text
normalisation the cue matching uses, and the personal_name rule.

Used by the redactor (names are personal data), by the turn features, and by the tagger, which reads the
personal_name act (the agent uses the customer's name) with ``says_customer_name``. The lists are in
``callqa/data`` with their provenance.
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources


@lru_cache(maxsize=1)
def name_lists() -> tuple[frozenset[str], frozenset[str]]:
    data = resources.files("callqa") / "data"
    first = frozenset(
        w for name in ("first_names.txt", "first_names_world.txt") for w in (data / name).read_text(encoding="utf-8").split()
    )
    last = frozenset((data / "last_names.txt").read_text(encoding="utf-8").split())
    return first, last


NOT_NAMES = frozenset(
    """calling phoning ringing speaking here just really still very so glad sure fine good great okay ok alright right
    sorry afraid happy looking trying going wondering hoping after about regarding from with your a an the not no yes
    yeah yep nope well actually basically literally gonna wanna customer service team department billing support sales
    manager agent advisor adviser representative help helping hold back frustrated annoyed upset worried confused
    ridiculous unacceptable fantastic brilliant perfect lovely wonderful cool done ready waiting told been having
    getting doing making taking leaving moving paying using ringing one two three four five six seven eight nine ten
    hi hello hey bye goodbye thanks thank cheers morning afternoon evening everyone all guys sir madam maam mate love
    dear please much lot um uh erm er hmm mm ah oh yes today tomorrow yesterday tonight now then there monday
    tuesday wednesday thursday friday saturday sunday weekend january february march april may june july august
    september october november december spelled spelt spell spelling man mate buddy pal dude folks lady gentleman
    darling son pounds pound dollars dollar euros euro quid pence cents percent perfect glad order number account card policy address postcode thing""".split()
)

# First names in the census lists that are also everyday words on a service call ("your bill", "hang on",
# "a long time", "I hope", "pound sterling"): never taken as a name without a title before them.
COMMON_WORD_NAMES = frozenset(
    """my in else see dot will bill mark hope grace joy rose sunny art guy chance pat sandy dawn faith ray rich
    frank drew gene jack kit max star king grant ward van lane long hang soon brook loan ha maple willow france
    denver major page carol angel holly lou don sol al ed fern iris ivy jade amber crystal penny bud buck chase
    clay cliff dale dean earl glen harmony heath hunter jewel lee les liberty lynn miles nick patience pearl
    porter reed rod rusty sterling summer winter autumn tad wade walker cody bell golden rocky royal sage scott
    shelby sonny spring tina toby young ernest marshall mason""".split()
)
TITLES = frozenset({"mr", "mrs", "ms", "miss", "mister"})


def name_words(text: str) -> set[str]:
    """Lower-case words of ``text`` that are people's names: a first name from the census list that is not an
    everyday word, or any word after a title ("Mr Holt")."""
    first, _ = name_lists()
    words = text.split()
    out = {w for w in words if w in first and w not in NOT_NAMES and w not in COMMON_WORD_NAMES}
    out |= {b for a, b in zip(words, words[1:]) if a in TITLES and b.isalpha() and b not in NOT_NAMES}
    return out


# Where a speaker gives their own name. A strong cue takes the next word as a name whatever it is; a weak one
# ("it's", "I'm", "this is") only when the word reads as a name: a census first name, capitalised mid-sentence,
# followed by a census surname or by "from" ("this is Tomasz from Brightwell"), or in answer to "can I take your name?".
_STRONG_SELF = re.compile(r"\b(?:my name is|my name's|name's|name is|call me|you can call me)\s+([a-z]+)")
_WEAK_SELF = re.compile(r"\b(?i:it's|it is|i'm|i am|this is)[\s,]+([A-Za-z]+)(?:\s+([A-Za-z]+))?")
# A customer giving a title and a name ("it's Mr Arthur Bell"): the two words after the title are names.
_TITLE = "|".join(sorted(TITLES))
_TITLED_SELF = re.compile(rf"\b(?:it's|it is|i'm|i am|this is|name is|name's)\s+(?:{_TITLE}|dr|doctor)\s+([a-z]+(?: [a-z]+)?)")
# A reply to "can I take your name?" that starts with the name, after any filler ("declan moran", "Gareth Lloyd,
# twelfth of March"): the first word is a name when it is a listed first name or the next word a listed surname.
_BARE_NAME = re.compile(r"^\W*(?:(?i:yeah|yes|yep|sure|um+|uh+|erm?|oh|okay|ok|right|so|hi|hello)\W+)*([A-Za-z]+)(?:[ ]+([A-Za-z]+))?")
# An agent turn that asks who is calling: the customer's next turn gives a name after a weak cue too.
_ASKS_NAME = re.compile(r"\b(?:your (?:full |first |last )?name|name on the|who am i (?:speaking|talking)|who i'm (?:speaking|talking)|who do i have|who's calling|your surname)\b")
_SURNAME_SELF = re.compile(r"\b(?:surname(?: is|'s)?|last name(?: is|'s)?|family name(?: is|'s)?)\s+([a-z]+)")
_AGENT_SELF = re.compile(
    r"\b(?:my name is|my name's|name's|this is|i'm|i am|speaking with|speaking to|through to|with you is)\s+([a-z]+)|\b([a-z]+) speaking\b"
)
# A census first name, or a title and a name, the agent says to the customer, as a name read off the account is
# said: after a greeting, thanks or an acknowledgement ("thanks jasmine", "thank you mrs lane"), between a comma and
# the end of a sentence ("Good luck with the move, Daniel."), or ending the turn after anything but a preposition or
# a copula ("best of luck in portland sofia", not "our engineer is daniel").
_VOCATIVE_BEFORE = frozenset("thanks thank you hi hello hey bye goodbye sorry okay ok right morning afternoon evening cheers welcome perfect great lovely brilliant".split())
_NOT_VOCATIVE_BEFORE = frozenset("to with from for and or by at in on of about than like called named ask tell is was be been it's that's dr doctor".split())
# "..., Daniel." / "..., Mrs Lane!": a name, titled or not, between a comma and the end of a clause.
_COMMA_NAME = re.compile(rf",\s*(?:({_TITLE})\.?\s+)?([A-Za-z]+)\s*[.!?,]", re.IGNORECASE)
# An agent's opening turn that asks for or greets the person called, as an outbound call opens ("could I speak to
# Mrs Delaney?", "hi, is that Mr Osei?", "hello Mrs Ward"): those names are the customer's, not the agent's own.
_ADDRESSED = re.compile(
    rf"\b(?:is that|speak (?:to|with)|talk (?:to|with)|(?:am i|i'm) (?:speaking|talking) (?:to|with)|"
    rf"(?:hi|hello|morning|afternoon|evening)(?= (?:{_TITLE}) ))\s+((?:{_TITLE}) )?([a-z]+)(?: ([a-z]+))?"
)
# A name a redactor has replaced ("Thanks, [NAME]."): in an agent turn after the opening one, the customer's.
_REDACTED_NAME = re.compile(r"[\[<](?:name|person)[\]>]", re.IGNORECASE)
_NUMBER_WORDS = frozenset("zero oh one two three four five six seven eight nine ten eleven twelve hundred thousand double triple".split())


def normalise(text: str) -> str:
    """``text`` lower-cased, without punctuation, in single spaces: a typed transcript as a recogniser writes it."""
    text = text.lower().replace("’", "'")
    text = re.sub(r"[^\w' ]+", " ", text)
    return " ".join(text.split())


def _could_be_name(word: str, titled: bool = False) -> bool:
    """Not a word that is never a name; after a title ("Mrs Lane", "Mr Bell") everyday words that are names pass."""
    from spacy.lang.en.stop_words import STOP_WORDS

    w = word.lower()
    common = w in COMMON_WORD_NAMES and not titled
    return len(w) > 1 and w.isalpha() and not common and w not in NOT_NAMES and w not in STOP_WORDS and w not in _NUMBER_WORDS


def given_names(text: str, asked: bool = False) -> set[str]:
    """Lower-case names a speaker gives for themself in ``text`` ("it's Kwame Asante", "my name's Dan", "the
    surname's Okafor"), plus every listed first name in it; ``asked``: the turn answers a question for a name, so
    a reply that starts with a name ("declan moran") gives it too."""
    first, last = name_lists()
    plain = normalise(text)
    out = set(name_words(plain))
    out |= {m.group(1) for m in _STRONG_SELF.finditer(plain)}
    out |= {m.group(1) for m in _SURNAME_SELF.finditer(plain)}
    raw = text.replace("’", "'")
    titled = {w for m in _TITLED_SELF.finditer(plain) for w in m.group(1).split() if _could_be_name(w, titled=True)}
    for m in _WEAK_SELF.finditer(raw):
        word, after = m.group(1), (m.group(2) or "").lower()
        if asked or word.lower() in first or word[0].isupper() or after in last or after == "from":
            out.add(word.lower())
    bare = _BARE_NAME.match(raw) if asked else None
    if bare:
        word, after = bare.group(1).lower(), (bare.group(2) or "").lower()
        if word in first or after in last:
            out.add(word)
        if after in last:
            out.add(after)
    return {w for w in out if _could_be_name(w)} | titled


def vocative_names(text: str, words: list[str] | None = None) -> set[str]:
    """Lower-case names in ``text`` (``words``: its normalised words) said to the listener rather than about
    someone: first names from the lists and words after a title ("Mr Marsh" counts as its title does)."""
    first, _ = name_lists()
    words = normalise(text).split() if words is None else words
    out = set()
    for k, w in enumerate(words):
        titled = k > 0 and words[k - 1] in TITLES
        if not (titled or w in first) or not _could_be_name(w, titled):
            continue
        j = k - 1 if titled else k  # the name's first word
        before = words[j - 1] if j else ""
        if before in _VOCATIVE_BEFORE or (k == len(words) - 1 and before not in _NOT_VOCATIVE_BEFORE):
            out.add(w)
    for m in _COMMA_NAME.finditer(text):
        w, titled = m.group(2).lower(), m.group(1) is not None
        if (titled or w in first) and _could_be_name(w, titled):
            out.add(w)
    return out


def says_customer_name(texts: list[str], speakers: list[str]) -> list[bool]:
    """Per turn: is it an agent turn that says the customer's name (the guide's personal_name)?

    The customer's names are those they give in any of their turns (``given_names``), less the agent's own (named
    in the agent's first turn); an agent turn says one if it holds one of those words; or, after the opening turn, a
    first name or a title and a name said to the listener, as a name read off the account is ("Thanks, Jasmine.",
    "thank you mrs lane"; not "I'll pass this to Daniel in billing"); or, in a transcript already redacted, a name
    placeholder ("[NAME]", as callqa writes it) anywhere but the agent's opening turn. An opening turn that asks for
    or greets the person called by name ("hi, is that Mr Osei?", as an outbound call opens) says the customer's name,
    and that name is the customer's in every later turn.
    """
    plains = [normalise(t) for t in texts]
    first_agent = next((i for i, s in enumerate(speakers) if s == "agent"), None)
    own: set[str] = set()
    addressed: set[str] = set()
    if first_agent is not None:
        opening = plains[first_agent]
        first, last = name_lists()
        for m in _ADDRESSED.finditer(opening):
            titled, name, surname = m.group(1) is not None, m.group(2), m.group(3)
            # a title and any word, or a census first name ("is that steve"; not "is that okay", "speak to whoever")
            if (titled or name in first) and _could_be_name(name, titled):
                addressed.add(name)
                if surname in last or surname in first:  # "mr daniel frost"; not "mr osei it's ben calling"
                    addressed.add(surname)
        own = (name_words(opening) | {m.group(1) or m.group(2) for m in _AGENT_SELF.finditer(opening)}) - addressed
    asked = [i > 0 and speakers[i - 1] == "agent" and bool(_ASKS_NAME.search(plains[i - 1])) for i in range(len(texts))]
    customer = (set().union(*(given_names(t, a) for t, s, a in zip(texts, speakers, asked) if s == "customer")) | addressed) - own
    out = []
    for i, (p, s) in enumerate(zip(plains, speakers)):
        words = p.split()
        later = i != first_agent
        redacted = later and bool(_REDACTED_NAME.search(texts[i]))
        spoken_to = later and s == "agent" and bool(vocative_names(texts[i], words) - own)
        opens_to = not later and bool(addressed)
        out.append(s == "agent" and (redacted or spoken_to or opens_to or bool(customer & set(words))))
    return out
