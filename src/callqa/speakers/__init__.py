"""Who said what: agent and customer turns from a two-channel or a mono recording.

Two channels: each is transcribed on its own, leaked crosstalk is dropped, and the agent's channel comes from
the manifest or from what each side says. Mono: speakers are found by diarization, the words go to the speaker
talking at their time, and roles come from what each speaker says.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from callqa.audio import Audio, channel_is_silent, channels_identical
from callqa.config import DiarizeOptions, TurnOptions
from callqa.errors import InputError
from callqa.model import RoleDecision, Segment, Turn, Word
from callqa.speakers.roles import decide_roles
from callqa.speakers.turns import Utterance, build_turns, drop_crosstalk, join_words, words_to_utterances
from callqa.transcribe import Engine
from callqa.transcribe.guard import guard_segments

logger = logging.getLogger("callqa")
CHANNEL_NAMES = ("left", "right")


@dataclass(frozen=True)
class Attribution:
    turns: tuple[Turn, ...]
    roles: RoleDecision
    mode: str
    """``stereo``, ``mono`` or ``single_channel`` (a two-channel file with one dead side)."""
    language: str | None
    warnings: tuple[str, ...]


def choose_mode(audio: Audio, agent_channel: str) -> tuple[str, int | None]:
    """Decide how to read a recording: as two call sides, or as one mixed signal (and which channel holds it)."""
    if agent_channel == "mono" or audio.channels == 1:
        if agent_channel in ("left", "right"):
            raise InputError(f"{audio.path}: agent_channel is {agent_channel!r} but the recording has one channel.")
        return "mono", None
    if channels_identical(audio):
        if agent_channel in ("left", "right"):
            raise InputError(f"{audio.path}: agent_channel is {agent_channel!r} but both channels carry the same signal.")
        return "mono", None
    dead = [i for i in range(2) if channel_is_silent(audio.channel(i))]
    if len(dead) == 2:
        raise InputError(f"{audio.path}: both channels are silent; there is no speech to transcribe.")
    if len(dead) == 1:
        return "single_channel", 1 - dead[0]
    return "stereo", None


def _words(segments: list[Segment] | tuple[Segment, ...]) -> list[Word]:
    return [w for s in segments for w in s.words]


def attribute_stereo(
    audio: Audio, engine: Engine, agent_channel: str, turn_options: TurnOptions
) -> Attribution:
    warnings: list[str] = []
    words_by_channel: list[list[Word]] = []
    language = None
    for i in range(2):
        segments, language_i = engine.transcribe(audio.channel(i))
        language = language or language_i
        report = guard_segments(segments, audio.channel(i))
        warnings.extend(f"{CHANNEL_NAMES[i]}: {r}" for r in report.reasons)
        words_by_channel.append(_words(report.segments))
    words_by_channel, leaked = drop_crosstalk(words_by_channel, audio.samples, turn_options.crosstalk_db)
    if leaked:
        warnings.append(f"dropped {leaked} word(s) heard through crosstalk from the other channel")
    texts = {CHANNEL_NAMES[i]: join_words(words_by_channel[i]) for i in range(2)}
    starts = {CHANNEL_NAMES[i]: words_by_channel[i][0].start for i in range(2) if words_by_channel[i]}
    first = min(starts, key=starts.get) if starts else None
    if agent_channel in CHANNEL_NAMES:
        decision = decide_roles(texts, first)
        roles = RoleDecision(
            method="manifest", agent_source=agent_channel, confidence=1.0, scores=decision.scores, cues=decision.cues
        )
        if decision.agent_source != agent_channel and decision.confidence >= 0.9:
            warnings.append(
                f"the manifest says the agent is on the {agent_channel} channel, but the language points to "
                f"{decision.agent_source} (confidence {decision.confidence:.2f})"
            )
    else:
        roles = decide_roles(texts, first)
    role_of = {name: ("agent" if name == roles.agent_source else "customer") for name in CHANNEL_NAMES}
    utterances: list[Utterance] = []
    for i, name in enumerate(CHANNEL_NAMES):
        utterances.extend(words_to_utterances(name, words_by_channel[i], turn_options.max_pause_s))
    turns = build_turns(utterances, role_of, turn_options, channel_of={"left": 0, "right": 1})
    return Attribution(turns, roles, "stereo", language, tuple(warnings))


def attribute_mono(
    samples: np.ndarray,
    engine: Engine,
    turn_options: TurnOptions,
    diarize_options: DiarizeOptions,
    mode: str = "mono",
    channel: int | None = None,
) -> Attribution:
    from callqa.speakers.diarize import assign_words, diarize

    segments, language = engine.transcribe(samples)
    report = guard_segments(segments, samples)
    warnings = list(report.reasons)
    words = _words(report.segments)
    speaker_segments = diarize(samples, diarize_options)
    labels = assign_words(words, speaker_segments)
    by_speaker: dict[str, list[Word]] = {}
    for w, spk in zip(words, labels):
        by_speaker.setdefault(spk, []).append(w)
    texts = {spk: join_words(ws) for spk, ws in by_speaker.items()}
    first = labels[0] if labels else None
    roles = decide_roles(texts, first) if texts else RoleDecision("language", "", 0.5)
    if roles.method == "single_speaker":
        only = next(iter(texts))
        role_of = {only: "agent" if roles.agent_source == only else "customer"}
        warnings.append("only one speaker was found")
    else:
        # Extra diarized speakers (a transfer, a supervisor) are agents when they sound like one.
        role_of = {spk: ("agent" if spk == roles.agent_source or roles.scores.get(spk, 0) > 2.0 else "customer") for spk in texts}
    utterances: list[Utterance] = []
    for spk, ws in by_speaker.items():
        utterances.extend(words_to_utterances(spk, ws, turn_options.max_pause_s))
    channel_of = {spk: channel for spk in by_speaker} if channel is not None else None
    turns = build_turns(utterances, role_of, turn_options, channel_of=channel_of)
    return Attribution(turns, roles, mode, language, tuple(warnings))
