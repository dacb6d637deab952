"""Fit the default scorecard's weights to the labelled training calls and write the TOML.

Usage: python scripts/fit_scorecard.py [--train models/corpus/train] [--out src/callqa/scoring/scorecards/default.v1.toml]
       [--out-of-fold]
       python scripts/fit_scorecard.py --cv 5 [--train models/corpus/train]

The calls are tagged by the shipped turn tagger (as at run time, not with their gold acts). With --out-of-fold
each call is tagged instead by a tagger (and pair encoder) fitted without it (5 folds by call, as
`callqa train --cv 5`), so the
weights see the tagger's errors on calls it has not seen rather than its near-perfect tags of its own training
calls. Their components are computed, and:
- rapport (labelled 1-5): ridge regression of the label on the rapport components, each weight's sign fixed by
  the component's meaning (non-negative least squares on sign-adjusted components);
- cross_sell_pressure (1-5): nothing is fitted; cross_sell_pressure.v2 is the annotation guide's rubric as a rule
  (levels from pitches, pitches after a no, urgency, follow-up questions); --cv reports how it ranks the calls;
- resolution (resolved/partial/unresolved): multinomial logistic regression on the resolution components;
- customer end sentiment (positive/neutral/negative): multinomial logistic regression on the end-mood components,
  standardised (the scaling folded into the written weights), its C the one of END_MOOD_C with the best accuracy in
  5-fold cross-validation on the training calls (stratified, three shuffles; a tie goes to the smaller C).
Weights are rounded to three decimals and written with the fitted data's hash, so a scorecard says what it was
fitted on. offer_timing's category is a rule from the annotation guide; its value's constants are set by hand.

With --cv K nothing is written: every call is tagged out of fold (K folds by call, as above) and scored by a
scorecard fitted, as above, on the calls of the other folds; the figures the development-set test checks
(resolution and offer-timing accuracy, rank correlation of rapport and pressure with their labels, flag accuracy)
are printed over all the training calls. That is a measure on about ten times as many calls as the development set,
for comparing a tagger or a scorecard recipe without looking at the development set.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

import numpy as np

from callqa.errors import CallQAError
from callqa.nlp import call_folds, load_tagger, out_of_fold_tags, tag_calls, unlabelled
from callqa.nlp.corpus import corpus_hash, load_labelled
from callqa.scoring import END_SENTIMENTS, RESOLUTION_STATUSES
from callqa.scoring.components import call_facts
from callqa.scoring.dynamics import conversation_dynamics
from callqa.scoring.evaluate import agreement

ROOT = Path(__file__).resolve().parent.parent
RAPPORT = ["greeting", "personal_name", "empathy", "acknowledgement", "explanation", "politeness", "curt_replies", "blame", "customer_end_mood", "interruptions"]
RAPPORT_NEGATIVE = {"curt_replies", "blame", "interruptions"}
RESOLUTION = ["confirmed", "statement", "escalation", "late_complaint", "complaints", "customer_end_mood"]
END_MOOD = ["customer_end_mood", "end_mood_said", "late_complaint", "end_negative_words", "end_positive_words", "end_warmth", "end_thanks", "end_bare", "confirmed", "complaints", "escalation"]
END_MOOD_C = (0.03, 0.1, 0.3, 1.0, 3.0)


def tagged_calls(folder: Path, out_of_fold_folds: int = 0):
    """The labelled calls of ``folder`` and their turns as the shipped tagger tags them, or (``out_of_fold_folds``
    >= 2) as taggers fitted with the shipped hyperparameters on the other folds tag them."""
    calls = load_labelled(folder)
    if out_of_fold_folds:
        shipped = load_tagger()
        pair = {"pair_epochs": getattr(shipped, "pair_epochs_", 0), "pair_weight": shipped.pair_weight, "pair_phase_weight": shipped.pair_phase_weight}
        tagged = out_of_fold_tags(calls, out_of_fold_folds, C=shipped.C, act_C=shipped.act_C, **pair)
    else:
        tagged = tag_calls([unlabelled(c.turns) for c in calls])
    return calls, tagged


def facts_of(tagged) -> list:
    return [call_facts(turns, conversation_dynamics(turns)) for turns in tagged]


def cross_validated_rows(calls, tagged, folds: int) -> list:
    """``score_rows`` for every call, each scored by a scorecard fitted without its fold (``call_folds``, the folds
    ``out_of_fold_tags`` uses)."""
    from callqa.scoring.evaluate import score_rows

    facts = facts_of(tagged)
    rows: list = []
    with tempfile.TemporaryDirectory() as tmp:
        for f, (rest, held) in enumerate(call_folds(len(calls), folds)):
            card = Path(tmp) / f"fold-{f}.toml"
            card.write_text(fit([calls[i] for i in rest], [facts[i] for i in rest], f"fold {f} of {folds}"), encoding="utf-8")
            rows += score_rows([calls[i] for i in held], [tagged[i] for i in held], card)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--train", type=Path, default=ROOT / "models" / "corpus" / "train")
    parser.add_argument("--out", type=Path, default=ROOT / "src" / "callqa" / "scoring" / "scorecards" / "default.v1.toml")
    parser.add_argument("--out-of-fold", action="store_true", help="tag each call with a tagger fitted without it (5 folds)")
    parser.add_argument("--cv", type=int, default=0, metavar="K", help="print K-fold cross-validated figures; write nothing")
    args = parser.parse_args()
    if args.cv:
        try:
            calls, tagged = tagged_calls(args.train, args.cv)
        except CallQAError as e:  # too few calls for the folds, or a labelled file that does not load
            parser.error(str(e))
        figures = agreement(cross_validated_rows(calls, tagged, args.cv))
        print(json.dumps({"folds": args.cv, **{k: v for k, v in figures.items() if k != "mismatches"}}, indent=1))
        return
    calls, tagged = tagged_calls(args.train, 5 if args.out_of_fold else 0)
    shown = args.train.resolve().relative_to(ROOT).as_posix() if args.train.resolve().is_relative_to(ROOT) else args.train.name
    fitted_on = f"{shown}, sha256 {corpus_hash(args.train)[:16]}...{', tagged out of fold' if args.out_of_fold else ''}"
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(fit(calls, facts_of(tagged), fitted_on), encoding="utf-8")
    print(f"wrote {args.out}")


def fit(calls, facts, fitted_on: str) -> str:
    """The scorecard TOML fitted to the labelled ``calls`` and their ``facts``; ``fitted_on`` goes in its header."""
    for c in calls:
        missing = [k for k in ("rapport", "resolution", "customer_end_sentiment") if c.labels.get(k) is None]
        if missing:
            raise SystemExit(f"fit_scorecard.py: call {c.call_id} has no {', '.join(missing)} label; every training call needs them.")
    from sklearn.linear_model import LogisticRegression, Ridge

    X = lambda names, fs: np.array([[f.components[n].value for n in names] for f in fs])  # noqa: E731

    # Signs are fixed by meaning (more empathy never lowers rapport, a repeated pitch never lowers pressure):
    # components that can only hurt are negated, the fit is constrained to non-negative weights, and the sign is
    # restored, so every weight in the scorecard points the way its definition says.
    sign = np.array([-1.0 if n in RAPPORT_NEGATIVE else 1.0 for n in RAPPORT])
    rap = Ridge(alpha=1.0, positive=True).fit(X(RAPPORT, facts) * sign, [c.labels["rapport"] for c in calls])
    rap.coef_ = rap.coef_ * sign
    res = LogisticRegression(C=1.0, max_iter=2000).fit(X(RESOLUTION, facts), [c.labels["resolution"] for c in calls])
    order = [list(res.classes_).index(s) for s in RESOLUTION_STATUSES]
    mood, mood_c = fit_end_mood(X(END_MOOD, facts), [c.labels["customer_end_sentiment"] for c in calls])

    def weights(names, coefs):
        return "\n".join(f"{n} = {round(float(w), 3) + 0.0}" for n, w in zip(names, coefs))

    toml = f'''# callqa's default scorecard. Weights fitted by scripts/fit_scorecard.py on the labelled training calls
# ({fitted_on}); see docs/METRICS.md.
# A team's own scorecard copies this file, changes values, and is passed with --scorecard FILE.
name = "callqa-default"
version = "1.4.0"

[scorers]
rapport = "rapport.v1"
resolution = "resolution.v1"
offer_timing = "offer_timing.v1"
cross_sell_pressure = "cross_sell_pressure.v2"

[sentiment]
# customer end sentiment: multinomial logistic regression on the end-mood components (C = {mood_c}, chosen by
# cross-validation); the label is the most probable of positive, neutral and negative
features = {json.dumps(END_MOOD)}
[sentiment.intercepts]
{chr(10).join(f"{m} = {round(float(mood[m][0]), 3)}" for m in END_SENTIMENTS)}
[sentiment.weights]
{chr(10).join(f"{m} = {json.dumps([round(float(w), 3) for w in mood[m][1]])}" for m in END_SENTIMENTS)}

[rapport]
# ridge regression of the 1-5 rapport label; the value maps 1..5 to 0..100
intercept = {round(float(rap.intercept_), 3)}
[rapport.weights]
{weights(RAPPORT, rap.coef_)}

[cross_sell_pressure]
# the annotation guide's 1-5 rubric as a rule (cross_sell_pressure.v2): level 5 takes `several` pitches after a no;
# value = 100 x (level - 1 + within_level x t) / (4 + within_level), t from the number and share of pitches; 0 with no offer
several = 2
within_level = 0.5

[resolution]
# multinomial logistic regression; value = 100 * (P(resolved) + 0.5 * P(partial))
features = {json.dumps(RESOLUTION)}
[resolution.intercepts]
{chr(10).join(f"{s} = {round(float(res.intercept_[k]), 3)}" for s, k in zip(RESOLUTION_STATUSES, order))}
[resolution.weights]
{chr(10).join(f"{s} = {json.dumps([round(float(w), 3) for w in res.coef_[k]])}" for s, k in zip(RESOLUTION_STATUSES, order))}

[offer_timing]
# value = base[category] + relevance_bonus * relevance + calm_bonus * calm - repeat_penalty * repeats (0-100)
relevance_bonus = 15.0
calm_bonus = 10.0
repeat_penalty = 10.0
[offer_timing.base]
after_resolution = 70.0
before_resolution = 15.0
rushed_close = 10.0
'''
    return toml


def fit_end_mood(X: np.ndarray, gold: list[str]) -> tuple[dict[str, tuple[float, np.ndarray]], float]:
    """Per mood, (intercept, weights) of the end-sentiment model on raw component values, and its C."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    y = np.array(gold)
    folds = min(5, int(np.bincount(np.unique(y, return_inverse=True)[1]).min()))
    model = lambda c: make_pipeline(StandardScaler(), LogisticRegression(C=c, max_iter=3000))  # noqa: E731
    if folds >= 2:
        score = {c: np.mean([cross_val_score(model(c), X, y, cv=StratifiedKFold(folds, shuffle=True, random_state=seed)).mean() for seed in range(3)]) for c in END_MOOD_C}
        best_c = max(END_MOOD_C, key=lambda c: (round(score[c], 6), -c))
    else:  # too few calls of some mood to cross-validate
        best_c = 1.0
    pipe = model(best_c).fit(X, y)
    scaler, lr = pipe[0], pipe[1]
    scale = np.where(scaler.scale_ > 0, scaler.scale_, 1.0)
    out = {}
    for m in END_SENTIMENTS:
        if m not in lr.classes_:
            raise SystemExit(f"fit_scorecard.py: no training call is labelled customer_end_sentiment {m}; the model needs all three.")
        k = list(lr.classes_).index(m)
        w = lr.coef_[k] / scale
        out[m] = (float(lr.intercept_[k] - w @ scaler.mean_), w)
    return out, best_c


if __name__ == "__main__":
    main()
