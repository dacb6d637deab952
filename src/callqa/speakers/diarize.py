"""Split a mono call into speakers with no network: VAD, speaker embeddings, clustering.

1. Speech regions from Silero VAD (the model faster-whisper ships).
2. A GE2E speaker embedding (resemblyzer's packaged model, Wan et al. 2018) for every 1.6 s window, at
   ``window_rate`` windows per second, keeping windows centred in speech.
3. Spectral clustering of the embeddings on their cosine affinity (scikit-learn), with the number of speakers
   given or estimated from how far apart the clusters' centroids are.
4. Each 10 ms speech frame takes the label most windows covering it vote for; runs shorter than
   ``min_segment_s`` are absorbed by their neighbours.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

from callqa.audio import SAMPLE_RATE
from callqa.config import DiarizeOptions
from callqa.errors import ModelError
from callqa.loading import load_once
from callqa.transcribe.models import sha256_file

logger = logging.getLogger("callqa")

RESEMBLYZER_SHA256 = "39373b86598fa3da9fcddee6142382efe09777e8d37dc9c0561f41f0070f134e"
FRAME_S = 0.01
PARTIAL_S = 1.6
# Cosine similarity of two GE2E centroids above which they are taken for one voice.
SAME_VOICE = 0.85


@dataclass(frozen=True)
class SpeakerSegment:
    start: float
    end: float
    speaker: str


@load_once()
def load_voice_encoder():
    """resemblyzer's VoiceEncoder with its packaged weights, sha256-checked; on CUDA when present."""
    import torch
    from resemblyzer import VoiceEncoder

    weights = Path(str(resources.files("resemblyzer").joinpath("pretrained.pt")))
    if not weights.exists():
        raise ModelError(f"{weights}: resemblyzer's speaker model is missing; reinstall resemblyzer.")
    got = sha256_file(weights)
    if got != RESEMBLYZER_SHA256:
        raise ModelError(f"{weights}: sha256 is {got}, expected {RESEMBLYZER_SHA256}; reinstall resemblyzer.")
    device = "cuda" if torch.cuda.is_available() else "cpu"
    return VoiceEncoder(device=device, verbose=False, weights_fpath=weights)


@load_once()
def _vad_model():
    from faster_whisper.vad import get_vad_model

    return get_vad_model()


def speech_regions(samples: np.ndarray, threshold: float = 0.5) -> list[tuple[float, float]]:
    """Speech regions in seconds from Silero VAD, split finely (short pauses end a region)."""
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    opts = VadOptions(threshold=threshold, min_silence_duration_ms=250, speech_pad_ms=60, min_speech_duration_ms=150)
    stamps = get_speech_timestamps(samples, vad_options=opts)
    return [(s["start"] / SAMPLE_RATE, s["end"] / SAMPLE_RATE) for s in stamps]


def _embed_windows(samples: np.ndarray, rate: float) -> tuple[np.ndarray, np.ndarray]:
    """Embeddings of 1.6 s windows over the whole signal; returns (embeddings, window start times)."""
    from resemblyzer import normalize_volume

    encoder = load_voice_encoder()
    wav = normalize_volume(samples.astype(np.float32), -30, increase_only=True)
    _, partials, slices = encoder.embed_utterance(wav, return_partials=True, rate=rate, min_coverage=0.5)
    starts = np.array([s.start / SAMPLE_RATE for s in slices])
    return np.asarray(partials), starts


def _cluster(embeddings: np.ndarray, num_speakers: int | None) -> np.ndarray:
    """Spectral clustering of unit-length embeddings on their cosine affinity (Wang et al., ICASSP 2018).

    With ``num_speakers`` None, the count (1-4) is the largest for which no two cluster centroids are as close
    as two windows of one voice (cosine similarity ``SAME_VOICE``).
    """
    n = embeddings.shape[0]
    if n < 3:
        return np.zeros(n, dtype=int)
    affinity = np.clip(embeddings @ embeddings.T, 0.0, 1.0)
    if num_speakers is not None:
        return _spectral(affinity, max(1, min(num_speakers, n - 1)))
    labels = np.zeros(n, dtype=int)
    for k in range(2, min(4, n - 1) + 1):
        candidate = _spectral(affinity, k)
        centroids = np.stack([embeddings[candidate == c].mean(axis=0) for c in range(k)])
        centroids /= np.linalg.norm(centroids, axis=1, keepdims=True)
        sims = centroids @ centroids.T
        if sims[~np.eye(k, dtype=bool)].max() >= SAME_VOICE:
            break
        labels = candidate
    return labels


def _spectral(affinity: np.ndarray, k: int) -> np.ndarray:
    from sklearn.cluster import SpectralClustering

    if k == 1:
        return np.zeros(len(affinity), dtype=int)
    return SpectralClustering(n_clusters=k, affinity="precomputed", random_state=0).fit_predict(affinity)


def diarize(samples: np.ndarray, options: DiarizeOptions | None = None) -> list[SpeakerSegment]:
    """Speaker segments (``spk0``, ``spk1``...) of a mono 16 kHz signal, numbered by first appearance."""
    options = options or DiarizeOptions()
    regions = speech_regions(samples, options.vad_threshold)
    if not regions:
        return []
    n_frames = int(np.ceil(samples.size / SAMPLE_RATE / FRAME_S))
    speech = np.zeros(n_frames, dtype=bool)
    for s, e in regions:
        speech[int(s / FRAME_S) : int(np.ceil(e / FRAME_S))] = True

    embeddings, starts = _embed_windows(samples, options.window_rate)
    centres = starts + PARTIAL_S / 2
    centre_frames = np.clip((centres / FRAME_S).astype(int), 0, n_frames - 1)
    # Keep windows with enough speech in them to say whose voice it is.
    win = int(PARTIAL_S / FRAME_S)
    coverage = np.array([speech[int(s / FRAME_S) : int(s / FRAME_S) + win].mean() if s / FRAME_S < n_frames else 0 for s in starts])
    keep = coverage >= 0.5
    if keep.sum() < 2:
        return [SpeakerSegment(s, e, "spk0") for s, e in regions]
    emb = embeddings[keep]
    emb = emb / np.linalg.norm(emb, axis=1, keepdims=True)
    labels = _cluster(emb, options.num_speakers)
    k = int(labels.max()) + 1

    # Vote per frame: every kept window votes for its label over its span, weighted towards its centre.
    votes = np.zeros((k, n_frames))
    taper = np.hanning(win + 2)[1:-1]
    for start, label in zip(starts[keep], labels):
        a = int(start / FRAME_S)
        b = min(n_frames, a + win)
        votes[label, a:b] += taper[: b - a]
    frame_labels = np.where(speech, votes.argmax(axis=0), -1)
    # Speech frames no window reached take the nearest window centre's label.
    unvoted = speech & (votes.sum(axis=0) == 0)
    if unvoted.any():
        kept_centres = centre_frames[keep]
        for i in np.flatnonzero(unvoted):
            frame_labels[i] = labels[int(np.argmin(np.abs(kept_centres - i)))]

    segments = _runs(frame_labels)
    segments = _absorb_short(segments, options.min_segment_s)
    # Rename clusters in order of first appearance: spk0 speaks first.
    order: dict[int, str] = {}
    for _, _, lab in segments:
        order.setdefault(lab, f"spk{len(order)}")
    return [SpeakerSegment(round(s, 3), round(e, 3), order[lab]) for s, e, lab in segments]


def _runs(frame_labels: np.ndarray) -> list[tuple[float, float, int]]:
    runs = []
    start = None
    for i, lab in enumerate(list(frame_labels) + [-2]):
        if start is not None and lab != frame_labels[start]:
            if frame_labels[start] >= 0:
                runs.append((start * FRAME_S, i * FRAME_S, int(frame_labels[start])))
            start = None
        if start is None and lab >= 0:
            start = i
    return runs


def _absorb_short(runs: list[tuple[float, float, int]], min_s: float) -> list[tuple[float, float, int]]:
    """Give runs shorter than ``min_s`` to the adjacent run (within 0.5 s) they touch, then merge equal neighbours."""
    runs = list(runs)
    changed = True
    while changed and len(runs) > 1:
        changed = False
        for i, (s, e, lab) in enumerate(runs):
            if e - s >= min_s:
                continue
            prev = runs[i - 1] if i > 0 and s - runs[i - 1][1] < 0.5 else None
            nxt = runs[i + 1] if i + 1 < len(runs) and runs[i + 1][0] - e < 0.5 else None
            cand = [r for r in (prev, nxt) if r is not None and r[2] != lab]
            if not cand:
                continue
            target = max(cand, key=lambda r: r[1] - r[0])
            runs[i] = (s, e, target[2])
            changed = True
        merged: list[tuple[float, float, int]] = []
        for r in runs:
            if merged and merged[-1][2] == r[2] and r[0] - merged[-1][1] < 0.5:
                merged[-1] = (merged[-1][0], r[1], r[2])
            else:
                merged.append(r)
        runs = merged
    return runs


def assign_words(words, segments: list[SpeakerSegment]) -> list[str]:
    """The speaker of each word: the segment overlapping it most, else the nearest one."""
    if not segments:
        return ["spk0"] * len(words)
    starts = np.array([s.start for s in segments])
    ends = np.array([s.end for s in segments])
    out = []
    for w in words:
        overlap = np.minimum(ends, w.end) - np.maximum(starts, w.start)
        i = int(np.argmax(overlap))
        if overlap[i] <= 0:
            mid = (w.start + w.end) / 2
            i = int(np.argmin(np.minimum(np.abs(starts - mid), np.abs(ends - mid))))
        out.append(segments[i].speaker)
    return out
