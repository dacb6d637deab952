"""Records passed between callqa's stages.

Every stage takes records and returns new ones; nothing is mutated in place. The JSON written per call is
``CallResult.to_dict()``, documented by ``schemas/call.v1.schema.json``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import Any, Literal

SCHEMA_VERSION = "1.2.0"

Speaker = Literal["agent", "customer"]
SPEAKERS: tuple[str, ...] = ("agent", "customer")
AGENT_CHANNELS: tuple[str, ...] = ("left", "right", "auto", "mono")


@dataclass(frozen=True)
class Word:
    """One recognised word with its time span in seconds and the recogniser's probability."""

    start: float
    end: float
    word: str
    prob: float


@dataclass(frozen=True)
class Segment:
    """One stretch of recognised speech on one channel, as the engine returned it."""

    start: float
    end: float
    text: str
    words: tuple[Word, ...]
    avg_logprob: float = 0.0
    no_speech_prob: float = 0.0
    compression_ratio: float = 1.0


@dataclass(frozen=True)
class Turn:
    """One speaker's stretch of speech. Times are None for text transcripts that carry none."""

    speaker: str
    text: str
    start: float | None = None
    end: float | None = None
    words: tuple[Word, ...] = ()
    channel: int | None = None
    phase: str | None = None
    acts: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "speaker": self.speaker,
            "start": self.start,
            "end": self.end,
            "text": self.text,
            "channel": self.channel,
        }
        if self.phase is not None:
            d["phase"] = self.phase
            d["acts"] = list(self.acts)
        d["words"] = [asdict(w) for w in self.words]
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Turn:
        return cls(
            speaker=d["speaker"],
            text=d["text"],
            start=d.get("start"),
            end=d.get("end"),
            words=tuple(Word(**w) for w in d.get("words") or ()),
            channel=d.get("channel"),
            phase=d.get("phase"),
            acts=tuple(d.get("acts") or ()),
        )


PHASES: tuple[str, ...] = ("greeting", "verification", "discovery", "resolution", "offer", "closing")
ACTS: tuple[str, ...] = (
    "greeting", "verification_request", "empathy", "apology", "acknowledgement", "personal_name", "question",
    "explanation", "offer", "offer_accept", "offer_decline", "offer_defer", "resolution_statement",
    "resolution_confirmed", "complaint", "escalation", "thanks", "farewell", "pressure_tactic", "wow",
)


@dataclass(frozen=True)
class PhaseSpan:
    """A run of consecutive turns in one phase; times are None for untimed transcripts."""

    phase: str
    first_turn: int
    last_turn: int
    start: float | None
    end: float | None


@dataclass(frozen=True)
class EngineInfo:
    """Which recogniser produced a transcript, so results can be reproduced and compared."""

    name: str
    model: str
    device: str
    compute_type: str
    model_sha256: str | None = None


@dataclass(frozen=True)
class RoleDecision:
    """How the agent was told apart from the customer, and how sure callqa is.

    ``method`` is ``manifest`` (the user said which channel), ``language`` (decided from what each side says)
    or ``single_speaker``. ``agent_source`` names the channel (``left``/``right``) or diarized speaker
    (``spk0``...) taken as the agent. ``cues`` lists the phrases that decided it.
    """

    method: str
    agent_source: str
    confidence: float
    scores: dict[str, float] = field(default_factory=dict)
    cues: tuple[dict[str, Any], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "agent_source": self.agent_source,
            "confidence": round(self.confidence, 4),
            "scores": {k: round(v, 3) for k, v in self.scores.items()},
            "cues": list(self.cues),
        }


@dataclass(frozen=True)
class CallInput:
    """One call to process: where it is and what the manifest says about it."""

    call_id: str
    path: str
    kind: Literal["audio", "transcript"]
    agent_id: str | None = None
    team: str | None = None
    started_at: str | None = None
    agent_channel: str = "auto"
    extra: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class CallResult:
    """Everything callqa knows about one call; its ``to_dict`` is the per-call JSON."""

    call_id: str
    source: dict[str, Any]
    turns: tuple[Turn, ...]
    duration_s: float | None = None
    agent_id: str | None = None
    team: str | None = None
    started_at: str | None = None
    engine: EngineInfo | None = None
    roles: RoleDecision | None = None
    language: str | None = None
    extra: dict[str, str] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()
    phase_spans: tuple[PhaseSpan, ...] | None = None
    scores: dict[str, Any] | None = None
    offers: tuple[dict[str, Any], ...] | None = None
    flags: dict[str, Any] | None = None
    metrics: dict[str, Any] | None = None
    scorecard: dict[str, Any] | None = None
    run: dict[str, Any] | None = None
    """How this result was made: the input's sha256 and the configuration fingerprint (for resuming)."""
    redaction: dict[str, Any] | None = None
    """What redaction replaced: counts per type and each span's turn, type and times (never the text)."""

    def with_turns(self, turns: tuple[Turn, ...]) -> CallResult:
        return replace(self, turns=tuple(turns))

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema_version": SCHEMA_VERSION,
            "call_id": self.call_id,
            "agent_id": self.agent_id,
            "team": self.team,
            "started_at": self.started_at,
            "duration_s": None if self.duration_s is None else round(self.duration_s, 3),
            "language": self.language,
            "source": self.source,
            "engine": None if self.engine is None else asdict(self.engine),
            "roles": None if self.roles is None else self.roles.to_dict(),
            "extra": dict(self.extra),
            "warnings": list(self.warnings),
            **({} if self.run is None else {"run": self.run}),
            **({} if self.redaction is None else {"redaction": self.redaction}),
            "turns": [t.to_dict() for t in self.turns],
            **({} if self.phase_spans is None else {"phase_spans": [asdict(p) for p in self.phase_spans]}),
            **(
                {}
                if self.scores is None
                else {
                    "scorecard": self.scorecard,
                    "scores": self.scores,
                    "offers": list(self.offers or ()),
                    "flags": self.flags,
                    "metrics": self.metrics,
                }
            ),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> CallResult:
        roles = d.get("roles")
        return cls(
            call_id=d["call_id"],
            source=d.get("source") or {},
            turns=tuple(Turn.from_dict(t) for t in d.get("turns") or ()),
            duration_s=d.get("duration_s"),
            agent_id=d.get("agent_id"),
            team=d.get("team"),
            started_at=d.get("started_at"),
            engine=EngineInfo(**d["engine"]) if d.get("engine") else None,
            roles=RoleDecision(
                method=roles["method"],
                agent_source=roles["agent_source"],
                confidence=roles["confidence"],
                scores=roles.get("scores") or {},
                cues=tuple(roles.get("cues") or ()),
            )
            if roles
            else None,
            language=d.get("language"),
            extra=d.get("extra") or {},
            warnings=tuple(d.get("warnings") or ()),
            phase_spans=None if d.get("phase_spans") is None else tuple(PhaseSpan(**p) for p in d["phase_spans"]),
            scores=d.get("scores"),
            offers=None if d.get("offers") is None else tuple(d["offers"]),
            flags=d.get("flags"),
            metrics=d.get("metrics"),
            scorecard=d.get("scorecard"),
            run=d.get("run"),
            redaction=d.get("redaction"),
        )
