"""Time callqa's conversation NLP on 100 calls of 30 turns on this machine's CPU, in one run.

Usage: python scripts/benchmark_scoring.py [--calls 100] [--turns 30]

The calls are built from the labelled corpus's turns (sampled with a fixed seed, speakers kept), written as text
transcripts and scored through the same path as `callqa score`: reading, features (spaCy, sentence embeddings),
act and phase tagging, per-call JSON and tables. Model loading is timed separately. Target: under 60 s.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

from callqa.nlp.corpus import load_labelled

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=100)
    parser.add_argument("--turns", type=int, default=30)
    args = parser.parse_args()
    pool = [t for c in load_labelled(ROOT / "models" / "corpus" / "train") for t in c.turns]
    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "calls"
        folder.mkdir()
        for i in range(args.calls):
            picks = rng.choice(len(pool), size=args.turns, replace=False)
            lines = [f"{'Agent' if pool[j].speaker == 'agent' else 'Customer'}: {pool[j].text}" for j in picks]
            (folder / f"bench-{i:03d}.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")

        from callqa.nlp import load_tagger
        from callqa.nlp.features import load_embedder, load_spacy
        from callqa.pipeline import analyze_batch, score_call

        t0 = time.perf_counter()
        load_tagger(), load_spacy(), load_embedder()
        t_load = time.perf_counter() - t0
        t0 = time.perf_counter()
        summary = analyze_batch(folder, Path(tmp) / "out", stage=score_call)
        t_score = time.perf_counter() - t0
    print(f"models loaded in {t_load:.1f} s")
    print(f"scored {summary.done} calls x {args.turns} turns in {t_score:.1f} s "
          f"({t_score / max(summary.done, 1) * 1000:.0f} ms per call; target < 60 s: {'met' if t_score < 60 else 'NOT met'})")


if __name__ == "__main__":
    main()
