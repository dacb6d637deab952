"""Write the planted-PII test set: labelled calls with personal data said the ways callers say it.

Each call is a call of the labelled corpus (models/corpus) with a verification exchange planted after the agent's
first turn: two to five requests for personal data, each answered in a written form ("4111 1111 1111 1111",
"SW1A 1AA") or a spoken one ("four one one one ...", "s w one a one a a"), in the corpus's cased text or in
lowercase unpunctuated ASR style, and the customer's name used again by the agent later on. Every planted item is
labelled with its turn, character span and type, so tests/test_redact.py can measure recall and check that the
scores barely move when redaction is on.

    python scripts/make_pii_set.py [--calls 60] [--seed 7] [--out tests/data/pii/planted.jsonl]
"""

from __future__ import annotations

import argparse
import json
import random
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

FIRST = """Aisha Bogdan Chiara Dmitri Eamon Fatima Gwen Hiroshi Ifeoma Jonas Kavya Lars Mei Nnamdi Oksana Pradeep Quentin
Rosalind Siobhan Tomasz Ulrike Valentina Wojciech Xiomara Yusuf Zainab Callum Niamh Rhys Imogen Tariq Leilani Mateo
Agnieszka Kwame Ingrid Rahul Shauna Dorothy Graham Benedict Priya Oluwaseun Hamish""".split()
LAST = """Okonkwo Petrovic Rossi Nakamura Fitzgerald Haddad Llewellyn Tanaka Adeyemi Lindqvist Chen Kowalczyk Raman O'Brien
Moreau Vandenberg Gallagher Sandoval Abernathy Nguyen Mwangi Szabo Oyelaran Castellanos MacLeod Whitfield Horvath
Achterberg Balogun Delacroix Thorne Ferreira Nowak Iqbal Kaczmarek Quigley Yamamoto Patel Brennan Halvorsen""".split()
DOMAINS = ["gmail.com", "outlook.com", "yahoo.co.uk", "hotmail.com", "icloud.com", "btinternet.com", "proton.me", "aol.com"]
STREETS = ["Oak Street", "Kings Road", "Maple Avenue", "Beech Close", "Harbour Lane", "Elm Drive", "Station Road",
           "Victoria Crescent", "Willow Way", "Mill Lane", "Cedar Court", "Park Avenue", "Church Street", "Orchard Grove"]
TOWNS = ["Springfield", "Leeds", "Bristol", "Denver", "Cardiff", "Austin", "Glasgow", "Portland"]
UK_POSTCODES = ["SW1A 1AA", "M1 1AE", "B33 8TH", "CR2 6XH", "DN55 1PT", "EH1 2NG", "LS6 3QW", "BS8 1TH", "CF10 3AT", "G12 8QQ"]
DIGIT_WORDS = "zero one two three four five six seven eight nine".split()
MONTHS = "January February March April May June July August September October November December".split()
ORDINALS = ("first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth thirteenth fourteenth fifteenth "
            "sixteenth seventeenth eighteenth nineteenth twentieth twenty-first twenty-second twenty-third twenty-fourth "
            "twenty-fifth twenty-sixth twenty-seventh twenty-eighth").split()
TENS = {2: "twenty", 3: "thirty", 4: "forty", 5: "fifty", 6: "sixty", 7: "seventy", 8: "eighty", 9: "ninety"}
TEENS = "ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen".split()


def luhn_complete(prefix: str, length: int, rng: random.Random) -> str:
    body = prefix + "".join(rng.choice("0123456789") for _ in range(length - len(prefix) - 1))
    total = 0
    for i, ch in enumerate(reversed(body)):
        d = int(ch)
        if i % 2 == 0:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return body + str((10 - total % 10) % 10)


def two_digit_words(n: int) -> str:
    if n < 10:
        return f"oh {DIGIT_WORDS[n]}"
    if n < 20:
        return TEENS[n - 10]
    return TENS[n // 10] + ("" if n % 10 == 0 else " " + DIGIT_WORDS[n % 10])


def spoken_digits(digits: str, rng: random.Random, groups: int = 0) -> str:
    """Digit by digit, with "oh" for zero and "double" for pairs, sometimes, as people read numbers out."""
    words, i = [], 0
    zero = rng.choice(["oh", "zero", "oh"])
    while i < len(digits):
        d = digits[i]
        name = zero if d == "0" else DIGIT_WORDS[int(d)]
        if i + 1 < len(digits) and digits[i + 1] == d and rng.random() < 0.5:
            words.append(f"double {name}")
            i += 2
        else:
            words.append(name)
            i += 1
        if groups and i % groups == 0 and i < len(digits) and rng.random() < 0.5:
            words[-1] += ","
    return " ".join(words)


def year_words(year: int) -> str:
    if 2000 <= year < 2010:
        return f"two thousand and {DIGIT_WORDS[year - 2000]}"
    return f"{two_digit_words(year // 100)} {two_digit_words(year % 100)}"


def value(kind: str, rng: random.Random, person: dict) -> tuple[str, str]:
    """(text, form) for one planted item."""
    spoken = rng.random() < 0.5
    if kind == "CARD":
        number = rng.choice([luhn_complete("4", 16, rng), luhn_complete(rng.choice(["51", "53", "55"]), 16, rng), luhn_complete(rng.choice(["34", "37"]), 15, rng)])
        if spoken:
            return spoken_digits(number, rng, 4), "spoken"
        sep = rng.choice([" ", "-", "", " "])
        return (sep.join(number[i : i + 4] for i in range(0, len(number), 4)) if len(number) == 16 else f"{number[:4]}{sep}{number[4:10]}{sep}{number[10:]}"), "written"
    if kind == "SSN":
        area, group, serial = rng.randint(100, 665), rng.randint(10, 99), rng.randint(1000, 9999)
        if spoken:
            return spoken_digits(f"{area}{group}{serial}", rng), "spoken"
        return rng.choice([f"{area}-{group}-{serial}", f"{area} {group} {serial}"]), "written"
    if kind == "PHONE":
        uk = rng.random() < 0.5
        number = f"07{rng.randint(100, 999)}{rng.randint(100000, 999999)}" if uk else f"{rng.randint(201, 989)}{rng.randint(200, 999)}{rng.randint(1000, 9999)}"
        if spoken:
            return spoken_digits(number, rng, 5 if uk else 3), "spoken"
        if uk:
            return rng.choice([f"{number[:5]} {number[5:]}", f"+44 {number[1:5]} {number[5:]}", number]), "written"
        return rng.choice([f"({number[:3]}) {number[3:6]}-{number[6:]}", f"{number[:3]}-{number[3:6]}-{number[6:]}", f"{number[:3]} {number[3:6]} {number[6:]}"]), "written"
    if kind == "EMAIL":
        user = rng.choice([f"{person['first']}.{person['last']}", f"{person['first'][0]}{person['last']}", f"{person['first']}{rng.randint(1, 99)}"]).lower().replace("'", "").replace(" ", "")
        domain = rng.choice(DOMAINS)
        if spoken:
            said = re.sub(r"(\d+)", lambda m: " " + " ".join(DIGIT_WORDS[int(c)] for c in m.group(1)), user).replace(".", " dot ")
            return f"{said} at {domain.replace('.', ' dot ')}", "spoken"
        return f"{user}@{domain}", "written"
    if kind == "DOB":
        year, month, day = rng.randint(1940, 2004), rng.randint(1, 12), rng.randint(1, 28)
        if spoken:
            return rng.choice([
                f"the {ORDINALS[day - 1]} of {MONTHS[month - 1].lower()} {year_words(year)}",
                f"{MONTHS[month - 1].lower()} {ORDINALS[day - 1]} {year_words(year)}",
                f"{two_digit_words(day)} {two_digit_words(month)} {two_digit_words(year % 100)}",
            ]), "spoken"
        return rng.choice([f"{day:02d}/{month:02d}/{year}", f"{day} {MONTHS[month - 1]} {year}", f"{MONTHS[month - 1]} {day}, {year}", f"{month}/{day}/{year % 100:02d}"]), "written"
    if kind == "ACCOUNT":
        number = "".join(rng.choice("0123456789") for _ in range(rng.choice([8, 8, 10, 12])))
        if rng.random() < 0.25:
            letters = "".join(rng.choice("ABCDEFGHJKLMNPRSTUVWXYZ") for _ in range(2))
            number = number[:6]
            if spoken:
                return f"{' '.join(letters.lower())} {spoken_digits(number, rng)}", "spoken"
            return f"{letters}{number}", "written"
        return (spoken_digits(number, rng, 4), "spoken") if spoken else (number, "written")
    if kind == "POLICY":
        number = "".join(rng.choice("0123456789") for _ in range(rng.choice([7, 8, 9])))
        if spoken:
            return rng.choice([spoken_digits(number, rng), f"p o l dash {spoken_digits(number, rng)}"]), "spoken"
        return rng.choice([f"POL-{number}", number, f"HX{number[:3]} {number[3:]}"]), "written"
    if kind == "POSTCODE":
        if rng.random() < 0.5:
            code = rng.choice(UK_POSTCODES)
            if spoken:
                return " ".join(DIGIT_WORDS[int(c)] if c.isdigit() else c.lower() for c in code.replace(" ", "")), "spoken"
            return rng.choice([code, code.lower(), code.replace(" ", "")]), "written"
        zipcode = f"{rng.randint(10000, 99999)}"
        return (spoken_digits(zipcode, rng), "spoken") if spoken else (zipcode, "written")
    if kind == "ADDRESS":
        number, street = rng.randint(1, 1999), rng.choice(STREETS)
        flat = rng.random() < 0.25
        if spoken:
            n = " ".join(DIGIT_WORDS[int(c)] for c in str(number)) if number > 99 and rng.random() < 0.5 else _number_words(number)
            text = f"{n} {street.lower()}"
            return (f"flat {DIGIT_WORDS[rng.randint(1, 9)]} {text}" if flat else text), "spoken"
        text = f"{number} {street}" + (f", {rng.choice(TOWNS)}" if rng.random() < 0.4 else "")
        return (f"Flat {rng.randint(1, 40)}, {text}" if flat else text), "written"
    if kind == "NAME":
        return f"{person['first']} {person['last']}", "written"
    raise ValueError(kind)


def _number_words(n: int) -> str:
    if n < 10:
        return DIGIT_WORDS[n]
    if n < 100:
        return two_digit_words(n).replace("oh ", "")
    hundreds, rest = divmod(n, 100)
    head = f"{DIGIT_WORDS[hundreds]} hundred" if hundreds < 10 else f"{two_digit_words(n // 100)}"
    if hundreds >= 10:
        return f"{head} {two_digit_words(rest)}" if rest else f"{head} hundred"
    return head + (f" and {two_digit_words(rest).replace('oh ', '')}" if rest else "")


ASKS = {
    "CARD": ["Can I take the long number on the front of the card?", "What's the card number, please?", "And the debit card you'd like to use?", "Could you read me the number on your credit card?"],
    "SSN": ["For security, can I have your social security number?", "I'll need your SSN to verify the account.", "Can you confirm your social, please?"],
    "PHONE": ["What's the best number to reach you on?", "Can I take a contact number in case we get cut off?", "Which mobile number should the texts go to?", "And a phone number for the account?"],
    "EMAIL": ["What's the email address on the account?", "Where should I send the confirmation email?", "Can you confirm your email for me?"],
    "DOB": ["Can I take your date of birth?", "And your date of birth, please?", "Just to confirm, when were you born?", "What's the date of birth on the account?"],
    "ACCOUNT": ["Can I take your account number?", "What's the customer reference on the letter?", "Do you have your membership number handy?", "And the account number, please?"],
    "POLICY": ["What's your policy number?", "Can you give me the policy number from your documents?", "Have you got the policy reference there?"],
    "POSTCODE": ["And the postcode?", "Can I take your zip code?", "What's the postcode at the property?", "Could you confirm the postal code?"],
    "ADDRESS": ["Can I take the first line of your address?", "What's the address the package should go to?", "And your home address?"],
    "NAME": ["Who am I speaking with today?", "Can I take your full name?", "And your name, please?", "Could I get the account holder's name?"],
}
ANSWERS = {
    "NAME": ["My name is {v}.", "It's {v}.", "Yeah it's {v}, that's the account holder.", "{v}.", "Um, {v}.", "this is {v} speaking"],
    "DEFAULT": ["It's {v}.", "Sure, it's {v}.", "Yeah, {v}.", "{v}.", "Um, let me see... {v}.", "Okay so it's {v}", "That would be {v}, I think."],
}
USE_NAME = ["Thanks, {first}, that's all confirmed.", "Lovely, thank you {first}.", "Right, Mrs {last}, I can see the account now.", "Okay {first}, bear with me a moment.", "Thank you Mr {last}."]


def asr_style(text: str) -> str:
    """Lowercase, no punctuation: what a recogniser without punctuation gives."""
    return re.sub(r"\s+", " ", re.sub(r"[^\w\s'@/+()-]", " ", text.lower())).strip()


def plant(call: dict, rng: random.Random, call_id: str) -> dict:
    person = {"first": rng.choice(FIRST), "last": rng.choice(LAST)}
    kinds = ["NAME"] + rng.sample([k for k in ASKS if k != "NAME"], rng.randint(2, 5))
    lower = rng.random() < 0.4
    block: list[tuple[dict, list[tuple[int, int, str, str]]]] = []
    for kind in kinds:
        block.append(({"speaker": "agent", "text": rng.choice(ASKS[kind]), "phase": "verification", "acts": ["verification_request", "question"]}, []))
        text, form = value(kind, rng, person)
        answer = rng.choice(ANSWERS.get(kind, ANSWERS["DEFAULT"]))
        if lower:
            text, answer = text.lower(), asr_style(answer.replace("{v}", "qqvqq")).replace("qqvqq", "{v}")
        say = answer.replace("{v}", text)
        at = say.index(text)
        block.append(({"speaker": "customer", "text": say, "phase": "verification", "acts": []}, [(at, at + len(text), kind, form)]))
    use = rng.choice(USE_NAME).format(**person)
    if lower:
        use = asr_style(use).replace(person["first"].lower(), person["first"].lower())
    name = person["first"] if "{first}" in use or person["first"].lower() in use.lower() else person["last"]
    m = re.search(re.escape(name), use, re.I)
    block.append(({"speaker": "agent", "text": use, "phase": "verification", "acts": ["personal_name", "thanks"]}, [(m.start(), m.end(), "NAME", "written")]))
    turns = [dict(t) for t in call["turns"]]
    first_agent = next(i for i, t in enumerate(turns) if t["speaker"] == "agent")
    new_turns = turns[: first_agent + 1] + [t for t, _ in block] + turns[first_agent + 1 :]
    pii = []
    for k, (_, items) in enumerate(block):
        for start, end, kind, form in items:
            pii.append({"turn": first_agent + 1 + k, "start": start, "end": end, "type": kind, "form": form,
                        "style": "asr" if lower else "cased", "text": new_turns[first_agent + 1 + k]["text"][start:end]})
    return {"call_id": call_id, "agent_id": call.get("agent_id"), "team": call.get("team"), "turns": new_turns, "pii": pii}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--calls", type=int, default=60)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--out", type=Path, default=ROOT / "tests" / "data" / "pii" / "planted.jsonl")
    args = ap.parse_args()
    rng = random.Random(args.seed)
    sources = sorted((ROOT / "models" / "corpus").glob("*/*.json"))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    n_items = 0
    with args.out.open("w", encoding="utf-8") as f:
        for i in range(args.calls):
            src = json.loads(rng.choice(sources).read_text(encoding="utf-8"))
            planted = plant(src, rng, f"pii-{i:03d}-{src['call_id']}")
            n_items += len(planted["pii"])
            f.write(json.dumps(planted, ensure_ascii=False) + "\n")
    print(f"wrote {args.calls} calls with {n_items} planted items to {args.out}")


if __name__ == "__main__":
    main()
