"""Compare the bundled Whisper models on real audio with known text: word error rate and x real time, one run.

Usage: python scripts/benchmark_models.py [--models base tiny.en] [--device cpu]

Files: jfk.flac (clean read speech), the stereo clip (two readers, one per channel), the pyannote telephone
conversation (reference: its STM), the auto-repair service call (no reference transcript exists: the script
prints how many words each model recognised on each side), and the four synthetic sample calls (espeak-ng at
8 kHz; reference: their scripts).
Every model runs through callqa's own pipeline with the same options; times include VAD and turn building,
not model loading (each model transcribes a warm-up clip first).
"""

from __future__ import annotations

import argparse
import sys
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
LEFT = "He began a confused complaint against the wizard, who had vanished behind the curtain on the left."
RIGHT = "The horizon seems extremely distant."


def time_ordered(result) -> str:
    return "".join(w.word for w in sorted((w for t in result.turns for w in t.words), key=lambda w: w.start))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", nargs="+", default=["base", "tiny.en"])
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    print(describe())
    pyannote_ref = " ".join(t for *_, t in read_stm(str(DATA / "pyannote" / "sample.stm")))
    cases = [
        ("jfk.flac", CallInput("jfk", str(DATA / "faster-whisper" / "jfk.flac"), "audio"), JFK),
        ("stereo clip", CallInput("clip", str(DATA / "faster-whisper" / "stereo_diarization.wav"), "audio", agent_channel="left"), f"{LEFT} {RIGHT}"),
        ("pyannote phone call", CallInput("pyannote", str(DATA / "pyannote" / "sample.wav"), "audio"), pyannote_ref),
        ("auto-repair call", CallInput("auto_repair", str(ROOT / "audio_samples" / "auto_repair_40.flac"), "audio"), None),
    ]
    # The synthetic sample calls: espeak-ng voices at 8 kHz, reference = their script.
    sys.path.insert(0, str(ROOT / "scripts"))
    from make_sample_audio import CALLS

    for call_id, spec in CALLS.items():
        ref = " ".join(text for _, text, _ in spec["script"])
        path = ROOT / "audio_samples" / f"{call_id}{spec['format']}"
        cases.append((f"synthetic {call_id}"[:22], CallInput(call_id, str(path), "audio"), ref))
    print(f"{'model':8} {'file':22} {'WER':>6} {'xRT':>6}  words agent/customer")
    totals: dict[str, list[float]] = {}
    for model in args.models:
        options = PipelineOptions(transcribe=TranscribeOptions(model=model, device=args.device))
        transcribe_call(cases[0][1], options)  # warm-up: load the model
        audio_s = wall_s = 0.0
        errors = ref_words = 0.0
        for name, call, ref in cases:
            t0 = time.perf_counter()
            result = transcribe_call(call, options)
            dt = time.perf_counter() - t0
            audio_s += result.duration_s
            wall_s += dt
            n = {s: sum(len(t.text.split()) for t in result.turns if t.speaker == s) for s in ("agent", "customer")}
            wer = None
            if ref is not None:
                if call.call_id == "clip":  # two unrelated sentences: left channel, then right
                    hyp = " ".join(t.text for t in sorted(result.turns, key=lambda t: (t.channel or 0, t.start)))
                else:
                    hyp = time_ordered(result)
                wer = word_error_rate(ref, hyp)
                errors += wer * len(ref.split())
                ref_words += len(ref.split())
            wer_s = f"{wer:6.3f}" if wer is not None else "     -"
            print(f"{model:8} {name:22} {wer_s} {result.duration_s / dt:6.1f}  {n['agent']}/{n['customer']}")
        totals[model] = [errors / ref_words, audio_s / wall_s]
    print()
    for model, (wer, xrt) in totals.items():
        print(f"{model:8} pooled WER {wer:.3f} over the referenced files; {xrt:.1f}x real time over all files")
    if len(totals) == 2:
        (a, (wa, xa)), (b, (wb, xb)) = totals.items()
        print(f"ratio {b}/{a}: WER {wb / wa:.2f}x, speed {xb / xa:.2f}x")


if __name__ == "__main__":
    main()
