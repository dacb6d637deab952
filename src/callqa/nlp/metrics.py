"""Per-label precision, recall and F1, phase accuracy and confusion: how callqa's tagger is judged."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

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

    def format(self) -> str:
        """The report as text: summary, per-label table, phase confusion matrix."""
        lines = [
            f"{self.calls} calls, {self.turns} turns",
            f"phase accuracy per turn  {self.phase_accuracy:.3f}",
            f"phase macro-F1           {self.phase_macro_f1:.3f}",
            f"act macro-F1             {self.act_macro_f1:.3f}",
            "",
            f"{'label':24} {'precision':>9} {'recall':>7} {'f1':>6} {'support':>7}",
        ]
        for title, table in (("phase", self.phase_prf), ("act", self.act_prf)):
            for k, (p, r, f, n) in table.items():
                lines.append(f"{title + ':' + k:24} {p:9.3f} {r:7.3f} {f:6.3f} {n:7d}")
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
        }


def _prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    tp, fp, fn = int(tp), int(fp), int(fn)
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f


def tagging_report(gold_phases: list[str], pred_phases: list[str], gold_acts: list[tuple[str, ...]], pred_acts: list[tuple[str, ...]], calls: int) -> TaggingReport:
    k = len(PHASES)
    conf = np.zeros((k, k), dtype=int)
    for g, p in zip(gold_phases, pred_phases):
        conf[PHASES.index(g), PHASES.index(p)] += 1
    phase_prf = {}
    for i, ph in enumerate(PHASES):
        tp = conf[i, i]
        p, r, f = _prf(tp, conf[:, i].sum() - tp, conf[i].sum() - tp)
        phase_prf[ph] = (float(p), float(r), float(f), int(conf[i].sum()))
    act_prf = {}
    for act in ACTS:
        tp = sum(1 for g, p in zip(gold_acts, pred_acts) if act in g and act in p)
        fp = sum(1 for g, p in zip(gold_acts, pred_acts) if act not in g and act in p)
        fn = sum(1 for g, p in zip(gold_acts, pred_acts) if act in g and act not in p)
        act_prf[act] = (*_prf(tp, fp, fn), tp + fn)
    present = [v[2] for v in phase_prf.values() if v[3] > 0]
    acts_present = [v[2] for v in act_prf.values() if v[3] > 0]
    return TaggingReport(
        phase_accuracy=float(np.trace(conf) / conf.sum()) if conf.sum() else 0.0,
        phase_macro_f1=float(np.mean(present)) if present else 0.0,
        act_macro_f1=float(np.mean(acts_present)) if acts_present else 0.0,
        phase_prf=phase_prf,
        act_prf=act_prf,
        confusion=conf,
        turns=len(gold_phases),
        calls=calls,
    )
