"""Measures used to check callqa against references: word error rate, diarization error rate, and the bootstrap
over calls that puts a 95% interval on the tagging and scoring figures."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence

import numpy as np

_NUMBER_WORDS = {
    "0": "zero", "1": "one", "2": "two", "3": "three", "4": "four", "5": "five",
    "6": "six", "7": "seven", "8": "eight", "9": "nine", "10": "ten",
}


def normalize_text(text: str) -> list[str]:
    """Lower-case words without punctuation; single digits spelled out; hyphens split.

    A light version of Whisper's English normaliser: enough that "Okay, so" and "okay so" compare equal, not
    so much that real recognition errors disappear.
    """
    text = unicodedata.normalize("NFKC", text).lower()
    text = re.sub(r"[-‐–—/]", " ", text)
    text = re.sub(r"[^\w' ]+", " ", text)
    text = text.replace("'", "'")
    words = []
    for w in text.split():
        w = w.strip("'")
        if w:
            words.append(_NUMBER_WORDS.get(w, w))
    return words


def edit_distance(ref: Sequence[str], hyp: Sequence[str]) -> int:
    prev = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        cur = [i] + [0] * len(hyp)
        for j, h in enumerate(hyp, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (r != h))
        prev = cur
    return prev[-1]


def word_error_rate(reference: str, hypothesis: str) -> float:
    """(substitutions + deletions + insertions) / reference words, after ``normalize_text``."""
    ref, hyp = normalize_text(reference), normalize_text(hypothesis)
    if not ref:
        return 0.0 if not hyp else 1.0
    return edit_distance(ref, hyp) / len(ref)


def diarization_error_rate(
    reference: Iterable[tuple[float, float, str]],
    hypothesis: Iterable[tuple[float, float, str]],
    collar: float = 0.0,
    frame: float = 0.01,
) -> dict[str, float]:
    """NIST diarization error rate, computed on ``frame``-second frames with overlap counted.

    DER = (missed speech + false alarm + speaker confusion) / reference speech, with hypothesis speakers mapped
    one-to-one to reference speakers to maximise agreement (Hungarian algorithm). ``collar`` seconds around
    each reference boundary are not scored, as in NIST md-eval (0.25 is the usual collar).
    """
    from scipy.optimize import linear_sum_assignment

    reference, hypothesis = list(reference), list(hypothesis)
    end = max([e for _, e, _ in reference + hypothesis] + [0.0])
    n = int(np.ceil(end / frame)) + 1
    ref_spk = sorted({s for _, _, s in reference})
    hyp_spk = sorted({s for _, _, s in hypothesis})
    R = np.zeros((len(ref_spk), n), dtype=bool)
    H = np.zeros((len(hyp_spk), n), dtype=bool)
    for s, e, spk in reference:
        R[ref_spk.index(spk), int(round(s / frame)) : int(round(e / frame))] = True
    for s, e, spk in hypothesis:
        H[hyp_spk.index(spk), int(round(s / frame)) : int(round(e / frame))] = True
    scored = np.ones(n, dtype=bool)
    if collar > 0:
        c = int(round(collar / frame))
        for s, e, _ in reference:
            for t in (s, e):
                i = int(round(t / frame))
                scored[max(0, i - c) : i + c] = False
    R, H = R[:, scored], H[:, scored]
    overlap = R.astype(int) @ H.T.astype(int)
    rows, cols = linear_sum_assignment(-overlap) if overlap.size else ([], [])
    n_ref = R.sum(axis=0)
    n_hyp = H.sum(axis=0)
    correct = np.zeros(R.shape[1], dtype=int)
    for r, h in zip(rows, cols):
        correct += R[r] & H[h]
    total = int(n_ref.sum())
    missed = int(np.maximum(n_ref - n_hyp, 0).sum())
    false_alarm = int(np.maximum(n_hyp - n_ref, 0).sum())
    confusion = int((np.minimum(n_ref, n_hyp) - correct).sum())
    der = (missed + false_alarm + confusion) / total if total else 0.0
    return {
        "der": der,
        "missed": missed * frame,
        "false_alarm": false_alarm * frame,
        "confusion": confusion * frame,
        "reference_speech": total * frame,
    }


def read_rttm(path: str) -> list[tuple[float, float, str]]:
    """(start, end, speaker) rows of an RTTM file's SPEAKER lines."""
    out = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            parts = line.split()
            if parts and parts[0] == "SPEAKER":
                start, dur = float(parts[3]), float(parts[4])
                out.append((start, start + dur, parts[7]))
    return out


def read_stm(path: str) -> list[tuple[float, float, str, str]]:
    """(start, end, speaker, text) rows of an STM transcript."""
    out = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            parts = line.split(maxsplit=5)
            if len(parts) >= 6 and not line.startswith(";;"):
                out.append((float(parts[3]), float(parts[4]), parts[2], parts[5].strip()))
    return out


BOOTSTRAP_SAMPLES = 2000
BOOTSTRAP_SEED = 0


def call_resamples(n_calls: int) -> np.ndarray:
    """How many times each of ``n_calls`` calls is drawn in each bootstrap resample (BOOTSTRAP_SAMPLES x n_calls,
    calls drawn with replacement, fixed seed). Calls, not turns or words, are resampled: what happens within a
    call is not independent."""
    rng = np.random.default_rng(BOOTSTRAP_SEED)
    return rng.multinomial(n_calls, np.full(n_calls, 1.0 / n_calls), size=BOOTSTRAP_SAMPLES)


def interval_95(samples: np.ndarray) -> tuple[float, float] | None:
    """2.5th and 97.5th percentiles of a figure over the resamples where it is defined (NaN elsewhere); None when
    it is defined in none."""
    samples = np.asarray(samples, dtype=float)
    if not len(samples) or np.isnan(samples).all():
        return None
    return float(np.nanpercentile(samples, 2.5)), float(np.nanpercentile(samples, 97.5))
