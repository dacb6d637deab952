"""Per-label precision, recall and F1, phase accuracy and confusion: how callqa's tagger is judged.

With the calls' sizes, every figure also gets a 95% interval from a bootstrap over calls (the calls are resampled
with replacement, never the turns, since the turns of a call are not independent): on a few labelled calls a figure
can move a lot with one turn, and the interval says how much.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from callqa.evaluation import call_resamples, interval_95
from callqa.model import ACTS, PHASES


@dataclass
class TaggingReport:
    phase_accuracy: float
    phase_macro_f1: float
    act_macro_f1: float
    phase_prf: dict[str, tuple[float, float, float, int]]
    act_prf: dict[str, tuple[float, float, float, int]]
    confusion: np.ndarray
    turns: int
    calls: int
    extra: dict[str, float] = field(default_factory=dict)
    intervals: dict[str, tuple[float, float]] = field(default_factory=dict)

    def format(self) -> str:
        """The report as text: summary, per-label table, phase confusion matrix."""
        ci = self._interval_text
        lines = [
            f"{self.calls} calls, {self.turns} turns" + ("; [95% intervals: bootstrap over calls]" if self.intervals else ""),
            f"phase accuracy per turn  {self.phase_accuracy:.3f}  {ci('phase_accuracy')}".rstrip(),
            f"phase macro-F1           {self.phase_macro_f1:.3f}  {ci('phase_macro_f1')}".rstrip(),
            f"act macro-F1             {self.act_macro_f1:.3f}  {ci('act_macro_f1')}".rstrip(),
            "",
            f"{'label':24} {'precision':>9} {'recall':>7} {'f1':>6} {'support':>7}" + ("  f1 95% interval" if self.intervals else ""),
        ]
        for title, table in (("phase", self.phase_prf), ("act", self.act_prf)):
            for k, (p, r, f, n) in table.items():
                lines.append(f"{title + ':' + k:24} {p:9.3f} {r:7.3f} {f:6.3f} {n:7d}  {ci(title + ':' + k)}".rstrip())
        lines += ["", "phase confusion (rows gold, columns predicted)", " " * 14 + "".join(f"{p[:6]:>8}" for p in PHASES)]
        for i, p in enumerate(PHASES):
            lines.append(f"{p:14}" + "".join(f"{v:8d}" for v in self.confusion[i]))
        return "\n".join(lines)

    def as_dict(self) -> dict:
        return {
            "calls": self.calls,
            "turns": self.turns,
            "phase_accuracy": round(self.phase_accuracy, 4),
            "phase_macro_f1": round(self.phase_macro_f1, 4),
            "act_macro_f1": round(self.act_macro_f1, 4),
            "phases": {k: dict(zip(("precision", "recall", "f1", "support"), (round(p, 4), round(r, 4), round(f, 4), n))) for k, (p, r, f, n) in self.phase_prf.items()},
            "acts": {k: dict(zip(("precision", "recall", "f1", "support"), (round(p, 4), round(r, 4), round(f, 4), n))) for k, (p, r, f, n) in self.act_prf.items()},
            "confusion": {"labels": list(PHASES), "matrix": self.confusion.tolist()},
            **{k: round(v, 4) for k, v in self.extra.items()},
            **({"intervals": {k: [round(lo, 4), round(hi, 4)] for k, (lo, hi) in self.intervals.items()}} if self.intervals else {}),
        }

    def _interval_text(self, key: str) -> str:
        if key not in self.intervals:
            return ""
        lo, hi = self.intervals[key]
        return f"[{lo:.3f}, {hi:.3f}]"


def tagging_report(
    gold_phases: list[str],
    pred_phases: list[str],
    gold_acts: list[tuple[str, ...]],
    pred_acts: list[tuple[str, ...]],
    calls: int,
    call_sizes: list[int] | None = None,
) -> TaggingReport:
    """The report over all turns; ``call_sizes`` (turns per call, in order, summing to the number of turns) adds the
    bootstrap intervals. The figures and their resamples are computed from the same per-call counts."""
    sizes = list(call_sizes) if call_sizes else [len(gold_phases)]
    counts = _per_call_counts(gold_phases, pred_phases, gold_acts, pred_acts, sizes)
    point, (c, tp, fp, fn) = _figures(np.ones((1, len(sizes))), *counts)
    conf = c[0].astype(int)
    diag = np.diag(conf)
    phase_prf = {
        ph: (*_prf(diag[i], conf[:, i].sum() - diag[i], conf[i].sum() - diag[i]), int(conf[i].sum())) for i, ph in enumerate(PHASES)
    }
    tp, fp, fn = tp[0].astype(int), fp[0].astype(int), fn[0].astype(int)
    act_prf = {a: (*_prf(tp[j], fp[j], fn[j]), int(tp[j] + fn[j])) for j, a in enumerate(ACTS)}
    intervals = {}
    if call_sizes:
        samples, _ = _figures(call_resamples(len(sizes)).astype(float), *counts)
        # a label absent from a resample (or a resample of calls without turns) has no figure there: its interval
        # is over the resamples that have one
        found = {key: interval_95(v) for key, v in samples.items()}
        intervals = {key: ci for key, ci in found.items() if ci is not None}
    return TaggingReport(
        phase_accuracy=_point(point["phase_accuracy"]),
        phase_macro_f1=_point(point["phase_macro_f1"]),
        act_macro_f1=_point(point["act_macro_f1"]),
        phase_prf=phase_prf,
        act_prf=act_prf,
        confusion=conf,
        turns=len(gold_phases),
        calls=calls,
        intervals=intervals,
    )


def _point(v: np.ndarray) -> float:
    return 0.0 if np.isnan(v[0]) else float(v[0])


def prf(gold: np.ndarray, pred: np.ndarray) -> tuple[float, float, float]:
    """Precision, recall and F1 of boolean predictions against boolean gold labels."""
    gold, pred = np.asarray(gold, dtype=bool), np.asarray(pred, dtype=bool)
    return _prf(np.sum(gold & pred), np.sum(~gold & pred), np.sum(gold & ~pred))


def _prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    tp, fp, fn = int(tp), int(fp), int(fn)
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f


def _per_call_counts(gold_phases, pred_phases, gold_acts, pred_acts, call_sizes: list[int]):
    """Per call: its phase confusion matrix (calls x gold x predicted) and each act's true positives, false
    positives and false negatives (calls x acts)."""
    if sum(call_sizes) != len(gold_phases) or any(n < 0 for n in call_sizes):
        raise ValueError(f"call_sizes sum to {sum(call_sizes)} for {len(gold_phases)} turns")
    k, n_calls = len(PHASES), len(call_sizes)
    call_of = np.repeat(np.arange(n_calls), call_sizes)
    conf = np.zeros((n_calls, k, k))
    np.add.at(conf, (call_of, [PHASES.index(g) for g in gold_phases], [PHASES.index(p) for p in pred_phases]), 1)
    g = np.array([[a in acts for a in ACTS] for acts in gold_acts], dtype=float).reshape(-1, len(ACTS))
    p = np.array([[a in acts for a in ACTS] for acts in pred_acts], dtype=float).reshape(-1, len(ACTS))

    def per_call(m: np.ndarray) -> np.ndarray:
        out = np.zeros((n_calls, m.shape[1]))
        np.add.at(out, call_of, m)
        return out

    return conf, per_call(g * p), per_call((1 - g) * p), per_call(g * (1 - p))


def _f1(tp: np.ndarray, fp: np.ndarray, fn: np.ndarray) -> np.ndarray:
    """F1 per sample and label; NaN where a sample holds the label neither in the labels nor in the predictions."""
    den = 2 * tp + fp + fn
    return np.divide(2 * tp, den, out=np.full(den.shape, np.nan), where=den > 0)


def _figures(w: np.ndarray, conf: np.ndarray, tp: np.ndarray, fp: np.ndarray, fn: np.ndarray):
    """Every figure for each row of call weights ``w`` (samples x calls: ones for the calls as they are, counts
    of each call in a bootstrap resample otherwise), and the weighted sums of the counts they come from."""
    c = np.einsum("bc,cij->bij", w, conf)
    diag = np.einsum("bii->bi", c)
    support = c.sum(axis=2)
    phase_f1 = _f1(diag, c.sum(axis=1) - diag, support - diag)
    a_tp, a_fp, a_fn = w @ tp, w @ fp, w @ fn
    act_f1 = _f1(a_tp, a_fp, a_fn)

    def macro(f1: np.ndarray, sup: np.ndarray) -> np.ndarray:
        present = sup > 0
        return np.divide(np.where(present, f1, 0.0).sum(axis=1), present.sum(axis=1), out=np.full(len(f1), np.nan), where=present.any(axis=1))

    total = c.sum(axis=(1, 2))
    figures = {
        "phase_accuracy": np.divide(diag.sum(axis=1), total, out=np.full(len(total), np.nan), where=total > 0),
        "phase_macro_f1": macro(phase_f1, support),
        "act_macro_f1": macro(act_f1, a_tp + a_fn),
        **{f"phase:{ph}": phase_f1[:, i] for i, ph in enumerate(PHASES)},
        **{f"act:{a}": act_f1[:, j] for j, a in enumerate(ACTS)},
    }
    return figures, (c, a_tp, a_fp, a_fn)
