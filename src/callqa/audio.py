"""Decode recordings with PyAV (FFmpeg), resample to 16 kHz, and keep channels apart.

Whisper and the VAD and speaker models all work at 16 kHz. Telephony audio (8 kHz) is upsampled; nothing is
invented above 4 kHz, which is what those models were trained to expect from phone speech anyway.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from callqa.errors import AudioDecodeError, InputError

logger = logging.getLogger("callqa")

SAMPLE_RATE = 16000
AUDIO_EXTENSIONS = frozenset({".wav", ".flac", ".mp3", ".ogg", ".opus", ".oga", ".m4a", ".aac", ".mp4", ".webm", ".wma"})
MAX_CHANNELS = 2


@dataclass(frozen=True)
class Audio:
    """Decoded audio: ``samples`` has shape (channels, n) in float32 at ``sample_rate``."""

    samples: np.ndarray
    sample_rate: int
    source_sample_rate: int
    source_channels: int
    codec: str
    path: str
    warnings: tuple[str, ...] = ()

    @property
    def channels(self) -> int:
        return int(self.samples.shape[0])

    @property
    def duration_s(self) -> float:
        return self.samples.shape[1] / self.sample_rate

    def channel(self, index: int) -> np.ndarray:
        return self.samples[index]

    def downmix(self) -> np.ndarray:
        return self.samples.mean(axis=0).astype(np.float32)


def load_audio(path: str | Path, sample_rate: int = SAMPLE_RATE) -> Audio:
    """Decode ``path`` into float32 samples per channel at ``sample_rate``.

    Raises AudioDecodeError naming the file when it cannot be opened, has no audio stream, decodes to nothing,
    or has more channels than a call recording (agent and customer) can have.
    """
    import av  # PyAV ships with faster-whisper; imported here so `callqa --help` stays light.

    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: file not found.")
    if path.is_dir():
        raise InputError(f"{path}: is a folder, not an audio file.")
    try:
        container = av.open(str(path), metadata_errors="ignore")
    except (av.error.FFmpegError, UnicodeDecodeError, ValueError) as e:
        reason = getattr(e, "strerror", None) or str(e)
        raise AudioDecodeError(f"{path}: cannot be opened as audio (FFmpeg: {reason}); is it a recording?") from e
    except PermissionError as e:
        raise InputError(f"{path}: permission denied.") from e

    with container:
        if not container.streams.audio:
            raise AudioDecodeError(f"{path}: holds no audio stream.")
        stream = container.streams.audio[0]
        if stream.codec_context is None:
            raise AudioDecodeError(f"{path}: its audio codec is not one FFmpeg can decode; convert it to WAV, FLAC or MP3.")
        codec = stream.codec_context.name
        channels = stream.codec_context.channels
        source_rate = stream.codec_context.sample_rate or 0
        if channels > MAX_CHANNELS:
            raise AudioDecodeError(
                f"{path}: has {channels} channels; callqa reads mono recordings or two-channel recordings "
                f"(agent on one side, customer on the other). Mix it down or extract the two call channels first."
            )
        resampler = av.AudioResampler(format="fltp", rate=sample_rate)
        chunks: list[np.ndarray] = []
        error: Exception | None = None
        try:
            for frame in container.decode(stream):
                frame.pts = None
                for out in resampler.resample(frame):
                    chunks.append(out.to_ndarray())
            for out in resampler.resample(None):
                chunks.append(out.to_ndarray())
        except (av.error.FFmpegError, ValueError) as e:
            error = getattr(e, "strerror", None) or e

    if not chunks:
        reason = f"decoding failed ({error})" if error else "it decodes to no samples"
        raise AudioDecodeError(f"{path}: no audio could be read: {reason}.")
    samples = np.concatenate(chunks, axis=1).astype(np.float32, copy=False)
    warnings: tuple[str, ...] = ()
    if error is not None:
        message = f"decoding stopped early ({error}); using the first {samples.shape[1] / sample_rate:.1f} s (truncated or damaged file?)"
        logger.warning("%s: %s", path, message)
        warnings = (message,)
    if samples.shape[1] < sample_rate // 10:
        raise AudioDecodeError(f"{path}: only {samples.shape[1] / sample_rate * 1000:.0f} ms of audio; too short to be a call.")
    if samples.shape[0] != channels and channels:
        samples = samples[:channels]
    return Audio(
        samples=samples,
        sample_rate=sample_rate,
        source_sample_rate=source_rate,
        source_channels=samples.shape[0],
        codec=codec,
        path=str(path),
        warnings=warnings,
    )


def rms_db(samples: np.ndarray) -> float:
    """Root-mean-square level in dBFS (-120 for digital silence)."""
    if samples.size == 0:
        return -120.0
    rms = float(np.sqrt(np.mean(np.square(samples, dtype=np.float64))))
    return 20.0 * np.log10(max(rms, 1e-6))


def span_db(samples: np.ndarray, start: float, end: float, sample_rate: int = SAMPLE_RATE) -> float:
    """Level in dBFS of ``samples`` between two times in seconds."""
    a = max(0, int(start * sample_rate))
    b = max(a + 1, int(end * sample_rate))
    return rms_db(samples[a:b])


def channels_identical(audio: Audio, threshold: float = 0.98) -> bool:
    """True when a two-channel file carries the same signal twice (a mono call saved as stereo)."""
    if audio.channels < 2:
        return True
    a, b = audio.samples[0], audio.samples[1]
    if rms_db(a - b) < -60.0:
        return True
    sa, sb = float(np.std(a)), float(np.std(b))
    if sa < 1e-6 or sb < 1e-6:
        return False
    return float(np.corrcoef(a, b)[0, 1]) >= threshold


def channel_is_silent(samples: np.ndarray, floor_db: float = -55.0) -> bool:
    """True when a channel holds no speech-level signal anywhere (a dead line)."""
    frame = SAMPLE_RATE // 10
    n = samples.size // frame
    if n == 0:
        return rms_db(samples) < floor_db
    levels = np.sqrt(np.mean(np.square(samples[: n * frame].reshape(n, frame), dtype=np.float64), axis=1))
    loud = np.percentile(levels, 95)
    return 20.0 * np.log10(max(float(loud), 1e-6)) < floor_db


_LOSSY_BIT_RATE = {"libmp3lame": 32000, "libopus": 24000, "aac": 48000}
_CODEC_BY_EXT = {".wav": "pcm_s16le", ".flac": "flac", ".mp3": "libmp3lame", ".ogg": "libopus", ".opus": "libopus", ".m4a": "aac"}


def to_pcm16(samples: np.ndarray) -> np.ndarray:
    """Float samples as 16-bit integers: the inverse of decoding (value / 32768), rounded, so 16-bit audio read by
    ``load_audio`` is written back sample for sample."""
    return np.clip(np.rint(np.asarray(samples, dtype=np.float64) * 32768.0), -32768, 32767).astype(np.int16)


def save_audio(path: str | Path, samples: np.ndarray, sample_rate: int) -> None:
    """Encode float samples of shape (channels, n) or (n,) to ``path``; the codec follows the extension."""
    import av

    path = Path(path)
    codec = _CODEC_BY_EXT.get(path.suffix.lower())
    if codec is None:
        raise InputError(f"{path}: cannot write {path.suffix!r}; use one of {sorted(_CODEC_BY_EXT)}.")
    x = np.atleast_2d(np.asarray(samples, dtype=np.float32))
    layout = {1: "mono", 2: "stereo"}[x.shape[0]]
    rate = 48000 if codec == "libopus" and sample_rate not in (8000, 12000, 16000, 24000, 48000) else sample_rate
    with av.open(str(path), "w") as out:
        stream = out.add_stream(codec, rate=rate, layout=layout)
        if codec in _LOSSY_BIT_RATE:  # encoders' defaults at 8 kHz are too low for speech (LAME picks 8 kb/s)
            stream.bit_rate = _LOSSY_BIT_RATE[codec]
        fmt = stream.codec_context.codec.audio_formats[0].name if stream.codec_context.codec.audio_formats else "s16"
        resampler = av.AudioResampler(format=fmt, layout=layout, rate=rate)
        pcm = to_pcm16(x)
        frame = av.AudioFrame.from_ndarray(pcm.T.reshape(1, -1), format="s16", layout=layout)
        frame.sample_rate = sample_rate
        for f in resampler.resample(frame) + resampler.resample(None):
            for packet in stream.encode(f):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
