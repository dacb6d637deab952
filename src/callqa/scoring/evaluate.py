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
                "offer_timing": (s["offer_timing"]["category"], lab.get("offer_timing")),
                "resolution": (s["resolution"]["status"], lab.get("resolution")),
                "rapport": (s["rapport"]["value"], lab.get("rapport")),
                "pressure": (s["cross_sell_pressure"]["value"], lab.get("pressure")),
                "escalated": (result.flags["escalated"], lab.get("escalated")),
                "end_sentiment": (result.flags["customer_end_sentiment"], lab.get("customer_end_sentiment")),
                "wow": (result.flags["wow_moment"], lab.get("wow_moment")),
            }
        )
    return rows


FIGURES = {
    "offer_timing_accuracy": ("offer_timing", "accuracy"),
    "resolution_accuracy": ("resolution", "accuracy"),
    "rapport_spearman": ("rapport", "spearman"),
    "pressure_spearman": ("pressure", "spearman"),
    "escalated_accuracy": ("escalated", "accuracy"),
    "end_sentiment_accuracy": ("end_sentiment", "accuracy"),
    "wow_accuracy": ("wow", "accuracy"),
}


def _figure(rows: list[dict[str, Any]], key: str, kind: str) -> float:
    import numpy as np
    from scipy.stats import spearmanr

    pairs = [r[key] for r in rows if r[key][1] is not None]  # calls without this label are left out
    if not pairs:
        return float("nan")
    got, want = [g for g, _ in pairs], [w for _, w in pairs]
    if kind == "accuracy":
        return sum(g == w for g, w in zip(got, want)) / len(pairs)
    if len(set(got)) < 2 or len(set(want)) < 2:
        return float("nan")  # a rank correlation needs variation on both sides
    return float(np.asarray(spearmanr(got, want).statistic))


def agreement(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Category and status accuracy and rank correlation with the 1-5 labels over ``score_rows`` rows, each with a
    95% interval from a bootstrap over the calls (fixed seed; resamples where a correlation is undefined are skipped)."""
    import numpy as np

    from callqa.evaluation import call_resamples, interval_95

    picks = [np.repeat(np.arange(len(rows)), counts) for counts in call_resamples(len(rows))] if len(rows) > 1 else []
    intervals = {}
    for name, (key, kind) in FIGURES.items():
        ci = interval_95(np.array([_figure([rows[i] for i in idx], key, kind) for idx in picks]))
        if ci is not None:
            intervals[name] = [round(ci[0], 4), round(ci[1], 4)]
    return {
        "calls": len(rows),
        **{name: round(_figure(rows, key, kind), 4) for name, (key, kind) in FIGURES.items()},
        "labelled_calls": {name: sum(r[key][1] is not None for r in rows) for name, (key, _) in FIGURES.items()},
        "intervals": intervals,
        "mismatches": [
            {"call_id": r["call_id"], k: {"predicted": r[k][0], "labelled": r[k][1]}}
            for r in rows
            for k in ("offer_timing", "resolution")
            if r[k][1] is not None and r[k][0] != r[k][1]
        ],
    }
