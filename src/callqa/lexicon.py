"""Word lists shared by the stages: people's first names and surnames, and words that are never names.

Used by the redactor (names are personal data) and by the turn features (an agent using the customer's name is the
personal_name act). The lists are in ``callqa/data`` with their provenance.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources


@lru_cache(maxsize=1)
def name_lists() -> tuple[frozenset[str], frozenset[str]]:
    data = resources.files("callqa") / "data"
    first = frozenset((data / "first_names.txt").read_text(encoding="utf-8").split())
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
