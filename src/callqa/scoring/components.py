"""Measurable components of a tagged call, each with the turns that show it.

Scorers combine these with the scorecard's weights. A component is a number (mostly 0-1 or a count) plus
evidence: the turns behind it and why. Everything here reads the turns' acts and phases (nlp stage) and text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from callqa.model import Turn
from callqa.scoring.dynamics import NEGATIVE_WORDS, POSITIVE_WORDS, turn_sentiment

POLITE = re.compile(r"\b(please|thank|thanks|sorry|of course|happy to|my pleasure|you'?re welcome|no problem|lovely|certainly|absolutely|take your time|no pressure)\b", re.I)
BLAME = re.compile(r"\b(that'?s on you|your (own )?fault|you must have|that'?s your choice|it'?s policy|not (on|our) us|you should have|it'?ll be done when|that'?s not our problem|you'?d have to)\b", re.I)
URGENCY = re.compile(r"\b(today only|only today|ends (this|on|friday|today|at)|last chance|midnight|won'?t come back|price goes up|limited|before it'?s gone|regret|really should|no ?brainer|mad to miss|silly to say no|not fair to)\b", re.I)
LEAVING = re.compile(r"\b(have to (go|run|dash)|got to (go|run|dash)|need to (go|run)|i'?m (late|off)|picking the kids|that'?s all i needed|gotta go)\b", re.I)
CHURN = re.compile(r"\b(cancel (my|the|everything|it)|switch(ing)? (to )?(another|a different|provider)|leave you|never (flying|using|shopping|coming)|going elsewhere|dispute it|close my account|take my business)\b", re.I)
# Warmth beyond plain thanks, in the customer's last turns ("thank you so much", "you've been brilliant").
WARMTH = re.compile(r"\b(so much|really appreciate|brilliant|amazing|fantastic|wonderful|lovely|perfect|excellent|made my (day|week)|you'?ve been (great|brilliant|amazing|lovely|(so |really )?helpful)|so helpful|really helpful|great help|star|legend|relief|thank (goodness|god))\b", re.I)
# The words of a closing formula ("no that's it, thanks, bye"): a turn made only of them says nothing of the mood
# beyond its thanks.
CLOSING_WORDS = frozenset(
    "no nope nah yes yeah yep ok okay right alright that's thats it all everything nothing else i think thanks thank "
    "you cheers bye goodbye now too and see take care um uh er erm oh well then so just for today that is was".split()
)
# A bare reply that accepts without warmth ("Fine.", "Whatever.", "No. Goodbye.").
BARE = re.compile(r"^\W*(fine|whatever|okay|ok|right|no|yes|yeah|sure|bye|goodbye)\W*(fine|bye|then|goodbye|whatever)?\W*$", re.I)
PITCH_NOUNS = re.compile(r"\b(plan|cover|upgrade|card|bundle|package|insurance|membership|protection|warranty|add-?on|pack|tariff|pass|boarding|audit|saver|subscription|booster|tier|channel|service)\b", re.I)


@dataclass
class Component:
    value: float
    turns: list[int] = field(default_factory=list)
    reason: str = ""


@dataclass
class CallFacts:
    """Everything the scorers need, computed once per call."""

    turns: tuple[Turn, ...]
    sentiment: dict[int, float]
    offers: list[dict]
    first_confirm: int | None
    first_statement: int | None
    components: dict[str, Component]


def _agent(turns: tuple[Turn, ...]) -> list[int]:
    return [i for i, t in enumerate(turns) if t.speaker == "agent"]


def _customer(turns: tuple[Turn, ...]) -> list[int]:
    return [i for i, t in enumerate(turns) if t.speaker == "customer"]


def offer_product(text: str) -> str:
    """The product a pitch names: the noun phrase with a product word, else the longest noun phrase."""
    from callqa.nlp.features import load_spacy

    doc = load_spacy()(text)
    chunks = [c for c in doc.noun_chunks if c.root.pos_ in ("NOUN", "PROPN")]
    named = [c for c in chunks if PITCH_NOUNS.search(c.text)]
    pick = max(named or chunks, key=lambda c: len(c.text), default=None)
    if pick is None:
        return ""
    words = [t.text for t in pick if t.pos_ not in ("DET", "PRON") and t.lower_ not in ("our", "your", "the", "a", "an")]
    return " ".join(words).lower()


def call_facts(turns: tuple[Turn, ...], dynamics: dict) -> CallFacts:
    agent, customer = _agent(turns), _customer(turns)
    has = lambda i, act: act in turns[i].acts  # noqa: E731
    sentiment = {i: turn_sentiment(turns[i]) for i in customer}
    first_confirm = next((i for i in customer if has(i, "resolution_confirmed")), None)
    first_statement = next((i for i in agent if has(i, "resolution_statement")), None)
    complaints = [i for i in customer if has(i, "complaint")]
    offer_turns = [i for i in agent if has(i, "offer")]
    declines = [i for i in customer if has(i, "offer_decline")]

    offers = []
    answers = []  # the customer's turn that answered each pitch
    for k, i in enumerate(offer_turns):
        nxt = offer_turns[k + 1] if k + 1 < len(offer_turns) else len(turns)
        response = "ignored"
        for j in range(i + 1, nxt):
            if turns[j].speaker != "customer":
                continue
            if has(j, "offer_accept"):
                response = "accepted"
            elif has(j, "offer_decline"):
                response = "declined"
            elif has(j, "offer_defer"):
                response = "deferred"
            if response != "ignored":
                answers.append(j)
                break
        offers.append({"turn": i, "product": offer_product(turns[i].text), "response": response})

    c: dict[str, Component] = {}
    # -- rapport
    first_agent = agent[0] if agent else None
    c["greeting"] = Component(1.0 if first_agent is not None and has(first_agent, "greeting") else 0.0, [first_agent] if first_agent is not None else [], "agent greets the customer")
    names = [i for i in agent if has(i, "personal_name")]
    c["personal_name"] = Component(min(1.0, len(names) / 2), names, "agent uses the customer's name")
    due = bool(complaints)
    care = [i for i in agent if has(i, "empathy") or has(i, "apology")]
    c["empathy"] = Component((1.0 if care else 0.0) if due or care else 0.5, care or complaints[:1], "empathy or apology where the customer had a problem" if care else "customer's problem met without empathy")
    acks = [i for i in agent if has(i, "acknowledgement")]
    c["acknowledgement"] = Component(min(1.0, 3 * len(acks) / max(len(agent), 1)), acks, "agent acknowledges or paraphrases")
    expl = [i for i in agent if has(i, "explanation")]
    c["explanation"] = Component(min(1.0, len(expl) / 2), expl, "agent explains the cause or the outcome")
    polite = [i for i in agent if POLITE.search(turns[i].text)]
    c["politeness"] = Component(len(polite) / max(len(agent), 1), polite, "courteous wording")
    curt = [i for i in agent if len(turns[i].text.split()) <= 4 and not (set(turns[i].acts) & {"farewell", "greeting", "thanks", "question"})]
    c["curt_replies"] = Component(len(curt) / max(len(agent), 1), curt, "curt reply")
    blame = [i for i in agent if BLAME.search(turns[i].text)]
    c["blame"] = Component(min(1.0, float(len(blame))), blame, "agent blames the customer or hides behind policy")
    end_turns = customer[-2:]
    c["customer_end_mood"] = Component(float(np.mean([sentiment[i] for i in end_turns])) if end_turns else 0.0, end_turns, "customer's mood at the end")
    _end_mood(c, turns, customer, sentiment)
    c["interruptions"] = Component(min(1.0, (dynamics.get("interruptions_by_agent") or 0) / 3), [], "agent talks over the customer")
    # -- resolution
    c["confirmed"] = Component(1.0 if first_confirm is not None else 0.0, [first_confirm] if first_confirm is not None else [], "customer confirms the fix or accepts the outcome")
    c["statement"] = Component(1.0 if first_statement is not None else 0.0, [first_statement] if first_statement is not None else [], "agent states the outcome")
    esc = [i for i, t in enumerate(turns) if "escalation" in t.acts]
    c["escalation"] = Component(1.0 if esc else 0.0, esc, "escalation, ticket, callback or transfer")
    late_complaints = [i for i in customer[-3:] if has(i, "complaint")]
    c["late_complaint"] = Component(1.0 if late_complaints else 0.0, late_complaints, "customer still complaining at the end")
    c["complaints"] = Component(min(1.0, len(complaints) / 3), complaints, "customer complaint")
    # -- offers and pressure
    c["pitches"] = Component(float(len(offer_turns)), offer_turns, "agent pitch")
    repeats = [i for i in offer_turns if any(d < i for d in declines)]
    c["repeat_after_no"] = Component(float(len(repeats)), repeats, "pitch repeated after the customer said no")
    tactics = [i for i in agent if has(i, "pressure_tactic") or (has(i, "offer") and URGENCY.search(turns[i].text))]
    c["pressure_tactics"] = Component(float(len(tactics)), tactics, "urgency, guilt or repeated pitch")
    agent_words = sum(len(turns[i].text.split()) for i in agent)
    pitch_words = sum(len(turns[i].text.split()) for i in offer_turns)
    c["pitch_share"] = Component(pitch_words / agent_words if agent_words else 0.0, offer_turns, "share of the agent's talk spent pitching")
    after = [j for i in offer_turns for j in customer if i < j <= i + 2]
    c["mood_after_pitch"] = Component(float(np.mean([max(0.0, -sentiment[j]) for j in after])) if after else 0.0, [j for j in after if sentiment[j] < 0], "customer upset after a pitch")
    # a gentle follow-up: the agent's next turn after the customer answered a pitch asks about it again without
    # pitching again (closing questions such as "anything else?" are not follow-ups)
    follow_ups = [
        j + 1
        for j in answers
        if j + 1 < len(turns) and turns[j + 1].speaker == "agent" and has(j + 1, "question") and not has(j + 1, "offer") and turns[j + 1].phase != "closing"
    ]
    c["follow_up"] = Component(float(len(follow_ups)), follow_ups, "follow-up question after the customer answered a pitch")
    sidelined = [i for i in offer_turns if first_confirm is None or i < first_confirm]
    c["problem_sidelined"] = Component(1.0 if sidelined else 0.0, sidelined, "pitch while the problem is still open")
    return CallFacts(turns, sentiment, offers, first_confirm, first_statement, c)


def closing_formula(text: str) -> bool:
    """Is ``text`` only a closing formula ("no that's it thanks bye", "you too")?"""
    words = re.findall(r"[a-z']+", text.lower().replace("’", "'"))
    return bool(words) and all(w in CLOSING_WORDS for w in words)


def _end_mood(c: dict[str, Component], turns: tuple[Turn, ...], customer: list[int], sentiment: dict[int, float]) -> None:
    """The customer's mood in their last turns, as components for the end-sentiment model: the mood of the last two
    turns that say more than a closing formula, warmth, thanks, bare replies, and positive and negative words."""
    said = [i for i in customer if not closing_formula(turns[i].text)][-2:] or customer[-2:]
    last3 = customer[-3:]
    c["end_mood_said"] = Component(float(np.mean([sentiment[i] for i in said])) if said else 0.0, said, "customer's mood in their last words beyond the goodbye")
    warm = [i for i in last3 if "wow" in turns[i].acts or WARMTH.search(turns[i].text)]
    c["end_warmth"] = Component(1.0 if warm else 0.0, warm, "customer warm at the end")
    thanks = [i for i in last3 if "thanks" in turns[i].acts]
    c["end_thanks"] = Component(1.0 if thanks else 0.0, thanks, "customer thanks the agent at the end")
    bare = [i for i in said if BARE.match(turns[i].text)]
    c["end_bare"] = Component(1.0 if bare else 0.0, bare, "customer's bare reply at the end")
    for name, pattern, reason in (("end_positive_words", POSITIVE_WORDS, "positive words at the end"), ("end_negative_words", NEGATIVE_WORDS, "negative words at the end")):
        counts = {i: len(pattern.findall(turns[i].text)) for i in last3}
        c[name] = Component(min(2.0, sum(counts.values()) / 2), [i for i, n in counts.items() if n], reason)
