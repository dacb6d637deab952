"""Conversation dynamics from timed turns, and per-turn customer sentiment.

Definitions (times in seconds; only turns with start and end count; docs/METRICS.md has the long form):
- talk_ratio_agent / talk_ratio_customer: each side's speaking time (union of its turns) over both sides' total.
- non_talk_s: call duration minus the time anyone is speaking; longest_silence_s: the longest stretch with nobody
  speaking between the first and last word.
- overlap_s, overlaps: time and number of stretches where both speak at once.
- interruptions_by_agent / _customer: a turn that starts while the other side's turn is under way, at least
  0.5 s before that turn ends, and the other side stops within 2 s (they yielded). Back-channels do not count:
  the interrupting turn must last at least 1 s.
- longest_agent_monologue_s / longest_customer_story_s: the longest single turn of each side.
- agent_response_latency_s: median gap from the end of a customer turn to the start of the agent's next turn,
  over replies that do not overlap.
- wpm_agent / wpm_customer: words per minute of speaking time.
- questions_agent / questions_customer: turns tagged with the question act.
"""

from __future__ import annotations

import re

import numpy as np

from callqa.model import Turn

POSITIVE_WORDS = re.compile(r"\b(thanks?|thank you|great|brilliant|perfect|lovely|amazing|wonderful|awesome|appreciate|fantastic|excellent|happy|glad|relief|kind|helpful|sorted|works|working|fine|good|nice|cheers|legend|star)\b", re.I)
NEGATIVE_WORDS = re.compile(r"\b(not okay|ridiculous|unacceptable|joke|terrible|awful|worried|annoying|frustrat\w*|angry|upset|never|can'?t believe|unbelievable|useless|rubbish|nothing|disgusted|fed up|still not|doesn'?t help|cancel|switch\w*|complain\w*|waste|whatever|forget it|seriously|no!|ugh|panick\w*)\b", re.I)


def turn_sentiment(turn: Turn) -> float:
    """A customer turn's sentiment in [-1, 1] from its acts and sentiment-bearing words."""
    acts = set(turn.acts)
    score = 0.0
    score += 0.8 if "wow" in acts else 0.0
    score += 0.4 if "resolution_confirmed" in acts else 0.0
    score += 0.3 if "thanks" in acts else 0.0
    score += 0.2 if "offer_accept" in acts else 0.0
    score -= 0.6 if "complaint" in acts else 0.0
    pos, neg = len(POSITIVE_WORDS.findall(turn.text)), len(NEGATIVE_WORDS.findall(turn.text))
    score += 0.15 * pos - 0.25 * neg
    return float(np.clip(score, -1.0, 1.0))


def _union(intervals: list[tuple[float, float]]) -> list[tuple[float, float]]:
    out: list[list[float]] = []
    for s, e in sorted(intervals):
        if out and s <= out[-1][1]:
            out[-1][1] = max(out[-1][1], e)
        else:
            out.append([s, e])
    return [(a, b) for a, b in out]


def _length(intervals: list[tuple[float, float]]) -> float:
    return float(sum(e - s for s, e in intervals))


def _intersection(a: list[tuple[float, float]], b: list[tuple[float, float]]) -> list[tuple[float, float]]:
    out, i, j = [], 0, 0
    while i < len(a) and j < len(b):
        s, e = max(a[i][0], b[j][0]), min(a[i][1], b[j][1])
        if s < e:
            out.append((s, e))
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return out


def conversation_dynamics(turns: tuple[Turn, ...], duration_s: float | None = None) -> dict[str, float | int | None]:
    """The metrics above; timing metrics are None when the turns carry no times."""
    timed = [t for t in turns if t.start is not None and t.end is not None and t.end >= t.start]
    questions = {s: sum(1 for t in turns if t.speaker == s and "question" in t.acts) for s in ("agent", "customer")}
    out: dict[str, float | int | None] = {"questions_agent": questions["agent"], "questions_customer": questions["customer"]}
    keys = ["talk_ratio_agent", "talk_ratio_customer", "non_talk_s", "longest_silence_s", "overlap_s", "overlaps",
            "interruptions_by_agent", "interruptions_by_customer", "longest_agent_monologue_s", "longest_customer_story_s",
            "agent_response_latency_s", "wpm_agent", "wpm_customer"]
    if not timed:
        return {**{k: None for k in keys}, **out}
    side = {s: _union([(t.start, t.end) for t in timed if t.speaker == s]) for s in ("agent", "customer")}
    talk = {s: _length(v) for s, v in side.items()}
    both = _union(side["agent"] + side["customer"])
    total = talk["agent"] + talk["customer"]
    last = both[-1][1]
    span = max(duration_s or 0.0, last)
    gaps = [b[0] - a[1] for a, b in zip(both, both[1:])]
    overlap = _intersection(side["agent"], side["customer"])
    interruptions = {"agent": 0, "customer": 0}
    ordered = sorted(timed, key=lambda t: t.start)
    for i, t in enumerate(ordered):
        if t.end - t.start < 1.0:
            continue
        for other in ordered[:i]:
            if other.speaker != t.speaker and other.start < t.start < other.end - 0.5 and other.end - t.start <= 2.0:
                interruptions[t.speaker] += 1
                break
    latencies = []
    for a, b in zip(ordered, ordered[1:]):
        if a.speaker == "customer" and b.speaker == "agent" and b.start >= a.end:
            latencies.append(b.start - a.end)
    words = {s: sum(len(t.text.split()) for t in timed if t.speaker == s) for s in ("agent", "customer")}
    longest = {s: max((t.end - t.start for t in timed if t.speaker == s), default=0.0) for s in ("agent", "customer")}
    r = lambda x: round(float(x), 3)  # noqa: E731
    out.update(
        talk_ratio_agent=r(talk["agent"] / total) if total else None,
        talk_ratio_customer=r(talk["customer"] / total) if total else None,
        non_talk_s=r(span - _length(both)),
        longest_silence_s=r(max(gaps, default=0.0)),
        overlap_s=r(_length(overlap)),
        overlaps=len(overlap),
        interruptions_by_agent=interruptions["agent"],
        interruptions_by_customer=interruptions["customer"],
        longest_agent_monologue_s=r(longest["agent"]),
        longest_customer_story_s=r(longest["customer"]),
        agent_response_latency_s=r(np.median(latencies)) if latencies else None,
        wpm_agent=r(words["agent"] / talk["agent"] * 60) if talk["agent"] else None,
        wpm_customer=r(words["customer"] / talk["customer"] * 60) if talk["customer"] else None,
    )
    return out
