"""The second engine: openai-whisper, the reference implementation (PyTorch).

It gets the same voice activity detection as the default engine (Silero VAD, speech joined, times mapped back),
the same decoding guards and the same word timestamps, so the two engines' outputs differ only where the
recognisers do. fp16 on CUDA, fp32 on the CPU.
"""

from __future__ import annotations

import logging
from functools import lru_cache
from pathlib import Path

import numpy as np

from callqa.audio import SAMPLE_RATE
from callqa.config import TranscribeOptions
from callqa.errors import ModelError, OptionError
from callqa.model import EngineInfo, Segment, Word
from callqa.transcribe.models import BUNDLED_MODELS, ResolvedModel, openai_whisper_checkpoint

logger = logging.getLogger("callqa")


def resolve_openai_model(name_or_path: str) -> ResolvedModel:
    """A local .pt checkpoint; a bundled model (converted offline); or an official name (whisper downloads it)."""
    import whisper

    p = Path(name_or_path).expanduser()
    if p.suffix == ".pt":
        if not p.is_file():
            raise ModelError(f"{p}: checkpoint not found.")
        return ResolvedModel(name=p.stem, path=str(p), sha256=None, multilingual=True)
    if name_or_path in BUNDLED_MODELS:
        return openai_whisper_checkpoint(name_or_path)
    if name_or_path in whisper.available_models():
        return ResolvedModel(name=name_or_path, path=name_or_path, sha256=None, multilingual=not name_or_path.endswith(".en"))
    raise ModelError(
        f"The 'model' option for openai-whisper must be a bundled model ({', '.join(sorted(BUNDLED_MODELS))}), an "
        f"official name ({', '.join(whisper.available_models())}) or a .pt checkpoint. Got {name_or_path!r} instead."
    )


@lru_cache(maxsize=2)
def _load(path: str, device: str):
    import torch
    import whisper

    try:
        model = whisper.load_model(path, device=device)
    except Exception as e:  # download failures, corrupt checkpoints
        raise ModelError(f"Could not load the openai-whisper model {path!r} on {device}: {e}") from e
    if path.endswith(".pt"):
        checkpoint = torch.load(path, map_location="cpu", weights_only=True)
        if checkpoint.get("alignment_heads"):
            model.set_alignment_heads(checkpoint["alignment_heads"])
    return model


class OpenAIWhisperEngine:
    name = "openai-whisper"

    def __init__(self, options: TranscribeOptions):
        import torch

        self.options = options
        device = options.device
        if device == "auto":
            device = "cuda" if torch.cuda.is_available() else "cpu"
        elif device == "cuda" and not torch.cuda.is_available():
            raise OptionError("The 'device' option is 'cuda' but torch sees no CUDA device. Use --device cpu or auto.")
        self.device = device
        self.fp16 = device == "cuda"
        self.resolved = resolve_openai_model(options.model)
        self._model = _load(self.resolved.path, device)

    @property
    def info(self) -> EngineInfo:
        return EngineInfo(
            name=self.name,
            model=self.resolved.name,
            device=self.device,
            compute_type="float16" if self.fp16 else "float32",
            model_sha256=self.resolved.sha256,
        )

    def transcribe(self, samples: np.ndarray) -> tuple[list[Segment], str | None]:
        from faster_whisper.vad import SpeechTimestampsMap, VadOptions, collect_chunks, get_speech_timestamps

        o = self.options
        audio = samples.astype(np.float32)
        ts_map = None
        if o.vad_filter:
            chunks = get_speech_timestamps(
                audio, VadOptions(min_silence_duration_ms=o.vad_min_silence_ms, speech_pad_ms=o.vad_speech_pad_ms)
            )
            if not chunks:
                return [], o.language
            audio = np.concatenate(collect_chunks(audio, chunks)[0])
            ts_map = SpeechTimestampsMap(chunks, SAMPLE_RATE)
        result = self._model.transcribe(
            audio,
            language=o.language if self.resolved.multilingual else "en",
            temperature=tuple(o.temperatures),
            beam_size=o.beam_size if o.beam_size > 1 else None,
            best_of=5 if len(o.temperatures) > 1 else None,
            word_timestamps=True,
            condition_on_previous_text=o.condition_on_previous_text,
            compression_ratio_threshold=o.compression_ratio_threshold,
            logprob_threshold=o.log_prob_threshold,
            no_speech_threshold=o.no_speech_threshold,
            hallucination_silence_threshold=o.hallucination_silence_threshold,
            fp16=self.fp16,
            verbose=None,
        )

        def orig(t: float, chunk: int | None = None) -> float:
            return float(t) if ts_map is None else ts_map.get_original_time(float(t), chunk)

        segments = []
        for s in result["segments"]:
            words = []
            for w in s.get("words") or ():
                chunk = None if ts_map is None else ts_map.get_chunk_index((w["start"] + w["end"]) / 2)
                words.append(
                    Word(start=round(orig(w["start"], chunk), 3), end=round(orig(w["end"], chunk), 3), word=w["word"], prob=round(float(w["probability"]), 4))
                )
            segments.append(
                Segment(
                    start=words[0].start if words else orig(s["start"]),
                    end=words[-1].end if words else orig(s["end"]),
                    text=s["text"].strip(),
                    words=tuple(words),
                    avg_logprob=float(s["avg_logprob"]),
                    no_speech_prob=float(s["no_speech_prob"]),
                    compression_ratio=float(s["compression_ratio"]),
                )
            )
        return segments, result.get("language")
