"""Generate a synthetic batch of timed transcripts from several agents over several weeks.

Usage: python scripts/make_synthetic_batch.py OUT_DIR [--calls-per-agent 6] [--seed 3]

Agents have styles: "serves" (warm, solves the problem, at most one relevant offer after it is confirmed, takes
no for an answer), "pushes" (pitches while the problem is open, repeats after a no, fires offers into the goodbye),
"scripted" (polite and flat, solves it, no offers) and "curt" (short, blames, leaves problems open). Each call
draws a customer problem and wording from pools, so no two calls are the same. The batch exercises aggregation,
coaching and the report: the pushy agent should rank top on pressure, the serving agent top on rapport.
"""

from __future__ import annotations

import argparse
import json
import random
from datetime import datetime, timedelta
from pathlib import Path

PROBLEMS = [
    ("my internet keeps dropping every evening", "I've found a fault on your line and reset it, it should stay up now", "It's back and it's much faster, thanks", "faster fibre plan for five pounds more a month"),
    ("I've been charged twice this month", "I've refunded the duplicate charge, you'll see it in three days", "Great, that's sorted then, thank you", "annual plan that saves you two months"),
    ("my phone has no signal at home", "I've sent new network settings to your phone, please restart it", "Okay, I've got full bars now, brilliant", "home signal booster for four pounds a month"),
    ("my bill is much higher than usual", "the meter reading was estimated, I've corrected it and your bill is back to normal", "Oh good, that's more like it, thanks", "fixed price tariff for the next two years"),
    ("I can't log in to my account", "I've unlocked your account and sent a reset link", "Yes, I'm in now, perfect", "premium support plan for three pounds a month"),
]
NAMES = ["Sarah", "James", "Priya", "Tom", "Aisha", "Daniel", "Grace", "Omar", "Lucy", "Ben"]
TEAMS = {"north": [("A-serve", "serves"), ("A-push", "pushes"), ("A-plain", "scripted")], "south": [("A-warm", "serves"), ("A-curt", "curt")]}


def call_turns(style: str, rng: random.Random) -> list[tuple[str, str]]:
    problem, fix, confirm, product = rng.choice(PROBLEMS)
    name = rng.choice(NAMES)
    company = rng.choice(["Northwind", "Lumen", "Brightline"])
    t: list[tuple[str, str]] = []
    if style == "serves":
        t += [("agent", f"Good morning, thank you for calling {company}, my name is Alex, how can I help you today?"),
              ("customer", f"Hi, it's {name}. I'm calling because {problem}."),
              ("agent", f"Oh, I'm sorry to hear that, {name}, that must be frustrating. Can I take your account number so I can look into it?"),
              ("customer", "Yes, it's four four one nine two."),
              ("agent", f"Thank you {name}. So if I've understood, {problem.replace('my ', 'your ').replace('I ', 'you ').replace(chr(39)+'ve', ' have')}. Let me check that for you."),
              ("agent", f"I can see what happened, {fix}."),
              ("customer", confirm + "."),
              ("agent", "You're very welcome, I'm glad that's sorted.")]
        if rng.random() < 0.6:
            t += [("agent", f"Since you mentioned it, we also have a {product}. Would that be useful?"),
                  ("customer", rng.choice(["No thanks, I'm happy as I am.", "Maybe, send me the details by email.", "Oh, yes please, go on then."]))]
        t += [("agent", f"Is there anything else I can help you with today, {name}?"), ("customer", "No, that's all, thank you so much."), ("agent", f"Take care {name}, have a lovely day, goodbye.")]
    elif style == "pushes":
        t += [("agent", f"{company}, Gary speaking."),
              ("customer", f"Hi, {problem} and I'm really fed up, this is the third time I've called."),
              ("agent", "Account number?"),
              ("customer", "It's seven seven one two nine."),
              ("agent", f"Right. You should really get our {product}, it would stop this kind of thing."),
              ("customer", "No, I don't want that, I just want this fixed."),
              ("agent", f"Honestly the {product} deal is only today, you'd be mad to miss it."),
              ("customer", "I said no. Please just fix the problem."),
              ("agent", f"Fine. {fix[0].upper() + fix[1:]}."),
              ("customer", "Okay. I have to go now."),
              ("agent", "Before you go, can I add our premium support and the insurance bundle? Only today at half price."),
              ("customer", "No! Goodbye.")]
    elif style == "scripted":
        t += [("agent", f"Hello, you've reached {company}, how may I assist you?"),
              ("customer", f"Hello, {problem}."),
              ("agent", "Can I have your account number please?"),
              ("customer", "It's three three eight one two."),
              ("agent", f"Thank you. {fix[0].upper() + fix[1:]}."),
              ("customer", "Okay, fine."),
              ("agent", "Is there anything else I can help you with?"),
              ("customer", "No. Bye."),
              ("agent", f"Thank you for calling {company}. Goodbye.")]
    else:  # curt
        t += [("agent", f"{company}."),
              ("customer", f"Hi, {problem}, it's really annoying."),
              ("agent", "Account number."),
              ("customer", "Nine nine one two."),
              ("agent", "That's not on us. You must have done something."),
              ("customer", "That's ridiculous, can you please help me?"),
              ("agent", "You'd have to call back tomorrow."),
              ("customer", "Unbelievable. I'm going to cancel my contract.")]
    return t


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out", type=Path)
    parser.add_argument("--calls-per-agent", type=int, default=6)
    parser.add_argument("--seed", type=int, default=3)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    args.out.mkdir(parents=True, exist_ok=True)
    start = datetime(2026, 10, 5, 9, 0)
    n = 0
    for team, agents in TEAMS.items():
        for agent_id, style in agents:
            for k in range(args.calls_per_agent):
                when = start + timedelta(days=7 * (k % 4) + rng.randint(0, 4), hours=rng.randint(0, 7))
                clock, turns = 0.0, []
                for speaker, text in call_turns(style, rng):
                    gap = rng.uniform(0.3, 1.2) if style != "pushes" else rng.uniform(-0.6, 0.4)
                    start_t = max(0.0, clock + gap)
                    dur = 0.35 * len(text.split()) + rng.uniform(0.2, 0.8)
                    turns.append({"speaker": speaker, "text": text, "start": round(start_t, 2), "end": round(start_t + dur, 2)})
                    clock = start_t + dur
                call_id = f"{agent_id.lower()}-{k + 1:02d}"
                doc = {"call_id": call_id, "agent_id": agent_id, "team": team, "started_at": when.isoformat(), "turns": turns}
                (args.out / f"{call_id}.json").write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")
                n += 1
    print(f"wrote {n} calls to {args.out}")


if __name__ == "__main__":
    main()
