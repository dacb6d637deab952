"""Build ``src/callqa/data/first_names_world.txt``: first names the 1990 US census list lacks.

The census list (``first_names.txt``) misses most Irish, Indian, African and newer British names ("aoife",
"declan", "priya"), so the personal_name rule and the redactor could not read them as names. This takes the
first-name lists of Faker's English-speaking locales (en_GB, en_IE, en_IN, en_KE, en_NG, en_NZ, en_PK, en_US;
MIT licence), keeps the one-word alphabetic names not already in the census list, and drops the ones that are also
everyday English words: those with a word frequency (wordfreq's Zipf scale, English) of 3.5 or more, less a
reviewed list of names kept anyway, and a reviewed list of rarer words dropped.

Needs ``pip install faker==40.54.0 wordfreq==3.1.1`` (not callqa's own requirements; run it in a scratch
environment):  python scripts/build_first_names.py
"""

from __future__ import annotations

import importlib
import re
from pathlib import Path

LOCALES = ("en_GB", "en_IE", "en_IN", "en_KE", "en_NG", "en_NZ", "en_PK", "en_US")
COMMON = 3.5  # Zipf frequency from which a name is taken for an everyday word
KEEP = set(
    """angus archer ari benson campbell clive cohen collins connor conor cooper dev evans finn flynn fraser gareth gibson
    giles harper humphrey hussein ibrahim kane kennedy liam nate nixon peterson peyton poppy robinson rodgers rogers
    ryder zach""".split()
)
DROP = set("che eta immaculate lavender loot katana ibn ati wadi oni basel".split())
DATA = Path(__file__).resolve().parents[1] / "src" / "callqa" / "data"


def main() -> None:
    from wordfreq import zipf_frequency

    names: set[str] = set()
    for locale in LOCALES:
        provider = importlib.import_module(f"faker.providers.person.{locale}").Provider
        for attr in ("first_names", "first_names_male", "first_names_female"):
            names |= {n.lower() for n in getattr(provider, attr, ()) if re.fullmatch(r"[A-Za-z]{2,}", n)}
    census = set((DATA / "first_names.txt").read_text(encoding="utf-8").split())
    kept = sorted(
        n for n in names - census if (zipf_frequency(n, "en") < COMMON and n not in DROP) or n in KEEP
    )
    (DATA / "first_names_world.txt").write_text("\n".join(kept) + "\n", encoding="utf-8")
    print(f"{len(kept)} names written to {DATA / 'first_names_world.txt'}")


if __name__ == "__main__":
    main()
