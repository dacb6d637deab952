"""faster-whisper vs openai-whisper inside callqa: x real time and WER on the same audio and model, in one run.

Usage: python scripts/benchmark_engines.py [--model base] [--device cpu] [--files N]

Both engines run callqa's whole transcription stage (VAD, decoding with the same options, guards, turns) with
the same bundled weights (openai-whisper's converted from the CTranslate2 ones); faster-whisper also runs with
batched decoding (``--batch-size 8``). Each configuration transcribes a warm-up clip first so model loading and
conversion are not timed. Prints x real time and pooled WER per configuration, and the speed ratios.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from callqa.config import TranscribeOptions
from callqa.evaluation import read_stm, word_error_rate
from callqa.model import CallInput
from callqa.pipeline import PipelineOptions, transcribe_call
from machine import describe  # scripts/machine.py

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
JFK = "And so my fellow Americans, ask not what your country can do for you, ask what you can do for your country."
CLIP = "He began a confused complaint against the wizard, who had vanished behind the curtain on the left. The horizon seems extremely distant."


def transcript(result) -> str:
    return "".join(w.word for w in sorted((w for t in result.turns for w in t.words), key=lambda w: (w.start, w.end)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="base")
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    print(describe())
    cases = [
        (CallInput("jfk", str(DATA / "faster-whisper" / "jfk.flac"), "audio"), JFK),
        (CallInput("clip", str(DATA / "faster-whisper" / "stereo_diarization.wav"), "audio", agent_channel="left"), CLIP),
        (CallInput("pyannote", str(DATA / "pyannote" / "sample.wav"), "audio"),
         " ".join(t for *_, t in read_stm(str(DATA / "pyannote" / "sample.stm")))),
        (CallInput("clean_resolution", str(ROOT / "audio_samples" / "clean_resolution.ogg"), "audio"), None),
    ]
    results = {}
    for engine, batch in (("faster-whisper", 0), ("faster-whisper", 8), ("openai-whisper", 0)):
        options = PipelineOptions(transcribe=TranscribeOptions(engine=engine, model=args.model, device=args.device, batch_size=batch))
        label = f"{engine}{' batched' if batch else ''}"
        transcribe_call(cases[0][0], options)  # warm-up: load (and for openai-whisper, convert) the model
        audio_s = wall_s = 0.0
        errors = words = 0.0
        for call, ref in cases:
            t0 = time.perf_counter()
            result = transcribe_call(call, options)
            dt = time.perf_counter() - t0
            audio_s += result.duration_s
            wall_s += dt
            wer = None
            if ref is not None:
                text = transcript(result) if call.call_id != "clip" else " ".join(
                    t.text for t in sorted(result.turns, key=lambda t: (t.channel, t.start))
                )
                wer = word_error_rate(ref, text)
                errors += wer * len(ref.split())
                words += len(ref.split())
            print(f"{label:22} {call.call_id:18} {result.duration_s:6.1f} s audio {dt:6.1f} s  {result.duration_s / dt:5.1f}x RT"
                  + (f"  WER {wer:.3f}" if wer is not None else ""), flush=True)
        results[label] = (audio_s / wall_s, errors / words, result.engine)
    print()
    for label, (xrt, wer, info) in results.items():
        print(f"{label:22} {xrt:5.1f}x real time, pooled WER {wer:.3f} ({info.model}, {info.device}, {info.compute_type})")
    ow = results["openai-whisper"][0]
    for label in ("faster-whisper", "faster-whisper batched"):
        print(f"{label} is {results[label][0] / ow:.2f}x faster than openai-whisper on the same audio and weights")


if __name__ == "__main__":
    main()
