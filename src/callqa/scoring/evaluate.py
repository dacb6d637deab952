"""How the scores agree with labelled calls: category and status accuracy, rank correlation with 1-5 labels."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def evaluate_scores(labelled_dir: str | Path, model_dir: str | None = None, scorecard: str | Path | None = None) -> dict[str, Any]:
    """Tag (with the model, not the gold acts) and score every labelled call, then compare with its labels."""
    from callqa.nlp import tag_calls, unlabelled
    from callqa.nlp.corpus import load_labelled

    calls = load_labelled(labelled_dir)
    tagged = tag_calls([unlabelled(c.turns) for c in calls], model_dir)
    return agreement(score_rows(calls, tagged, scorecard))


def score_rows(calls, tagged, scorecard: str | Path | None = None) -> list[dict[str, Any]]:
    """Per labelled call, (scored, labelled) pairs for each figure; ``tagged`` holds each call's tagged turns."""
    from callqa.model import CallResult
    from callqa.nlp import phase_spans
    from callqa.scoring import score_result

    rows = []
    for call, turns in zip(calls, tagged):
        result = score_result(CallResult(call_id=call.call_id, source={}, turns=turns, phase_spans=phase_spans(turns)), scorecard)
        s, lab = result.scores, call.labels
        rows.append(
            {
                "call_id": call.call_id,
                "offer_timing": (s["offer_timing"]["category"], lab["offer_timing"]),
                "resolution": (s["resolution"]["status"], lab["resolution"]),
                "rapport": (s["rapport"]["value"], lab["rapport"]),
                "pressure": (s["cross_sell_pressure"]["value"], lab["pressure"]),
                "escalated": (result.flags["escalated"], lab.get("escalated")),
                "end_sentiment": (result.flags["customer_end_sentiment"], lab.get("customer_end_sentiment")),
                "wow": (result.flags["wow_moment"], lab.get("wow_moment")),
            }
        )
    return rows


def agreement(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Category and status accuracy and rank correlation with the 1-5 labels over ``score_rows`` rows."""
    from scipy.stats import spearmanr

    acc = lambda k: sum(r[k][0] == r[k][1] for r in rows) / len(rows)  # noqa: E731
    rho = lambda k: float(spearmanr([r[k][0] for r in rows], [r[k][1] for r in rows]).statistic)  # noqa: E731
    return {
        "calls": len(rows),
        "offer_timing_accuracy": round(acc("offer_timing"), 4),
        "resolution_accuracy": round(acc("resolution"), 4),
        "rapport_spearman": round(rho("rapport"), 4),
        "pressure_spearman": round(rho("pressure"), 4),
        "escalated_accuracy": round(acc("escalated"), 4),
        "end_sentiment_accuracy": round(acc("end_sentiment"), 4),
        "wow_accuracy": round(acc("wow"), 4),
        "mismatches": [
            {"call_id": r["call_id"], k: {"predicted": r[k][0], "labelled": r[k][1]}}
            for r in rows
            for k in ("offer_timing", "resolution")
            if r[k][0] != r[k][1]
        ],
    }
