"""Spoken numbers as digits, with a map back to the original text.

Speech recognisers write a card number as "4111 1111 1111 1111", "4 1 1 1 ..." or "four one one one ...", and a
phone number as "oh seven seven double oh ...". ``digits_view`` rewrites every run of number words and digit groups
as one string of digits, so that the recognisers (Luhn check, phone numbers, length and context rules) see one
number, and keeps for every character of the view the span of the original text it came from.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

UNITS = {"zero": 0, "oh": 0, "o": 0, "nought": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9}
TEENS = {"ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19}
TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fourty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90}
REPEAT = {"double": 2, "triple": 3}
SCALE = {"hundred": 100, "thousand": 1000}
NUMBER_WORDS = set(UNITS) | set(TEENS) | set(TENS) | set(REPEAT) | set(SCALE)

ORDINAL_WORDS = {"first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth"}
_TOKEN = re.compile(r"[A-Za-z]+|\d+|[^\sA-Za-z\d]")
_JOINERS = {"-", ",", ".", "/", ")", "dash", "hyphen", "and"}
"""What may sit between the parts of one spoken number ("four one one one, one one one one"; "twelve oh five").
"and" only inside a number ("two hundred and five"), checked below."""


@dataclass(frozen=True)
class DigitsView:
    """``text`` with number runs written as digits; ``starts[i]``/``ends[i]`` locate character i in the original."""

    text: str
    starts: list[int]
    ends: list[int]
    quantities: list[tuple[int, int]]
    """Spans of the view that are amounts said with "hundred"/"thousand" (not identifiers)."""

    def original(self, start: int, end: int) -> tuple[int, int]:
        """The original span behind the view's ``[start, end)``."""
        return self.starts[start], self.ends[end - 1]


def _is_number(tok: str, prev: str | None, nxt: str | None) -> bool:
    low = tok.lower()
    if tok.isdigit():
        return True
    if low in ("oh", "o"):  # a letter or an exclamation unless it sits among other digits
        return any(t is not None and (t.isdigit() or t.lower() in NUMBER_WORDS - {"oh", "o"}) for t in (prev, nxt))
    if low in REPEAT:
        return nxt is not None and (nxt.isdigit() or nxt.lower() in UNITS)
    return low in NUMBER_WORDS


def _spoken_value(words: list[str]) -> tuple[str, bool]:
    """Digits for a run of number tokens, and whether it was said as an amount (with hundred/thousand).

    Digit by digit ("four one one one") concatenates; "twenty one" is 21; "nineteen eighty five" is 1985;
    "double four" is 44; "two hundred and five" is 205.
    """
    out: list[str] = []
    quantity = False
    i = 0
    while i < len(words):
        w = words[i].lower()
        if w.isdigit():
            out.append(w)
        elif w in REPEAT:
            i += 1
            nxt = words[i].lower()
            out.append((nxt if nxt.isdigit() else str(UNITS[nxt])) * REPEAT[w])
        elif w in UNITS:
            out.append(str(UNITS[w]))
        elif w in TEENS:
            out.append(str(TEENS[w]))
        elif w in TENS:
            value = TENS[w]
            if i + 1 < len(words) and words[i + 1].lower() in UNITS and words[i + 1].lower() not in ("oh", "o", "zero", "nought"):
                i += 1
                value += UNITS[words[i].lower()]
            out.append(str(value))
        elif w in SCALE:
            quantity = True
            base = int(out.pop()) if out else 1
            value = base * SCALE[w]
            rest = []
            while i + 1 < len(words) and words[i + 1].lower() not in SCALE and words[i + 1].lower() != "and" and len("".join(rest)) < 2:
                nxt = words[i + 1].lower()
                if nxt in TENS:
                    i += 1
                    v = TENS[nxt]
                    if i + 1 < len(words) and words[i + 1].lower() in UNITS:
                        i += 1
                        v += UNITS[words[i].lower()]
                    rest.append(str(v))
                elif nxt in TEENS or nxt in UNITS:
                    i += 1
                    rest.append(str(TEENS.get(nxt, UNITS.get(nxt))))
                else:
                    break
            value += int("".join(rest)) if rest else 0
            out.append(str(value))
        elif w == "and":
            pass
        i += 1
    return "".join(out), quantity


def _day_then_year(tokens, first: int, last: int, nxt: int) -> bool:
    """Whether a run that is one day number is followed by a written year ("october 6, 1973")."""
    day, year = tokens[first][0], tokens[nxt][0]
    return first == last and day.isdigit() and len(day) <= 2 and year.isdigit() and len(year) == 4 and year[:2] in ("19", "20")


def digits_view(text: str) -> DigitsView:
    """``text`` with every run of two or more number tokens (or one number word) rewritten as one digit string."""
    tokens = [(m.group(), m.start(), m.end()) for m in _TOKEN.finditer(text)]
    n = len(tokens)
    is_num: list[bool] = []
    for i in range(n):
        tok = tokens[i][0]
        prev = tokens[i - 1][0] if i else None
        nxt = tokens[i + 1][0] if i + 1 < n else None
        after = tokens[i + 2][0] if i + 2 < n and nxt in ("-",) else nxt
        if tok.lower() in TENS and after is not None and after.lower() in ORDINAL_WORDS:
            is_num.append(False)  # "twenty-third" is an ordinal, read by the date rules
        elif tok.lower() in ("oh", "o") and (i and is_num[i - 1] or i > 1 and prev in _JOINERS and is_num[i - 2]):
            is_num.append(True)  # "... nine six three, oh"
        else:
            is_num.append(_is_number(tok, prev, nxt))
    pieces: list[tuple[str, int, int, bool]] = []  # (replacement, orig start, orig end, quantity)
    i = 0
    while i < n:
        if not is_num[i]:
            i += 1
            continue
        j, last = i, i
        while j + 1 < n:
            nxt = j + 1
            if is_num[nxt]:
                j = last = nxt
                continue
            tok = tokens[nxt][0].lower()
            if tok in _JOINERS and nxt + 1 < n and is_num[nxt + 1] and not _day_then_year(tokens, i, j, nxt + 1):
                if tok == "and" and not any(tokens[k][0].lower() in SCALE for k in range(i, nxt)):
                    break
                if tok == "." and tokens[nxt][1] == tokens[j][2] and tokens[j][0].isdigit() and tokens[nxt + 1][0].isdigit():
                    break  # a decimal point ("12.50") is not a joiner
                j = nxt
                continue
            break
        run = [tokens[k][0] for k in range(i, last + 1) if is_num[k]]
        has_words = any(not t.isdigit() for t in run)
        if len(run) > 1 or has_words:
            digits, quantity = _spoken_value(run)
            pieces.append((digits, tokens[i][1], tokens[last][2], quantity))
        i = last + 1
    chars: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    quantities: list[tuple[int, int]] = []
    pos = 0
    for digits, s, e, quantity in pieces:
        for k in range(pos, s):
            chars.append(text[k])
            starts.append(k)
            ends.append(k + 1)
        first = len(chars)
        for _ in digits:
            chars.append(_)
            starts.append(s)
            ends.append(e)
        if quantity:
            quantities.append((first, len(chars)))
        pos = e
    for k in range(pos, len(text)):
        chars.append(text[k])
        starts.append(k)
        ends.append(k + 1)
    return DigitsView("".join(chars), starts, ends, quantities)
