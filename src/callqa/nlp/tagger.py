"""The dialogue-act classifier and the call-level phase decoder.

Acts: one logistic regression per act (multi-label) over the turn features; acts the annotation guide gives to
one side only (the agent pitches, the customer accepts or declines) are masked by speaker. A tagger trained with a
pair encoder (pair_encoder.py: one, or the mean of several fitted under different seeds, ``pair_sha256_`` naming
their files) averages its act probabilities with the encoder's, ``pair_weight_`` on the encoder;
the encoder runs outside this class (it is a torch model, not a scikit-learn one) and its probabilities are passed
in.
A turn takes an act when its probability reaches that act's threshold: ``act_threshold`` (0.5) for every act, or
the per-act ``act_thresholds_`` chosen on out-of-fold probabilities (``callqa.nlp.choose_thresholds``): the models
are fitted with balanced class weights, which push a rare act's probability up, so 0.5 is not where each act's F1
peaks.
One act is read by rule, not learned: personal_name, which the guide fixes exactly (the agent says the customer's
name), is the agent turns that say a name the customer gave, or say a first name or a title and a name to the
customer (``lexicon.says_customer_name``).
Phases: a multinomial logistic regression gives P(phase | turn), averaged, ``pair_phase_weight_`` on the pair
encoder, with the encoder's phase posteriors when it has a phase head; a Viterbi decoder finds the best phase sequence
for the whole call with start and transition probabilities counted from the labelled calls (add-one smoothed).
Transitions are counted separately by who speaks the turn moved into: in the labelled calls the phase changes at 60%
of agent turns but at 22% of customer turns (a customer's "yeah, sure" stays in the phase of the question it answers),
which one matrix for both blurs.
The classifier's posteriors are divided by the phase priors to act as scaled likelihoods (the hybrid HMM of
Bourlard & Morgan, 1994). Phases mostly move forward but can return, and the learned transitions allow it.
Follows scikit-learn's contract: ``fit`` returns self, learned state ends in ``_``.
"""

from __future__ import annotations

import numpy as np

from callqa.lexicon import says_customer_name
from callqa.model import ACTS, PHASES, Turn

AGENT_ONLY = frozenset({"verification_request", "personal_name", "offer", "resolution_statement", "pressure_tactic", "explanation", "empathy", "apology"})
CUSTOMER_ONLY = frozenset({"offer_accept", "offer_decline", "offer_defer", "resolution_confirmed", "complaint", "wow"})
_NAME = ACTS.index("personal_name")


class TurnTagger:
    """Predicts each turn's acts and the call's phase sequence from turn features."""

    def __init__(
        self,
        C: float = 0.5,
        act_C: float = 0.3,
        act_threshold: float = 0.5,
        n_scaled: int | None = None,
        embedding_weight: float = 1.0,
    ):
        self.C = C
        self.act_C = act_C
        self.act_threshold = act_threshold
        self.n_scaled = n_scaled
        self.embedding_weight = embedding_weight

    # -- fitting --------------------------------------------------------------------------------------------
    def fit(self, calls: list[tuple[Turn, ...]], features: list[np.ndarray], groups: list[int] | None = None) -> TurnTagger:
        """Fit the two act stages, the phase classifier and the phase transitions.

        Stage 1 predicts acts from a turn's own features. Stage 2 adds stage 1's act probabilities for the turn
        and its neighbours (a decline follows a pitch; a confirmation follows a fix), learned on out-of-fold
        stage 1 probabilities so it sees them as they will be at prediction time (stacked generalisation,
        Wolpert 1992). The phase classifier sees the same context.

        ``groups`` (one number per call) keeps calls that are copies of one another, such as a call and its
        recogniser-style copy, in the same fold; by default every call is its own group.
        """
        from sklearn.preprocessing import StandardScaler

        X = np.vstack(features)
        turns = [t for c in calls for t in c]
        sizes = [len(c) for c in calls]
        self.scaler_ = StandardScaler().fit(X[:, : self._n(X)])
        Xs = self._scale(X)
        Y = np.array([[act in t.acts for act in ACTS] for t in turns], dtype=int)
        self.stage1_ = self._fit_acts(Xs, Y)
        # out-of-fold stage 1 probabilities, folds by call
        folds = self._stacking_folds(len(calls), groups)
        call_of_turn = np.repeat(np.arange(len(calls)), sizes)
        P1 = np.zeros(Y.shape)
        for f in range(5):
            test = folds[call_of_turn] == f
            if test.all() or not test.any():
                continue
            models = self._fit_acts(Xs[~test], Y[~test])
            P1[test] = self._predict_acts_raw(models, Xs[test])
        Z = self._stack(Xs, P1, sizes, turns)
        self.stage2_ = self._fit_acts(Z, Y)
        phases = np.array([PHASES.index(t.phase) for t in turns])
        from sklearn.linear_model import LogisticRegression

        self.phase_model_ = LogisticRegression(C=self.C, max_iter=3000).fit(Z, phases)
        k = len(PHASES)
        start = np.ones(k)
        by_speaker = np.ones((2, k, k))  # [0]: into an agent turn, [1]: into a customer turn
        for c in calls:
            seq = [PHASES.index(t.phase) for t in c]
            start[seq[0]] += 1
            for a, b, turn in zip(seq, seq[1:], c[1:]):
                by_speaker[self._speaker_index(turn), a, b] += 1
        trans = by_speaker.sum(axis=0) - 1.0  # every transition, add-one smoothed once
        self.log_start_ = np.log(start / start.sum())
        self.log_trans_ = np.log(trans / trans.sum(axis=1, keepdims=True))
        self.log_trans_by_speaker_ = np.log(by_speaker / by_speaker.sum(axis=2, keepdims=True))
        prior = np.bincount(phases, minlength=k) + 1.0
        self.log_prior_ = np.log(prior / prior.sum())
        return self

    @staticmethod
    def _stacking_folds(n_calls: int, groups: list[int] | None) -> np.ndarray:
        """The fold (0-4) of each call for the out-of-fold stage 1 probabilities; calls of one group share a fold."""
        ids = np.arange(n_calls) if groups is None else np.asarray(groups)
        if len(ids) != n_calls:
            raise ValueError(f"groups has {len(ids)} entries for {n_calls} calls.")
        _, index = np.unique(ids, return_inverse=True)
        return index % 5

    def _fit_acts(self, X: np.ndarray, Y: np.ndarray) -> dict:
        from sklearn.linear_model import LogisticRegression

        models: dict = {}
        for j, act in enumerate(ACTS):
            y = Y[:, j]
            if y.min() == y.max():
                models[act] = float(y[0])
            else:
                models[act] = LogisticRegression(C=self.act_C, class_weight="balanced", max_iter=3000).fit(X, y)
        return models

    @staticmethod
    def _predict_acts_raw(models: dict, X: np.ndarray) -> np.ndarray:
        P = np.zeros((X.shape[0], len(ACTS)))
        for j, act in enumerate(ACTS):
            m = models[act]
            P[:, j] = m if isinstance(m, float) else m.predict_proba(X)[:, 1]
        return P

    @staticmethod
    def _mask(P: np.ndarray, turns: list[Turn] | tuple[Turn, ...]) -> np.ndarray:
        P = P.copy()
        for i, t in enumerate(turns):
            for j, act in enumerate(ACTS):
                if (t.speaker == "customer" and act in AGENT_ONLY) or (t.speaker == "agent" and act in CUSTOMER_ONLY):
                    P[i, j] = 0.0
        return P

    def _stack(self, Xs: np.ndarray, P1: np.ndarray, sizes: list[int], turns) -> np.ndarray:
        """Own features + masked stage 1 probabilities of the turn, the previous two and the next turn."""
        P1 = self._mask(P1, turns)
        parts = []
        k = 0
        for n in sizes:
            p = P1[k : k + n]
            zero = np.zeros((1, p.shape[1]))
            prev1 = np.vstack([zero, p[:-1]])
            prev2 = np.vstack([zero, zero, p[:-2]])[:n]
            nxt = np.vstack([p[1:], zero])
            parts.append(np.hstack([p, prev1, prev2, nxt]))
            k += n
        return np.hstack([Xs, np.vstack(parts) if parts else np.zeros((0, 4 * len(ACTS)))])

    def _n(self, X: np.ndarray) -> int:
        return X.shape[1] if self.n_scaled is None else self.n_scaled

    def _scale(self, X: np.ndarray) -> np.ndarray:
        """Standardise the hand-made features; embeddings (unit length already) are only weighted."""
        n = self._n(X)
        return np.hstack([self.scaler_.transform(X[:, :n]), X[:, n:] * self.embedding_weight])

    def _check(self) -> None:
        if not hasattr(self, "phase_model_"):
            from sklearn.exceptions import NotFittedError

            raise NotFittedError("This TurnTagger is not fitted yet; call fit or load a trained model.")

    # -- prediction -----------------------------------------------------------------------------------------
    def _stacked(self, turns: tuple[Turn, ...], X: np.ndarray) -> np.ndarray:
        self._check()
        Xs = self._scale(X)
        return self._stack(Xs, self._predict_acts_raw(self.stage1_, Xs), [len(turns)], turns)

    def act_probabilities(self, turns: tuple[Turn, ...], X: np.ndarray, pair: np.ndarray | None = None) -> np.ndarray:
        """P(act) per turn: stage 2's, or with ``pair`` (the pair encoder's probabilities for these turns) the
        weighted mean of the two, ``pair_weight`` on the pair encoder; masked by speaker either way."""
        return self._act_probabilities(turns, self._stacked(turns, X), pair)

    def _act_probabilities(self, turns: tuple[Turn, ...], Z: np.ndarray, pair: np.ndarray | None) -> np.ndarray:
        P = self._predict_acts_raw(self.stage2_, Z)
        if pair is not None:
            if pair.shape != P.shape:
                raise ValueError(f"pair encoder probabilities have shape {pair.shape}; the turns need {P.shape}.")
            w = self.pair_weight
            P = (1.0 - w) * P + w * pair
        P = self._mask(P, turns)
        P[:, _NAME] = says_customer_name([t.text for t in turns], [t.speaker for t in turns])
        return P

    @property
    def pair_weight(self) -> float:
        """Weight of the pair encoder in each act's probability; 0 for a tagger trained without one."""
        return getattr(self, "pair_weight_", 0.0)

    @property
    def pair_sha256s(self) -> list[str]:
        """The sha256 of each pair encoder file the tagger is averaged with (one per seed; ``pair_sha256_`` is one
        string for a single encoder, a list for an ensemble); empty for a tagger trained without one."""
        s = getattr(self, "pair_sha256_", None) if self.pair_weight else None
        return [] if s is None else [s] if isinstance(s, str) else list(s)

    @property
    def pair_phase_weight(self) -> float:
        """Weight of the pair encoder's phase posteriors in each turn's; 0 for a tagger trained without them."""
        return getattr(self, "pair_phase_weight_", 0.0)

    def predict(
        self, turns: tuple[Turn, ...], X: np.ndarray, pair: np.ndarray | None = None, pair_phases: np.ndarray | None = None
    ) -> tuple[list[str], list[tuple[str, ...]]]:
        """Phases (Viterbi over the call) and acts of every turn; ``pair`` as in ``act_probabilities``,
        ``pair_phases`` as in ``phase_probabilities``."""
        phases, P = self.decode(turns, X, pair, pair_phases)
        return phases, acts_at(P, self.act_thresholds)

    def decode(
        self, turns: tuple[Turn, ...], X: np.ndarray, pair: np.ndarray | None = None, pair_phases: np.ndarray | None = None
    ) -> tuple[list[str], np.ndarray]:
        """Phases (Viterbi over the call) and every turn's act probabilities, before the thresholds."""
        Z = self._stacked(turns, X)
        P = self._act_probabilities(turns, Z, pair)
        return self._viterbi(np.log(self._phase_probabilities(Z, pair_phases)), turns), P

    @property
    def act_thresholds(self) -> np.ndarray:
        """Each act's decision threshold, in ACTS order: those chosen on out-of-fold probabilities
        (``act_thresholds_``, see ``callqa.nlp.choose_thresholds``) if the model has them, else ``act_threshold``
        for every act."""
        chosen = getattr(self, "act_thresholds_", None)
        return np.full(len(ACTS), float(self.act_threshold)) if chosen is None else np.asarray(chosen, dtype=float)

    def predict_acts(self, turns: tuple[Turn, ...], X: np.ndarray, pair: np.ndarray | None = None) -> list[tuple[str, ...]]:
        return self.predict(turns, X, pair)[1]

    def predict_phases(self, turns: tuple[Turn, ...], X: np.ndarray, pair_phases: np.ndarray | None = None) -> list[str]:
        return self.predict(turns, X, pair_phases=pair_phases)[0]

    def phase_probabilities(self, turns: tuple[Turn, ...], X: np.ndarray, pair_phases: np.ndarray | None = None) -> np.ndarray:
        """P(phase | turn) in PHASES order, before decoding: the phase model's, or with ``pair_phases`` (the pair
        encoder's phase posteriors for these turns) the weighted mean of the two, ``pair_phase_weight`` on the
        encoder."""
        return self._phase_probabilities(self._stacked(turns, X), pair_phases)

    def _phase_probabilities(self, Z: np.ndarray, pair_phases: np.ndarray | None) -> np.ndarray:
        """A phase absent from the training calls gets (almost) no mass."""
        P = np.full((Z.shape[0], len(PHASES)), 1e-300)
        P[:, self.phase_model_.classes_] = np.maximum(self.phase_model_.predict_proba(Z), 1e-300)
        if pair_phases is not None:
            if pair_phases.shape != P.shape:
                raise ValueError(f"pair encoder phase probabilities have shape {pair_phases.shape}; the turns need {P.shape}.")
            w = self.pair_phase_weight
            P = (1.0 - w) * P + w * np.maximum(pair_phases, 1e-300)
        return P

    @staticmethod
    def _speaker_index(turn: Turn) -> int:
        return 0 if turn.speaker == "agent" else 1

    def _viterbi(self, log_post: np.ndarray, turns: tuple[Turn, ...] | None = None) -> list[str]:
        """The most likely phase sequence for the whole call.

        With ``turns``, each step uses the transitions into the speaker of the turn; without them (or with a model
        saved before transitions were counted by speaker), the transitions of all turns.
        """
        emit = log_post - self.log_prior_
        n, k = emit.shape
        if n == 0:
            return []
        by_speaker = getattr(self, "log_trans_by_speaker_", None)
        if turns is None or by_speaker is None:
            steps = [self.log_trans_] * n
        else:
            steps = [by_speaker[self._speaker_index(t)] for t in turns]
        score = self.log_start_ + emit[0]
        back = np.zeros((n, k), dtype=int)
        for i in range(1, n):
            cand = score[:, None] + steps[i]
            back[i] = cand.argmax(axis=0)
            score = cand.max(axis=0) + emit[i]
        path = [int(score.argmax())]
        for i in range(n - 1, 0, -1):
            path.append(int(back[i, path[-1]]))
        return [PHASES[j] for j in reversed(path)]


def acts_at(P: np.ndarray, thresholds) -> list[tuple[str, ...]]:
    """Per turn (row of ``P``, act probabilities in ACTS order), the acts whose probability reaches its threshold."""
    t = np.asarray(thresholds, dtype=float)
    return [tuple(a for j, a in enumerate(ACTS) if P[i, j] >= t[j]) for i in range(P.shape[0])]
