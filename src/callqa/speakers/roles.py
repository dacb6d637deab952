"""Tell the agent from the customer by what each side says.

Agents speak a recognisable register: they greet with the company's name, offer help, ask for account details
to verify, put the caller on hold, and close with "anything else I can help you with?". Customers state the
reason for the call, describe a problem and ask for help. Each side's speech is scored against weighted cue
phrases for both roles; the side with the stronger agent evidence is the agent. The decision, its confidence
and the phrases that decided it go into the output, so a reviewer can see why.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from callqa.model import RoleDecision


@dataclass(frozen=True)
class Cue:
    role: str
    name: str
    pattern: re.Pattern[str]
    weight: float


def _cue(role: str, name: str, pattern: str, weight: float) -> Cue:
    return Cue(role, name, re.compile(pattern, re.IGNORECASE), weight)


CUES: tuple[Cue, ...] = (
    # agent register
    _cue("agent", "thanks for calling", r"\bthanks? (you )?for (calling|contacting|choosing|holding|your patience|waiting|being a)", 3.0),
    _cue("agent", "company greeting", r"\b(welcome to|you'?ve reached|you are through to|you'?re through to|this is \w+ (from|at|with)|calling from)\b", 2.5),
    _cue("agent", "offers help", r"\bhow (can|may|could) (i|we) (help|assist|be of)|\bwhat can i do for you|\bhow can i help\b", 3.0),
    _cue("agent", "asks for details", r"\b(can|could|may) i (have|get|take|grab|confirm|verify|ask for) (your|the|a) (full |first |last )?(name|account|phone|number|date of birth|birth|postcode|post code|zip|address|policy|order|email|card|reference|booking|registration|member|security)", 3.0),
    _cue("agent", "verification", r"\b(verify|confirm) (your|the|some|a few) (identity|account|details|address|name|date|security|information)|\bsecurity (question|check)|\bfor security (purposes|reasons)", 3.0),
    _cue("agent", "looks it up", r"\blet me (just )?(check|look|pull|see|take a look|have a look|bring|find|get that)|\bi can see (here|that|on)|\bi see (here|in (our|the) system)|\b(in|on) (our|the) system\b", 2.0),
    _cue("agent", "hold", r"\b(one moment|bear with me|please hold|put you on (a (brief |short )?)?hold|thanks? (you )?for holding|just a (moment|second|sec) while)", 2.0),
    _cue("agent", "anything else", r"\b(is there )?anything else (i|we) can (help|do|assist)|\banything else today\b", 3.0),
    _cue("agent", "takes action", r"\bi('| wi)ll (go ahead and |just )?(schedule|book|send|process|transfer|credit|refund|waive|escalate|raise|log|set up|update|cancel|reset|arrange)|\bi('ve| have) (gone ahead and )?(scheduled|booked|sent|processed|credited|refunded|waived|updated|reset|applied|arranged)", 2.0),
    _cue("agent", "apology for service", r"\b(i apologi[sz]e|sorry (to hear|about that|for the (inconvenience|trouble|wait|delay)))", 1.5),
    _cue("agent", "schedules", r"\bwould you prefer\b|\bwhat time (works|suits)|\bour (first|next) availab", 1.5),
    _cue("agent", "addresses customer", r"\b(mr|mrs|ms|miss|sir|ma'?am)\b", 1.0),
    # customer register
    _cue("customer", "reason for calling", r"\bi'?m (calling|ringing|phoning) (in )?(about|because|to|regarding|for|today)|\bthe reason (i'?m|i am) calling|\bi('m| am) calling in\b", 3.0),
    _cue("customer", "states a need", r"\bi (need|want|would like|'d like|wanna|was hoping) (to|a|some|help|you)", 1.5),
    _cue("customer", "my thing", r"\bmy (car|phone|bill|internet|account|order|card|package|parcel|flight|policy|payment|laptop|tv|router|appointment|broadband|claim|refund|booking|subscription|contract|delivery|boiler|meter)\b", 1.5),
    _cue("customer", "asks for help", r"\b(can|could) you (please )?(help|tell|check|fix|send|look|explain|cancel|refund|give)", 1.5),
    _cue("customer", "has a problem", r"\bi (have|'ve got|got|had) (a|an|this|some) (problem|issue|question|complaint|query)|\b(is|it'?s|keeps|has been) (not working|broken|broke|down)|\bstill (not|doesn'?t|isn'?t|won'?t)\b", 2.0),
    _cue("customer", "was charged", r"\bi (was|got|have been|'ve been) (charged|billed|overcharged|waiting|trying|told)", 2.0),
    _cue("customer", "thanks for help", r"\bthanks? (you )?(so much |very much )?for (your|the|all (your|the)) help", 1.0),
)

# Who speaks first is weak evidence: an inbound call's agent answers it.
FIRST_SPEAKER_PRIOR = 1.0
# How steeply the score margin turns into confidence.
CONFIDENCE_SLOPE = 0.5


def role_scores(texts: dict[str, str]) -> tuple[dict[str, float], list[dict]]:
    """Score each source's text: agent evidence minus customer evidence. Returns scores and matched cues."""
    scores: dict[str, float] = {}
    found: list[dict] = []
    for source, text in texts.items():
        score = 0.0
        for cue in CUES:
            hits = cue.pattern.findall(text)
            if not hits:
                continue
            # Diminishing returns: a phrase said three times is not three times the evidence.
            strength = cue.weight * (1.0 + 0.25 * min(len(hits) - 1, 2))
            score += strength if cue.role == "agent" else -strength
            m = cue.pattern.search(text)
            found.append({"source": source, "role": cue.role, "cue": cue.name, "text": m.group(0) if m else ""})
        scores[source] = score
    return scores, found


def decide_roles(texts: dict[str, str], first_source: str | None = None) -> RoleDecision:
    """Pick which source (channel or diarized speaker) is the agent.

    ``texts`` maps each source to everything it said, ``first_source`` is the source that spoke first.
    With one source only, it is the agent if its speech reads like an agent's, else the customer.
    """
    scores, found = role_scores(texts)
    if first_source in scores:
        scores[first_source] += FIRST_SPEAKER_PRIOR
    if len(scores) == 1:
        (source, s), = scores.items()
        p = 1.0 / (1.0 + math.exp(-CONFIDENCE_SLOPE * s))
        return RoleDecision(
            method="single_speaker",
            agent_source=source if s >= 0 else "",
            confidence=max(p, 1 - p),
            scores=scores,
            cues=tuple(found),
        )
    ranked = sorted(scores.items(), key=lambda kv: kv[1], reverse=True)
    (best, s1), (_, s2) = ranked[0], ranked[1]
    margin = s1 - s2
    confidence = 1.0 / (1.0 + math.exp(-CONFIDENCE_SLOPE * margin))
    return RoleDecision(method="language", agent_source=best, confidence=confidence, scores=scores, cues=tuple(found))
