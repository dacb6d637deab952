"""Group recognised words into turns: one speaker's stretch of speech, overlaps kept as they happened."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from callqa.config import TurnOptions
from callqa.model import Turn, Word
from callqa.transcribe.guard import frame_levels_db


@dataclass(frozen=True)
class Utterance:
    """Words of one source (a channel or a diarized speaker) without a long pause inside."""

    source: str
    words: tuple[Word, ...]

    @property
    def start(self) -> float:
        return self.words[0].start

    @property
    def end(self) -> float:
        return self.words[-1].end


def words_to_utterances(source: str, words: list[Word] | tuple[Word, ...], max_pause_s: float) -> list[Utterance]:
    """Split one source's words at pauses longer than ``max_pause_s``."""
    out: list[Utterance] = []
    current: list[Word] = []
    for w in sorted(words, key=lambda w: w.start):
        if current and w.start - current[-1].end > max_pause_s:
            out.append(Utterance(source, tuple(current)))
            current = []
        current.append(w)
    if current:
        out.append(Utterance(source, tuple(current)))
    return out


def drop_crosstalk(
    words_by_channel: list[list[Word]], channels: np.ndarray, crosstalk_db: float
) -> tuple[list[list[Word]], int]:
    """Remove words recognised on a channel where the other channel is much louder.

    On a two-channel recording each side hears a faint copy of the other (line echo, headset bleed) and Whisper
    transcribes it. A real word on channel A is louder on A than on B; a leaked one is ``crosstalk_db`` quieter.
    """
    levels = [frame_levels_db(channels[i]) for i in range(channels.shape[0])]
    fps = 1.0 / 0.02
    out: list[list[Word]] = []
    dropped = 0
    for i, words in enumerate(words_by_channel):
        other = levels[1 - i]
        mine = levels[i]
        kept = []
        for w in words:
            a = int(w.start * fps)
            b = max(a + 1, int(np.ceil(w.end * fps)))
            if a >= mine.size:
                kept.append(w)
                continue
            m = float(np.percentile(mine[a:b], 90))
            o = float(np.percentile(other[a:b], 90)) if a < other.size else -120.0
            if o - m >= crosstalk_db:
                dropped += 1
                continue
            kept.append(w)
        out.append(kept)
    return out, dropped


def build_turns(
    utterances: list[Utterance], roles: dict[str, str], options: TurnOptions, channel_of: dict[str, int] | None = None
) -> tuple[Turn, ...]:
    """Order all utterances by start time and join a speaker's consecutive ones into turns.

    Two utterances of the same speaker join when nobody else starts speaking between them and the gap is under
    ``merge_gap_s``. Overlapping speech stays as two turns with overlapping times, in order of their start.
    """
    ordered = sorted(utterances, key=lambda u: (u.start, u.end))
    groups: list[list[Utterance]] = []
    for u in ordered:
        if groups:
            last = groups[-1]
            same = roles[last[-1].source] == roles[u.source]
            if same and u.start - last[-1].end <= options.merge_gap_s:
                last.append(u)
                continue
        groups.append([u])
    turns = []
    for g in groups:
        words = tuple(w for u in g for w in u.words)
        source = g[0].source
        turns.append(
            Turn(
                speaker=roles[source],
                text=join_words(words),
                start=round(words[0].start, 3),
                end=round(max(w.end for w in words), 3),
                words=words,
                channel=None if channel_of is None else channel_of.get(source),
            )
        )
    return tuple(turns)


def join_words(words: tuple[Word, ...] | list[Word]) -> str:
    """Whisper's words carry their leading space; joining them restores the text."""
    return "".join(w.word for w in words).strip()
