"""The default engine: faster-whisper (CTranslate2)."""

from __future__ import annotations

import logging
from collections.abc import Callable

import numpy as np

from callqa.config import TranscribeOptions
from callqa.errors import ModelError, OptionError
from callqa.loading import load_once
from callqa.model import EngineInfo, Segment, Word
from callqa.transcribe.models import resolve_model

logger = logging.getLogger("callqa")


def cuda_available() -> bool:
    import ctranslate2

    try:
        return ctranslate2.get_cuda_device_count() > 0
    except Exception:  # a broken CUDA install means: no usable GPU
        return False


def pick_device(device: str, compute_type: str | None) -> tuple[str, str]:
    """``auto`` takes CUDA when present; float16 on the GPU, int8 on the CPU unless told otherwise."""
    if device == "auto":
        device = "cuda" if cuda_available() else "cpu"
    elif device == "cuda" and not cuda_available():
        raise OptionError("The 'device' option is 'cuda' but no CUDA device is visible. Use --device cpu or auto.")
    return device, compute_type or ("float16" if device == "cuda" else "int8")


@load_once(maxsize=4)
def _load_model(path: str, device: str, compute_type: str, cpu_threads: int, num_workers: int = 1):
    from faster_whisper import WhisperModel

    try:
        return WhisperModel(path, device=device, compute_type=compute_type, cpu_threads=cpu_threads, num_workers=num_workers)
    except Exception as e:  # network errors, missing files, unsupported compute types
        raise ModelError(f"Could not load the faster-whisper model {path!r} on {device}/{compute_type}: {e}") from e


class FasterWhisperEngine:
    """Transcribes 16 kHz mono float32 arrays into segments with word timestamps."""

    name = "faster-whisper"

    def __init__(self, options: TranscribeOptions):
        self.options = options
        self.resolved = resolve_model(options.model)
        self.device, self.compute_type = pick_device(options.device, options.compute_type)
        if options.language and options.language != "en" and not self.resolved.multilingual:
            raise OptionError(
                f"The model {self.resolved.name!r} is English-only; language {options.language!r} needs a "
                f"multilingual model such as 'base'."
            )
        self._model = _load_model(self.resolved.path, self.device, self.compute_type, options.cpu_threads, options.num_workers)
        self._batcher = None
        language = options.language if self.resolved.multilingual else "en"
        if options.batch_size > 1 and language:  # language detection is per recording: not batched
            from callqa.transcribe.batching import CrossCallBatcher

            self._batcher = CrossCallBatcher(self._model, options, language)

    @property
    def info(self) -> EngineInfo:
        return EngineInfo(
            name=self.name,
            model=self.resolved.name,
            device=self.device,
            compute_type=self.compute_type,
            model_sha256=self.resolved.sha256,
        )

    def transcribe(self, samples: np.ndarray) -> tuple[list[Segment], str | None]:
        """Return the segments of ``samples`` and the language spoken."""
        o = self.options
        language = o.language if self.resolved.multilingual else "en"
        if self._batcher is not None:
            return self._batcher.transcribe(samples), language
        segments, info = self._model.transcribe(
            samples,
            language=language,
            beam_size=o.beam_size,
            temperature=list(o.temperatures),
            word_timestamps=True,
            vad_filter=o.vad_filter,
            vad_parameters={"min_silence_duration_ms": o.vad_min_silence_ms, "speech_pad_ms": o.vad_speech_pad_ms},
            condition_on_previous_text=o.condition_on_previous_text,
            compression_ratio_threshold=o.compression_ratio_threshold,
            log_prob_threshold=o.log_prob_threshold,
            no_speech_threshold=o.no_speech_threshold,
            hallucination_silence_threshold=o.hallucination_silence_threshold,
        )
        return [to_segment(s, _seconds, _milliseconds) for s in segments], info.language


def _seconds(t: float, is_end: bool = False) -> float:
    return float(t)


def _milliseconds(t: float, is_end: bool = False) -> float:
    return round(float(t), 3)


def to_segment(s, segment_time: Callable[..., float], word_time: Callable[..., float]) -> Segment:
    """callqa's Segment for one of faster-whisper's; the time functions (``f(t, is_end=...)``) place its times."""
    return Segment(
        start=segment_time(s.start),
        end=segment_time(s.end, is_end=True),
        text=s.text.strip(),
        words=tuple(
            Word(start=word_time(w.start), end=word_time(w.end, is_end=True), word=w.word, prob=round(float(w.probability), 4))
            for w in (s.words or ())
        ),
        avg_logprob=float(s.avg_logprob),
        no_speech_prob=float(s.no_speech_prob),
        compression_ratio=float(s.compression_ratio),
    )
