"""Options for each stage. Defaults live on the dataclasses; functions take ``options=None`` and accept dicts."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any, TypeVar

from callqa.errors import OptionError

T = TypeVar("T")


@dataclass(frozen=True)
class TranscribeOptions:
    """How audio becomes words.

    The decoding settings are Whisper's usual guards against its failure on silence and noise: voice activity
    detection first, no conditioning on the previous window (a hallucination there would repeat), the
    compression-ratio and log-probability fallbacks, and skipping silent gaps around suspect words
    (``hallucination_silence_threshold``). callqa adds its own checks after decoding (see ``transcribe.guard``).
    """

    engine: str = "faster-whisper"
    model: str = "base"
    device: str = "auto"
    compute_type: str | None = None
    language: str | None = "en"
    beam_size: int = 5
    temperatures: tuple[float, ...] = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)
    """Decoding temperatures tried in turn when a window fails the compression or log-probability check;
    ``(0.0,)`` is plain greedy or beam search with no fallback."""
    vad_filter: bool = True
    vad_min_silence_ms: int = 500
    vad_speech_pad_ms: int = 200
    condition_on_previous_text: bool = False
    compression_ratio_threshold: float = 2.4
    log_prob_threshold: float = -1.0
    no_speech_threshold: float = 0.6
    hallucination_silence_threshold: float | None = 2.0
    cpu_threads: int = 0
    batch_size: int = 0
    """Above 1 (faster-whisper, a known language): decode speech windows in batches of this size with
    faster-whisper's batched inference, across all calls in flight (``callqa.transcribe.batching``). Batched
    decoding has no temperature fallback per window and no silence-skipping, so words can differ slightly."""
    num_workers: int = 1
    """Transcriptions the loaded model runs at once (set from ``--workers``); it does not change results."""

    def __post_init__(self) -> None:
        if self.device not in ("auto", "cpu", "cuda"):
            raise OptionError(
                f"The 'device' option must be one of 'auto', 'cpu', 'cuda'. Got {self.device!r} instead."
            )
        if self.engine not in ("faster-whisper", "openai-whisper"):
            raise OptionError(
                f"The 'engine' option must be one of 'faster-whisper', 'openai-whisper'. Got {self.engine!r} instead."
            )
        if self.beam_size < 1:
            raise OptionError(f"The 'beam_size' option must be >= 1. Got {self.beam_size!r} instead.")
        if self.batch_size < 0 or self.num_workers < 1:
            raise OptionError(
                f"The 'batch_size' option must be >= 0 and 'num_workers' >= 1. Got {self.batch_size!r} and {self.num_workers!r}."
            )


@dataclass(frozen=True)
class TurnOptions:
    """How recognised words are grouped into turns."""

    max_pause_s: float = 1.5
    """A pause longer than this inside one speaker's speech starts a new utterance."""
    merge_gap_s: float = 3.0
    """Consecutive utterances of one speaker, with nobody else speaking between them, join into one turn when
    the gap is shorter than this."""
    crosstalk_db: float = 12.0
    """On a stereo call, a word whose channel is this many dB quieter than the other channel over the word's
    span is the other speaker's voice leaking across (echo or crosstalk) and is dropped."""


@dataclass(frozen=True)
class DiarizeOptions:
    """How a mono recording is split into speakers."""

    num_speakers: int | None = 2
    """Speakers to find; None estimates 1-4 from how distinct the voices are."""
    window_rate: float = 4.0
    """Speaker embeddings per second of speech (each covers 1.6 s, resemblyzer's partial length)."""
    min_segment_s: float = 0.4
    """Speaker runs shorter than this are absorbed by their neighbours."""
    vad_threshold: float = 0.5


def coerce_options(cls: type[T], options: T | dict[str, Any] | None) -> T:
    """Return ``options`` as an instance of ``cls``: None gives the defaults, a dict is validated field by field."""
    if options is None:
        return cls()
    if isinstance(options, cls):
        return options
    if isinstance(options, dict):
        known = {f.name for f in fields(cls)}  # type: ignore[arg-type]
        unknown = sorted(set(options) - known)
        if unknown:
            raise OptionError(
                f"Unknown option(s) {unknown} for {cls.__name__}; allowed: {sorted(known)}."
            )
        return cls(**options)
    raise OptionError(f"Options must be a {cls.__name__} or a dict. Got {type(options).__name__} instead.")
