"""callqa's whole pipeline against plain faster-whisper on the same files, and the share of time spent in NLP scoring.

Usage: python scripts/benchmark_pipeline.py [--model base] [--device cpu] [--batch-size 8] [--workers 2] [FILES_OR_FOLDERS...]

Default audio: the bundled audio_samples (five calls, stereo and mono, five codecs). Measured in one run:

1. plain faster-whisper: ``WhisperModel.transcribe(file)`` with the same model, compute type, beam size, VAD and
   word timestamps, each file decoded as faster-whisper decodes it (stereo mixed down to one channel); and its
   ``BatchedInferencePipeline`` with batches of 8, file by file;
2. callqa ``analyze_batch`` (the default: decode, each channel of a stereo call transcribed on its own, crosstalk
   removal, diarization of mono calls, acts and phases, scores, redaction, per-call JSON and tables), one call at a
   time with one window at a time, then as the CLI runs by default, ``--workers 2 --batch-size 8`` (calls in flight
   share batched decoding; on a GPU give a larger ``--batch-size``).

Models are loaded before timing starts (a warm-up call), on both sides. Prints the ratio of callqa's time to plain
faster-whisper's, and the share of callqa's time spent in acts, phases and scores (``finish_call``) and redaction.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from callqa import pipeline
from callqa.config import TranscribeOptions
from callqa.inputs import discover
from callqa.pipeline import PipelineOptions, analyze_batch, analyze_call
from machine import describe  # scripts/machine.py

ROOT = Path(__file__).resolve().parent.parent
WARMUP = ROOT / "tests" / "data" / "faster-whisper" / "jfk.flac"


class Stopwatch:
    """Wraps a function of ``callqa.pipeline`` and adds up the time spent inside it."""

    def __init__(self, name: str):
        self.name, self.seconds = name, 0.0
        self.inner = getattr(pipeline, name)
        setattr(pipeline, name, self)

    def __call__(self, *args, **kwargs):
        t0 = time.perf_counter()
        try:
            return self.inner(*args, **kwargs)
        finally:
            self.seconds += time.perf_counter() - t0


def plain_faster_whisper(files: list[Path], options: TranscribeOptions, batch_size: int = 0) -> tuple[float, float]:
    from faster_whisper import BatchedInferencePipeline, WhisperModel

    from callqa.audio import load_audio
    from callqa.transcribe.faster_whisper import pick_device
    from callqa.transcribe.models import resolve_model

    device, compute_type = pick_device(options.device, options.compute_type)
    model = WhisperModel(resolve_model(options.model).path, device=device, compute_type=compute_type)
    decode = dict(language="en", beam_size=options.beam_size, vad_filter=True, word_timestamps=True, condition_on_previous_text=False)
    if batch_size:
        model = BatchedInferencePipeline(model)
        decode["batch_size"] = batch_size
    list(model.transcribe(str(WARMUP), **decode)[0])
    audio_s = sum(load_audio(f).duration_s for f in files)
    t0 = time.perf_counter()
    for f in files:
        segments, _ = model.transcribe(str(f), **decode)
        list(segments)
    return time.perf_counter() - t0, audio_s


def callqa_batch(files: list[Path], options: PipelineOptions, workers: int) -> tuple[float, float, float]:
    analyze_call(WARMUP, options)  # load the engine, the tagger, spaCy, the embedder
    from callqa.redact import get_redactor

    get_redactor()
    finish, redact = Stopwatch("finish_call"), Stopwatch("_redact")
    try:
        with tempfile.TemporaryDirectory() as out:
            t0 = time.perf_counter()
            summary = analyze_batch(list(map(str, files)), out, options, workers=workers, resume=False)
            wall = time.perf_counter() - t0
        assert summary.failed == 0, summary.failures
    finally:
        setattr(pipeline, "finish_call", finish.inner)
        setattr(pipeline, "_redact", redact.inner)
    return wall, finish.seconds, redact.seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("inputs", nargs="*", type=Path, default=[ROOT / "audio_samples"])
    parser.add_argument("--model", default="base")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    print(describe())
    files = [Path(c.path) for c in discover(args.inputs) if c.kind == "audio"]
    base = TranscribeOptions(model=args.model, device=args.device)
    plain_s, audio_s = plain_faster_whisper(files, base)
    batched_s, _ = plain_faster_whisper(files, base, batch_size=args.batch_size)
    print(f"{len(files)} files, {audio_s:.1f} s of audio, model {args.model} on {args.device}")
    print(f"plain faster-whisper          {plain_s:7.1f} s  {audio_s / plain_s:5.1f}x real time")
    print(f"{f'faster-whisper batched ({args.batch_size})':29} {batched_s:7.1f} s  {audio_s / batched_s:5.1f}x real time (its BatchedInferencePipeline, file by file)")
    rows = []
    batched_label = f"callqa --workers {args.workers} --batch-size {args.batch_size}"
    for label, workers, batch in (("callqa, 1 call at a time", 1, 0), (batched_label, args.workers, args.batch_size)):
        transcribe = TranscribeOptions(model=args.model, device=args.device, batch_size=batch, num_workers=workers)
        wall, nlp, redact = callqa_batch(files, PipelineOptions(transcribe=transcribe), workers)
        rows.append((label, wall, nlp, redact))
        print(f"{label:29} {wall:7.1f} s  {audio_s / wall:5.1f}x real time  {wall / plain_s:4.2f}x plain faster-whisper's time; "
              f"acts, phases and scores {nlp:5.1f} s ({100 * nlp / wall:4.1f}%), redaction {redact:4.1f} s ({100 * redact / wall:4.1f}%)")
    print()
    for label, wall, nlp, redact in rows:
        print(f"ratio {label}: {wall / plain_s:.2f}x plain faster-whisper, {wall / batched_s:.2f}x its batched pipeline; "
              f"NLP scoring share {100 * nlp / wall:.1f}% (with redaction {100 * (nlp + redact) / wall:.1f}%)")


if __name__ == "__main__":
    main()
