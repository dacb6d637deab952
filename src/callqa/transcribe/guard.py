"""Checks against Whisper's known failure on silence and noise: invented or repeated text.

Each channel of a call recording is about half silence, and Whisper, trained on subtitles, fills silence with
text it has seen ("Thank you for watching", a phrase repeated until the window ends). The decoder options in
``TranscribeOptions`` prevent most of it (VAD, no conditioning on previous text, the compression-ratio and
no-speech fallbacks, ``hallucination_silence_threshold``; see openai/whisper#679 and #1783). These checks catch
the rest with evidence the decoder does not use: the signal level under each word, and repetition.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

import numpy as np

from callqa.audio import SAMPLE_RATE
from callqa.model import Segment, Word

# Subtitle boilerplate Whisper emits on silence or music; never said in a service call.
PHANTOM_PHRASES = (
    "thank you for watching",
    "thanks for watching",
    "please subscribe",
    "like and subscribe",
    "subscribe to my channel",
    "subtitles by",
    "subtitled by",
    "captions by",
    "transcribed by",
    "translated by",
    "amara org",
    "see you in the next video",
    "www ",
)


@dataclass(frozen=True)
class GuardReport:
    segments: tuple[Segment, ...]
    dropped_words: int
    reasons: tuple[str, ...]


def normalize(text: str) -> str:
    return " ".join(re.sub(r"[^\w' ]+", " ", text.lower()).split())


def frame_levels_db(samples: np.ndarray, frame_s: float = 0.02) -> np.ndarray:
    """Level in dBFS of consecutive frames of ``frame_s`` seconds."""
    frame = max(1, int(frame_s * SAMPLE_RATE))
    n = samples.size // frame
    if n == 0:
        return np.array([-120.0])
    x = samples[: n * frame].reshape(n, frame).astype(np.float64)
    rms = np.sqrt(np.mean(x * x, axis=1))
    return 20.0 * np.log10(np.maximum(rms, 1e-6))


def silence_threshold_db(levels: np.ndarray) -> float:
    """Level under which a word's loudest frame cannot be speech on this channel.

    The channel's noise floor (10th percentile of frame levels) plus 8 dB, or its speech level (99th
    percentile) minus 35 dB, whichever is higher: silence and line noise stay below it, the quietest real words
    stay well above it. Never more than 12 dB under the speech level, so a channel without pauses (steady
    noise, or nothing but speech) keeps its words: level alone cannot tell speech from noise there.
    """
    floor = float(np.percentile(levels, 10))
    speech = float(np.percentile(levels, 99))
    return min(max(floor + 8.0, speech - 35.0), speech - 12.0)


def _collapse_loops(words: list[Word], max_repeats: int = 4) -> tuple[list[Word], int]:
    """Collapse an n-gram (n = 1..4) repeated more than ``max_repeats`` times in a row to one occurrence."""
    out = list(words)
    dropped = 0
    for n in (4, 3, 2, 1):
        limit = max_repeats if n == 1 else max_repeats - 1
        i = 0
        result: list[Word] = []
        while i < len(out):
            gram = [normalize(w.word) for w in out[i : i + n]]
            reps = 1
            while i + (reps + 1) * n <= len(out) and [normalize(w.word) for w in out[i + reps * n : i + (reps + 1) * n]] == gram:
                reps += 1
            if len(gram) == n and reps > limit:
                result.extend(out[i : i + n])
                dropped += (reps - 1) * n
                i += reps * n
            else:
                result.append(out[i])
                i += 1
        out = result
    return out, dropped


def _rebuild(seg: Segment, words: list[Word]) -> Segment:
    return replace(
        seg,
        words=tuple(words),
        text="".join(w.word for w in words).strip(),
        start=words[0].start,
        end=words[-1].end,
    )


def guard_segments(
    segments: list[Segment],
    samples: np.ndarray,
    *,
    compression_ratio_threshold: float = 2.4,
    no_speech_threshold: float = 0.6,
    log_prob_threshold: float = -1.0,
) -> GuardReport:
    """Drop words and segments of ``segments`` that are not supported by speech in ``samples``."""
    levels = frame_levels_db(samples)
    threshold = silence_threshold_db(levels)
    frames_per_s = 1.0 / 0.02
    reasons: list[str] = []
    dropped = 0
    kept: list[Segment] = []
    recent: list[str] = []
    for seg in segments:
        text = normalize(seg.text)
        n_words = len(seg.words)
        if seg.compression_ratio > compression_ratio_threshold:
            reasons.append(f"{seg.start:.1f}s: repetitive segment (compression ratio {seg.compression_ratio:.2f})")
            dropped += n_words
            continue
        if seg.no_speech_prob > no_speech_threshold and seg.avg_logprob < log_prob_threshold:
            reasons.append(f"{seg.start:.1f}s: likely no speech (p={seg.no_speech_prob:.2f})")
            dropped += n_words
            continue
        if any(p in f"{text} " for p in PHANTOM_PHRASES):
            reasons.append(f"{seg.start:.1f}s: subtitle boilerplate {seg.text!r}")
            dropped += n_words
            continue
        words = []
        for w in seg.words:
            a = int(w.start * frames_per_s)
            b = max(a + 1, int(np.ceil(w.end * frames_per_s)))
            peak = float(levels[a:b].max()) if a < levels.size else -120.0
            if peak < threshold:
                dropped += 1
                continue
            words.append(w)
        if len(words) < n_words:
            reasons.append(f"{seg.start:.1f}s: {n_words - len(words)} word(s) over silence")
        words, looped = _collapse_loops(words)
        if looped:
            dropped += looped
            reasons.append(f"{seg.start:.1f}s: collapsed a repetition loop ({looped} words)")
        if not words:
            continue
        new = _rebuild(seg, words)
        key = normalize(new.text)
        if len(key.split()) >= 3 and key in recent:
            reasons.append(f"{seg.start:.1f}s: repeated segment {new.text!r}")
            dropped += len(words)
            continue
        recent = (recent + [key])[-2:]
        kept.append(new)
    return GuardReport(segments=tuple(kept), dropped_words=dropped, reasons=tuple(reasons))
