"""Build the labelled corpus (annotation-guide JSON, one file per call) from its authoring source.

Usage: python scripts/build_corpus.py [--src models/corpus/src] [--out models/corpus]

The calls were written by hand in a compact line format that is quicker to write and review than JSON:

    === tel-001                       a call; header lines follow as "key: value"
    industry: telecom                 (industry, agent_id, team, date, resolution, escalated, offer_timing,
    ...                                pressure, rapport, customer_end_sentiment, wow_moment, notes)
    A gr greet | Thank you for ...    a turn: speaker (A/C), phase code, act codes, "|", the text
    A of offer{fibre upgrade} | ...   an offer act names its product in braces; a turn that pitches two
                                      products says offer{...} twice (the turn's acts list offer once)

Phase codes: gr greeting, ve verification, di discovery, re resolution, of offer, cl closing.
The ``offers`` label is derived from the turns: every product pitched in an agent turn with an offer act, and the
customer's first accept/decline/defer act before the next pitch ("ignored" when there is none). Any other act code
given twice on one turn is refused. Source files named
``train-*.calls`` go to ``train/``, ``dev-*.calls`` to ``dev/``, ``holdout-*.calls`` to ``holdout/``.
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

PHASES = {"gr": "greeting", "ve": "verification", "di": "discovery", "re": "resolution", "of": "offer", "cl": "closing"}
ACTS = {
    "greet": "greeting", "verif": "verification_request", "emp": "empathy", "apol": "apology",
    "ack": "acknowledgement", "name": "personal_name", "q": "question", "expl": "explanation", "offer": "offer",
    "acc": "offer_accept", "dec": "offer_decline", "defer": "offer_defer", "rstat": "resolution_statement",
    "rconf": "resolution_confirmed", "compl": "complaint", "esc": "escalation", "thanks": "thanks",
    "bye": "farewell", "press": "pressure_tactic", "wow": "wow",
}
RESPONSES = {"offer_accept": "accepted", "offer_decline": "declined", "offer_defer": "deferred"}
HEADER_KEYS = {"industry", "agent_id", "team", "date", "resolution", "escalated", "offer_timing", "pressure", "rapport",
               "customer_end_sentiment", "wow_moment", "notes"}
LABEL_VALUES = {
    "resolution": {"resolved", "partial", "unresolved"},
    "offer_timing": {"none", "after_resolution", "before_resolution", "rushed_close"},
    "customer_end_sentiment": {"negative", "neutral", "positive"},
}


def parse(text: str, source: str) -> list[dict]:
    calls: list[dict] = []
    call = None
    for n, line in enumerate(text.splitlines(), start=1):
        where = f"{source}:{n}"
        if not line.strip() or line.startswith("#"):
            continue
        if line.startswith("=== "):
            call = {"call_id": line[4:].strip(), "header": {}, "turns": []}
            calls.append(call)
            continue
        if call is None:
            raise ValueError(f"{where}: text before the first '=== call_id' line")
        m = re.match(r"^([AC]) (\w\w)((?: [\w{}' .-]+?)*) \| (.+)$", line)
        if m:
            speaker = "agent" if m.group(1) == "A" else "customer"
            if m.group(2) not in PHASES:
                raise ValueError(f"{where}: unknown phase code {m.group(2)!r}")
            acts, products = [], []
            for code in re.findall(r"[a-z]+(?:\{[^}]*\})?", m.group(3)):
                pm = re.match(r"([a-z]+)\{([^}]*)\}", code)
                if pm:
                    code = pm.group(1)
                    products.append(pm.group(2))
                if code not in ACTS:
                    raise ValueError(f"{where}: unknown act code {code!r}")
                if pm and ACTS[code] != "offer":
                    raise ValueError(f"{where}: only an offer names a product in braces, not {code!r}")
                if ACTS[code] in acts:  # only an offer may repeat, naming another product; acts list it once
                    if not pm:
                        raise ValueError(f"{where}: act code {code!r} given twice")
                    continue
                acts.append(ACTS[code])
            if "offer" in acts and not products:
                raise ValueError(f"{where}: an offer needs its product in braces")
            turn = {"speaker": speaker, "text": m.group(4).strip(), "phase": PHASES[m.group(2)], "acts": acts}
            if products:
                turn["_products"] = products
            call["turns"].append(turn)
            continue
        hm = re.match(r"^(\w+): (.*)$", line)
        if hm and hm.group(1) in HEADER_KEYS:
            call["header"][hm.group(1)] = hm.group(2).strip()
            continue
        raise ValueError(f"{where}: cannot read {line[:60]!r}")
    return [finish(c, source) for c in calls]


def finish(call: dict, source: str) -> dict:
    h = call["header"]
    missing = HEADER_KEYS - set(h) - {"notes"}
    if missing:
        raise ValueError(f"{source} {call['call_id']}: missing {sorted(missing)}")
    for key, allowed in LABEL_VALUES.items():
        if h[key] not in allowed:
            raise ValueError(f"{source} {call['call_id']}: {key}={h[key]!r} not in {sorted(allowed)}")
    turns = call["turns"]
    offers = []
    for i, t in enumerate(turns):
        if t["speaker"] != "agent" or "offer" not in t["acts"]:
            continue
        response = "ignored"
        for later in turns[i + 1 :]:
            if later["speaker"] == "agent" and "offer" in later["acts"]:
                break
            hits = [RESPONSES[a] for a in later["acts"] if a in RESPONSES]
            if later["speaker"] == "customer" and hits:
                response = hits[0]
                break
        offers += [{"turn": i, "product": product, "response": response} for product in t["_products"]]
    if (h["offer_timing"] == "none") != (not offers):
        raise ValueError(f"{source} {call['call_id']}: offer_timing={h['offer_timing']} but {len({o['turn'] for o in offers})} offer turn(s)")
    for t in turns:
        t.pop("_products", None)
    return {
        "call_id": call["call_id"],
        "industry": h["industry"],
        "agent_id": h["agent_id"],
        "team": h["team"],
        "date": h["date"],
        "turns": turns,
        "labels": {
            "resolution": h["resolution"],
            "escalated": h["escalated"] == "true",
            "offers": offers,
            "offer_timing": h["offer_timing"],
            "pressure": int(h["pressure"]),
            "rapport": int(h["rapport"]),
            "customer_end_sentiment": h["customer_end_sentiment"],
            "wow_moment": h["wow_moment"] == "true",
            "notes": h.get("notes", ""),
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    root = Path(__file__).resolve().parent.parent
    parser.add_argument("--src", type=Path, default=root / "models" / "corpus" / "src")
    parser.add_argument("--out", type=Path, default=root / "models" / "corpus")
    args = parser.parse_args()
    # read and check every source before anything is written, so a bad line leaves the corpus as it was
    splits: dict[str, list[dict]] = {}
    seen: dict[str, str] = {}
    for split in ("train", "dev", "holdout"):
        splits[split] = []
        for src in sorted(args.src.glob(f"{split}-*.calls")):
            for call in parse(src.read_text(encoding="utf-8"), src.name):
                if call["call_id"] in seen:
                    raise SystemExit(f"{src.name}: call id {call['call_id']!r} is already used in {seen[call['call_id']]}")
                seen[call["call_id"]] = src.name
                splits[split].append(call)
    counts = {}
    for split, calls in splits.items():
        out = args.out / split
        out.mkdir(parents=True, exist_ok=True)
        for old in out.glob("*.json"):
            old.unlink()
        for call in calls:
            (out / f"{call['call_id']}.json").write_text(json.dumps(call, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        counts[split] = len(calls)
    print(counts)


if __name__ == "__main__":
    main()
