"""Time callqa's conversation NLP on 100 calls of 30 turns on this machine's CPU, in one run.

Usage: python scripts/benchmark_scoring.py [--calls 100] [--turns 30] [--workers 1 2]

The calls are built from the labelled corpus's turns (sampled with a fixed seed, speakers kept), written as text
transcripts and scored through the same path as `callqa score`: reading, features (spaCy, sentence embeddings),
act and phase tagging (with the pair encoder when the tagger has one), scores, redaction, per-call JSON and tables.
Model loading is timed separately. The batch runs once per ``--workers`` value (threads, as `callqa score
--workers`; its default is 2), each into a fresh folder, and the script checks that every run wrote the same
per-call JSON. Target: under 60 s.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np

from callqa.nlp.corpus import load_labelled
from machine import describe  # scripts/machine.py

ROOT = Path(__file__).resolve().parent.parent


def _content(path: Path) -> dict:
    """A per-call JSON without the run's own bookkeeping."""
    doc = json.loads(path.read_text(encoding="utf-8"))
    doc.pop("run", None)
    return doc


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=100)
    parser.add_argument("--turns", type=int, default=30)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="calls in flight (threads); one run per value")
    args = parser.parse_args()
    print(describe())
    pool = [t for c in load_labelled(ROOT / "models" / "corpus" / "train") for t in c.turns]
    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "calls"
        folder.mkdir()
        for i in range(args.calls):
            picks = rng.choice(len(pool), size=args.turns, replace=False)
            lines = [f"{'Agent' if pool[j].speaker == 'agent' else 'Customer'}: {pool[j].text}" for j in picks]
            (folder / f"bench-{i:03d}.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")

        from callqa.nlp import load_pair_encoder, load_tagger
        from callqa.nlp.features import load_embedder, load_spacy
        from callqa.pipeline import analyze_batch, score_call
        from callqa.redact import get_redactor

        t0 = time.perf_counter()
        load_tagger(), load_pair_encoder(), load_spacy(), load_embedder(), get_redactor()
        t_load = time.perf_counter() - t0
        print(f"models loaded in {t_load:.1f} s")
        outputs = []
        for workers in args.workers:
            out = Path(tmp) / f"out-{workers}"
            t0 = time.perf_counter()
            summary = analyze_batch(folder, out, stage=score_call, workers=workers)
            t_score = time.perf_counter() - t0
            print(f"--workers {workers}: scored {summary.done} calls x {args.turns} turns in {t_score:.1f} s "
                  f"({t_score / max(summary.done, 1) * 1000:.0f} ms per call; target < 60 s: {'met' if t_score < 60 else 'NOT met'})")
            outputs.append({p.name: _content(p) for p in sorted((out / "calls").glob("*.json"))})
        if any(o != outputs[0] for o in outputs[1:]):
            raise SystemExit("the runs wrote different per-call JSON")


if __name__ == "__main__":
    main()
