"""Batched decoding across calls: speech from every call in flight fills the same batches.

faster-whisper's ``BatchedInferencePipeline`` batches the 30-second windows of one recording. In an overnight batch
most recordings are short, so a batch is rarely full and the GPU waits. Here, every thread that asks the engine for
a transcription (one per call in flight, see ``callqa.executors``) hands its audio to one ``CrossCallBatcher``; a
collector thread takes what has arrived, finds the speech in each recording (Silero VAD), cuts it into windows of at
most 30 s of speech (silences cut out, as faster-whisper's ``vad_filter`` does) that never cross from one recording
into another, lays them end to end and decodes all windows in batches of ``batch_size``. Each segment goes back to
the recording it came from, with its original times.
"""

from __future__ import annotations

import queue
import threading
from concurrent.futures import Future
from dataclasses import dataclass

import numpy as np

from callqa.model import Segment

SAMPLE_RATE = 16000
WINDOW_S = 30.0
STEP_SAMPLES = 320  # Whisper's 20 ms time step
GAP_SAMPLES = 10 * SAMPLE_RATE


@dataclass
class _Request:
    samples: np.ndarray
    future: Future


def speech_only(samples: np.ndarray, min_silence_ms: int, speech_pad_ms: int):
    """The speech of ``samples`` laid end to end, its windows of at most 30 s, and the map back to the original times.

    As faster-whisper does with ``vad_filter``: silences are cut out (on one channel of a two-channel call, the other
    side's turns), so only speech is decoded, and times are restored afterwards.
    """
    from faster_whisper.vad import SpeechTimestampsMap, VadOptions, get_speech_timestamps

    speech = get_speech_timestamps(
        samples, VadOptions(min_silence_duration_ms=min_silence_ms, speech_pad_ms=speech_pad_ms, max_speech_duration_s=WINDOW_S)
    )
    if not speech:
        return np.zeros(0, dtype=np.float32), [], None
    limit = int(WINDOW_S * SAMPLE_RATE)
    windows: list[tuple[int, int]] = []
    start = length = 0
    for s in speech:
        n = s["end"] - s["start"]
        if length > start and length + n - start > limit:
            windows.append((start, length))
            start = length
        length += n
    windows.append((start, length))
    audio = np.concatenate([samples[s["start"] : s["end"]] for s in speech])
    return audio, windows, SpeechTimestampsMap(speech, SAMPLE_RATE, time_precision=3)


class CrossCallBatcher:
    """Collects transcription requests from many threads and decodes them together."""

    def __init__(self, model, options, language: str | None, linger_s: float = 0.05, max_requests: int = 64):
        self.model = model
        self.options = options
        self.language = language
        self.linger_s = linger_s
        self.max_requests = max_requests
        self._queue: queue.Queue[_Request] = queue.Queue()
        self._thread = threading.Thread(target=self._loop, name="callqa-batcher", daemon=True)
        self._thread.start()

    def transcribe(self, samples: np.ndarray) -> list[Segment]:
        """Segments of ``samples`` (16 kHz mono), decoded in a batch with whatever else is waiting."""
        future: Future = Future()
        self._queue.put(_Request(np.asarray(samples, dtype=np.float32), future))
        return future.result()

    def _loop(self) -> None:
        while True:
            batch = [self._queue.get()]
            while len(batch) < self.max_requests:
                try:
                    batch.append(self._queue.get(timeout=self.linger_s))
                except queue.Empty:
                    break
            try:
                results = self.decode([r.samples for r in batch])
            except BaseException as e:  # every waiting caller gets the error
                for r in batch:
                    r.future.set_exception(e)
                continue
            for r, segments in zip(batch, results):
                r.future.set_result(segments)

    def decode(self, recordings: list[np.ndarray]) -> list[list[Segment]]:
        """Segments of each recording, the speech windows of all of them decoded in shared batches."""
        import bisect

        from faster_whisper import BatchedInferencePipeline

        from callqa.transcribe.faster_whisper import to_segment

        o = self.options
        # Each recording starts GAP after the previous one (and after time 0), on a 20 ms step: faster-whisper's
        # word-time heuristics look at the time since the last word, and rounds absolute times; this way they see
        # the same thing whether a recording is decoded alone or with others. The gaps are never decoded.
        gap = np.zeros(GAP_SAMPLES, dtype=np.float32)
        clips, owner, pieces, offsets, maps = [], [], [gap], [], []
        cursor = GAP_SAMPLES
        for k, samples in enumerate(recordings):
            audio, windows, speech_map = speech_only(samples, o.vad_min_silence_ms, o.vad_speech_pad_ms)
            offsets.append(cursor)
            maps.append(speech_map)
            for a, b in windows:
                clips.append({"start": (cursor + a) / SAMPLE_RATE, "end": (cursor + b) / SAMPLE_RATE})
                owner.append(k)
            padded = -(-len(audio) // STEP_SAMPLES) * STEP_SAMPLES
            pieces += [audio, np.zeros(padded - len(audio), dtype=np.float32), gap]
            cursor += padded + GAP_SAMPLES
        out: list[list[Segment]] = [[] for _ in recordings]
        if not clips:
            return out
        pipeline = BatchedInferencePipeline(self.model)  # one per decode: it keeps the last word time as state
        segments, _ = pipeline.transcribe(
            np.concatenate(pieces),
            language=self.language,
            batch_size=o.batch_size,
            beam_size=o.beam_size,
            temperature=list(o.temperatures),
            word_timestamps=True,
            vad_filter=False,
            clip_timestamps=clips,
            compression_ratio_threshold=o.compression_ratio_threshold,
            log_prob_threshold=o.log_prob_threshold,
            no_speech_threshold=o.no_speech_threshold,
        )
        starts = [c["start"] for c in clips]
        for s in segments:
            middle = (float(s.start) + float(s.end)) / 2  # a start can round to just before its window
            k = owner[max(0, bisect.bisect_right(starts, middle) - 1)]
            shift, speech_map = offsets[k] / SAMPLE_RATE, maps[k]

            def restore(t: float, is_end: bool = False) -> float:
                return round(float(speech_map.get_original_time(max(0.0, float(t) - shift), is_end=is_end)), 3)

            out[k].append(to_segment(s, restore, restore))
        return out
