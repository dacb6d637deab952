"""Speech recognition engines behind one interface.

An engine has ``info`` (an EngineInfo) and ``transcribe(samples) -> (segments, language)`` for 16 kHz mono
float32 audio, with word timestamps.
"""

from __future__ import annotations

import threading
from typing import Protocol

import numpy as np

from callqa.config import TranscribeOptions
from callqa.errors import OptionError
from callqa.loading import load_once
from callqa.model import EngineInfo, Segment

ENGINES = ("faster-whisper", "openai-whisper")


class Engine(Protocol):
    @property
    def info(self) -> EngineInfo: ...

    def transcribe(self, samples: np.ndarray) -> tuple[list[Segment], str | None]: ...


_loading = threading.Lock()


def get_engine(options: TranscribeOptions) -> Engine:
    """Load the engine ``options.engine`` once per process and options (threads wait for the first load)."""
    with _loading:
        return _load_engine(options)


@load_once(maxsize=4)
def _load_engine(options: TranscribeOptions) -> Engine:
    if options.engine == "faster-whisper":
        from callqa.transcribe.faster_whisper import FasterWhisperEngine

        return FasterWhisperEngine(options)
    if options.engine == "openai-whisper":
        from callqa.transcribe.openai_whisper import OpenAIWhisperEngine

        return OpenAIWhisperEngine(options)
    raise OptionError(f"The 'engine' option must be one of {list(ENGINES)}. Got {options.engine!r} instead.")
