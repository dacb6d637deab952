"""The four scores, the offers, the flags and the conversation metrics of a tagged call.

Scorers are registered by versioned name (``rapport.v1``...); a released version never changes behaviour, a
change ships as ``v2`` beside it. The scorecard (TOML, versioned; ``--scorecard FILE`` for a team's own) names
the scorer for each score and holds the weights and thresholds; the default one's weights were fitted to the
labelled training calls by ``scripts/fit_scorecard.py`` (docs/METRICS.md says how).
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Callable
from dataclasses import replace
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from callqa.errors import OptionError
from callqa.model import CallResult
from callqa.scoring.components import CHURN, LEAVING, CallFacts, call_facts
from callqa.scoring.dynamics import conversation_dynamics

SCORERS: dict[str, Callable[[CallFacts, dict], dict]] = {}
SCORE_NAMES = ("rapport", "resolution", "offer_timing", "cross_sell_pressure")
# numbers a scorer reads from its scorecard section, checked when the scorecard is loaded
SETTINGS: dict[str, tuple[str, ...]] = {"cross_sell_pressure.v2": ("several", "within_level")}


def register(name: str):
    def deco(fn):
        if name in SCORERS:
            raise ValueError(f"scorer {name!r} is registered twice")
        SCORERS[name] = fn
        return fn

    return deco


def _evidence(facts: CallFacts, turn: int, reason: str) -> dict:
    t = facts.turns[turn]
    quote = t.text if len(t.text) <= 200 else t.text[:197] + "..."
    return {"turn": turn, "start": t.start, "end": t.end, "quote": quote, "reason": reason}


def _linear(facts: CallFacts, section: dict) -> tuple[float, dict, list[dict]]:
    """Weighted sum of components on the 1-5 label scale, mapped to 0-100, with the strongest evidence."""
    weights: dict[str, float] = section["weights"]
    raw = section["intercept"] + sum(w * facts.components[name].value for name, w in weights.items())
    value = max(0.0, min(100.0, (raw - 1.0) / 4.0 * 100.0))
    components = {name: round(facts.components[name].value, 4) for name in weights}
    contributions = sorted(((abs(w * facts.components[n].value), n, w) for n, w in weights.items()), reverse=True)
    reasons: dict[int, list[str]] = {}
    for size, name, w in contributions:
        comp = facts.components[name]
        if size <= 0:
            continue
        sign = "+" if w * comp.value > 0 else "-"
        for turn in comp.turns[:3]:
            reasons.setdefault(turn, []).append(f"{sign} {comp.reason}")
    # one entry per turn, with every reason it shows, strongest components first
    evidence = [_evidence(facts, turn, "; ".join(rs)) for turn, rs in list(reasons.items())[:6]]
    return round(value, 1), components, evidence


@register("rapport.v1")
def rapport_v1(facts: CallFacts, section: dict) -> dict:
    value, components, evidence = _linear(facts, section)
    return {"value": value, "components": components, "evidence": evidence}


@register("cross_sell_pressure.v1")
def cross_sell_pressure_v1(facts: CallFacts, section: dict) -> dict:
    if not facts.offers:
        return {"value": 0.0, "components": {n: 0.0 for n in section["weights"]}, "evidence": []}
    value, components, evidence = _linear(facts, section)
    return {"value": value, "components": components, "evidence": evidence}


@register("cross_sell_pressure.v2")
def cross_sell_pressure_v2(facts: CallFacts, section: dict) -> dict:
    """The annotation guide's 1-5 pressure rubric as a rule over the components, so the level says why.

    1 no offer, or one low-key offer with the answer respected; 2 one offer with a gentle follow-up question;
    3 two or more pitches (a re-pitch after a "maybe" among them); 4 a pitch repeated after a no, or urgency or guilt;
    5 ``several`` or more pitches after a no, with urgency or while the customer's problem was open. value =
    100 x (level - 1 + within_level x t) / (4 + within_level), where t in [0, 1] grows with the number of pitches and
    their share of the agent's talk, so calls of one level still rank; 0 with no offer.
    """
    c = facts.components
    pitches, repeats, tactics = c["pitches"].value, c["repeat_after_no"].value, c["pressure_tactics"].value
    follow, sidelined, share = c["follow_up"].value, c["problem_sidelined"].value, c["pitch_share"].value
    components = {"pitches": pitches, "repeat_after_no": repeats, "pressure_tactics": tactics, "follow_up": follow, "problem_sidelined": sidelined, "pitch_share": round(share, 4)}
    if not facts.offers:
        return {"value": 0.0, "components": {**components, "level": 1}, "evidence": []}
    if repeats >= section["several"] and (tactics or sidelined):
        level, why = 5, ["repeat_after_no", "pressure_tactics", "problem_sidelined"]
    elif repeats or tactics:
        level, why = 4, ["repeat_after_no", "pressure_tactics"]
    elif pitches >= 2:
        level, why = 3, ["pitches"]
    elif follow:
        level, why = 2, ["follow_up"]
    else:
        level, why = 1, ["pitches"]
    t = 0.5 * min(pitches, 5.0) / 5.0 + 0.5 * min(share, 1.0)
    w = section["within_level"]
    value = 100.0 * (level - 1 + w * t) / (4.0 + w)
    evidence, seen = [], set()
    for name in why:
        for turn in c[name].turns[:3]:
            if turn not in seen and c[name].value:
                seen.add(turn)
                evidence.append(_evidence(facts, turn, f"level {level}: {c[name].reason}"))
    return {"value": round(max(0.0, min(100.0, value)), 1), "components": {**components, "level": level}, "evidence": evidence[:6]}


RESOLUTION_STATUSES = ("resolved", "partial", "unresolved")
END_SENTIMENTS = ("positive", "neutral", "negative")


def _multinomial(section: dict, x: list[float], classes: tuple[str, ...]) -> dict[str, float]:
    """P(class) of a multinomial logistic model stored as per-class ``intercepts`` and ``weights``."""
    logits = {k: section["intercepts"][k] + sum(w * v for w, v in zip(section["weights"][k], x)) for k in classes}
    m = max(logits.values())
    z = {k: math.exp(v - m) for k, v in logits.items()}
    total = sum(z.values())
    return {k: v / total for k, v in z.items()}


@register("resolution.v1")
def resolution_v1(facts: CallFacts, section: dict) -> dict:
    """Multinomial logistic model over the resolution components (weights per status in the scorecard)."""
    names = section["features"]
    x = [facts.components[n].value for n in names]
    probs = _multinomial(section, x, RESOLUTION_STATUSES)
    status = max(probs, key=probs.get)
    value = round(100.0 * (probs["resolved"] + 0.5 * probs["partial"]), 1)
    evidence = []
    for name in ("confirmed", "statement", "escalation", "late_complaint"):
        comp = facts.components[name]
        for turn in comp.turns[:2]:
            evidence.append(_evidence(facts, turn, comp.reason))
    return {
        "value": value,
        "status": status,
        "confidence": round(probs[status], 3),
        "components": {n: round(v, 4) for n, v in zip(names, x)},
        "evidence": evidence,
    }


@register("offer_timing.v1")
def offer_timing_v1(facts: CallFacts, section: dict) -> dict:
    """Where the first pitches fall: after the customer confirmed the fix, while it was open, or into the goodbye.

    rushed_close: a pitch in the closing phase, after the customer said they must go or said goodbye, or two or
    more pitches in one turn at the end. before_resolution: a pitch before the customer confirmed the outcome,
    or right after a complaint. Otherwise after_resolution.
    """
    turns = facts.turns
    if not facts.offers:
        return {"value": None, "category": "none", "components": {}, "evidence": []}
    evidence = []
    rushed, early = [], []
    for o in facts.offers:
        i = o["turn"]
        before = [j for j in range(max(0, i - 2), i) if turns[j].speaker == "customer"]
        leaving = any(LEAVING.search(turns[j].text) or "farewell" in turns[j].acts for j in before)
        in_closing = turns[i].phase == "closing"
        if leaving or in_closing:
            rushed.append(i)
            evidence.append(_evidence(facts, i, "pitch squeezed into the goodbye" if in_closing else "pitch after the customer said they had to go"))
        upset = any("complaint" in turns[j].acts for j in before)
        if facts.first_confirm is None or i < facts.first_confirm or upset:
            early.append(i)
            evidence.append(_evidence(facts, i, "pitch while the customer's problem was still open" if not upset else "pitch right after a complaint"))
    first = facts.offers[0]["turn"]
    if rushed and (not early or rushed[0] <= early[0] or first not in early):
        category = "rushed_close"
    elif early:
        category = "before_resolution"
    else:
        category = "after_resolution"
        evidence.append(_evidence(facts, first, "pitch after the customer confirmed the fix"))
        if facts.first_confirm is not None:
            evidence.append(_evidence(facts, facts.first_confirm, "the customer confirmed the fix here"))
    base = section["base"][category]
    relevance = _relevance(facts, first)
    calm = 1.0 if all(facts.sentiment.get(j, 0.0) >= 0 for j in range(max(0, first - 3), first)) else 0.0
    repeats = facts.components["repeat_after_no"].value
    value = base + section["relevance_bonus"] * relevance + section["calm_bonus"] * calm - section["repeat_penalty"] * min(repeats, 3)
    return {
        "value": round(max(0.0, min(100.0, value)), 1),
        "category": category,
        "components": {"first_offer_turn": first, "first_confirmation_turn": facts.first_confirm, "relevance": round(relevance, 3), "calm": calm, "repeats_after_no": repeats},
        "evidence": evidence[:6],
    }


def _relevance(facts: CallFacts, offer_turn: int) -> float:
    """Cosine similarity of the pitch to what the customer said before it (sentence embeddings), 0-1."""
    from callqa.nlp.features import load_embedder

    said = " ".join(t.text for t in facts.turns[:offer_turn] if t.speaker == "customer")
    if not said:
        return 0.0
    a, b = load_embedder().encode([facts.turns[offer_turn].text, said], normalize_embeddings=True, show_progress_bar=False)
    return float(max(0.0, min(1.0, (a @ b))))


@lru_cache(maxsize=4)
def _read_scorecard(path: str | None) -> dict[str, Any]:
    if path is None:
        text = resources.files("callqa.scoring").joinpath("scorecards", "default.v1.toml").read_text(encoding="utf-8")
        source = "default.v1.toml"
    else:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as e:
            raise OptionError(f"{path}: scorecard cannot be read ({e}).") from e
        source = path
    try:
        card = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise OptionError(f"{source}: not valid TOML ({e}).") from e
    for score in SCORE_NAMES:
        scorer = card.get("scorers", {}).get(score)
        if scorer not in SCORERS:
            raise OptionError(f"{source}: [scorers] {score} must be one of {sorted(k for k in SCORERS if k.startswith(score))}. Got {scorer!r}.")
        if score not in card:
            raise OptionError(f"{source}: missing the [{score}] section.")
        for key in SETTINGS.get(scorer, ()):
            value = card[score].get(key)
            if not _number(value):
                raise OptionError(f"{source}: [{score}] {key} must be a number for {scorer}. Got {value!r}.")
    _check_sentiment(card.get("sentiment"), source)
    return card


def _number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _check_sentiment(section: Any, source: str) -> None:
    """[sentiment] holds either a multinomial model over components or the two thresholds."""
    if not isinstance(section, dict):
        raise OptionError(f"{source}: missing the [sentiment] section.")
    if "features" not in section:
        bad = [k for k in ("positive", "negative") if not _number(section.get(k))]
        if bad:
            raise OptionError(f"{source}: [sentiment] needs numbers positive and negative, or features, intercepts and weights. Missing or not a number: {', '.join(bad)}.")
        return
    features = section["features"]
    known = set(call_facts((), {}).components)
    if not isinstance(features, list) or not features or any(f not in known for f in features):
        raise OptionError(f"{source}: [sentiment] features must be a list of components from {sorted(known)}. Got {features!r}.")
    intercepts, weights = section.get("intercepts"), section.get("weights")
    for k in END_SENTIMENTS:
        b = intercepts.get(k) if isinstance(intercepts, dict) else None
        w = weights.get(k) if isinstance(weights, dict) else None
        if not _number(b) or not isinstance(w, list) or len(w) != len(features) or not all(map(_number, w)):
            raise OptionError(f"{source}: [sentiment] needs intercepts.{k} (a number) and weights.{k} ({len(features)} numbers, one per feature).")


def load_scorecard(path: str | Path | None = None) -> dict[str, Any]:
    return _read_scorecard(None if path is None else str(path))


def sentiment_label(value: float, card: dict) -> str:
    s = card["sentiment"]
    return "positive" if value >= s["positive"] else "negative" if value <= s["negative"] else "neutral"


def end_sentiment(facts: CallFacts, card: dict) -> str:
    """The customer's mood at the end: the scorecard's multinomial model over the end-mood components when its
    [sentiment] section has one (``features``, ``intercepts``, ``weights``); otherwise customer_end_mood against
    its ``positive`` and ``negative`` thresholds."""
    s = card["sentiment"]
    if "features" not in s:
        return sentiment_label(facts.components["customer_end_mood"].value, card)
    probs = _multinomial(s, [facts.components[n].value for n in s["features"]], END_SENTIMENTS)
    return max(probs, key=probs.get)


def score_result(result: CallResult, scorecard: str | Path | None = None) -> CallResult:
    """``result`` (tagged by the nlp stage) with scores, offers, flags and metrics."""
    card = load_scorecard(scorecard)
    metrics = conversation_dynamics(result.turns, result.duration_s)
    facts = call_facts(result.turns, metrics)
    scores = {name: SCORERS[card["scorers"][name]](facts, card[name]) for name in SCORE_NAMES}
    for name in SCORE_NAMES:
        scores[name]["scorer"] = card["scorers"][name]
    customer = sorted(facts.sentiment)
    traj = [{"turn": i, "value": round(facts.sentiment[i], 3)} for i in customer]
    start = sum(facts.sentiment[i] for i in customer[:2]) / max(len(customer[:2]), 1) if customer else 0.0
    end = facts.components["customer_end_mood"].value
    metrics = {**metrics, "customer_sentiment": traj, "sentiment_start": round(start, 3), "sentiment_end": round(end, 3), "sentiment_change": round(end - start, 3)}
    churn = [i for i in customer if CHURN.search(result.turns[i].text)]
    flags = {
        "escalated": bool(facts.components["escalation"].value),
        "wow_moment": any("wow" in t.acts for t in result.turns),
        "customer_end_sentiment": end_sentiment(facts, card),
        "churn_risk": bool(churn),
    }
    return replace(
        result,
        scores=scores,
        offers=tuple(facts.offers),
        flags=flags,
        metrics=metrics,
        scorecard={"name": card.get("name"), "version": card.get("version")},
    )
