"""The dialogue-act cross-encoder: all-MiniLM-L6-v2 fine-tuned to read each turn beside the turn before it.

The logistic tagger (tagger.py) sees a turn through hand-made cues and a frozen sentence embedding, and its
neighbours only through their predicted acts. This model reads the previous turn and the turn as one input
("agent: I've reset the line [SEP] customer: okay it's back"), with the encoder's weights tuned to the acts, so
that what a short reply means can depend on what it answers. The tagger averages the two models' act
probabilities (``TurnTagger.pair_weight``).

Fitting: mean-pooled MiniLM + one linear layer, 20 sigmoid outputs, binary cross-entropy with rare acts
up-weighted (the square root of negatives/positives, at most sqrt(20)), AdamW, warm-up then linear decay, fixed
seed. With ``phases`` a second linear layer on the same pooled vector learns the turn's phase (softmax
cross-entropy), reading the pair as a whole where the logistic phase model sees the turn's cues and its neighbours'
predicted acts. Its loss stops at the pooled vector and it draws nothing from the global random stream, so the act
model fitted beside it is exactly the one fitted without it (a seed's draw moves act macro-F1 by a few hundredths;
adding the head does not redraw it). Letting the phase loss
tune the encoder too was measured (5-fold cross-validation on the training calls): phase accuracy rose further
(0.933 against 0.917) but act macro-F1 fell from 0.825 to 0.814 (escalation 0.904 -> 0.877). The tagger averages
the two models' phase posteriors before the Viterbi decoder (``TurnTagger.pair_phase_weight``).
The word-embedding table stays as packaged (the packaged copy is sha256-checked at load), so the file holds only the
transformer layers and the output layers, in float16, as safetensors: tensors only, nothing executable.

Seeds: one fit's draw of seed (initial head weights, batch order, dropout) moves a few dozen of two thousand
held-out turns either way, as much as the differences between recipes. ``PairEnsemble`` averages the probabilities of
encoders fitted with the same recipe under different seeds, so that no one draw decides a turn; ``callqa train``
fits ``--pair-seeds`` of them (seeds 0, 1, ...), one file each (``member_file``).

Prediction runs a copy with its linear layers quantized to int8 (PyTorch dynamic quantization), on the CPU, on every
machine: with a GPU too. The int8 copy is not the float32 network to a few hundredths: on the 150 development turns
the shipped encoder's act probabilities differ by more than 0.1 on 47 turns (0.95 at most), and 22 of 3,000 act
decisions at 0.5 differ. The tagger's act thresholds and weights are chosen on the int8 copy's out-of-fold
probabilities, so the int8 copy is the model that is measured: with the float32 network in its place, the shipped
tagger tags 174 acts and 19 phases of the 2,494 development and held-out turns differently, and makes 680 act errors
on the 130 held-out calls against 653 (on the 12 development calls, 30 against 35). The int8 kernels differ between
CPUs (AVX2, AVX-512 VNNI) by much less: an AMD EPYC with AVX2 and an Intel Xeon with AVX-512 VNNI tagged those turns
the same but for 3 acts. Speed: 3.4 times faster than float32 on the two-core machine this was first measured on (1.6
against 5.4 ms a turn), 1.16 times on a two-core AMD EPYC with AVX2 only (8.2 against 9.5 ms), 1.50 times on a
two-core Xeon with AVX-512 VNNI (3.5 against 5.3 ms; 30-turn calls batched call by call). A GPU would run the encoder
faster in float32, but as another model.
"""

from __future__ import annotations

import copy
import threading
import warnings
from pathlib import Path
from typing import Sequence

import numpy as np

from callqa.errors import ModelError
from callqa.model import ACTS, PHASES, Turn
from callqa.nlp.features import embedding_model_path, offline_hub, quiet_loading

FILE_NAME = "pair-encoder.safetensors"


def member_file(k: int) -> str:
    """The file of an ensemble's k-th encoder (seed k): FILE_NAME for the first, so a one-encoder model is as before."""
    if k < 0:
        raise ValueError(f"member_file: k must be 0 or more; got {k}.")
    return FILE_NAME if k == 0 else f"pair-encoder-{k}.safetensors"


def pair_texts(turns: Sequence[Turn]) -> list[tuple[str, str]]:
    """(previous turn, turn) for every turn, each as ``speaker: text``; the first turn's previous is the call's start."""
    out = []
    for i, t in enumerate(turns):
        prev = f"{turns[i - 1].speaker}: {turns[i - 1].text}" if i else "start of call"
        out.append((prev, f"{t.speaker}: {t.text}"))
    return out


def _device() -> str:
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


class _Network:
    """Encoder + mean pooling + a linear act head (and, with ``phases``, a linear phase head), built lazily so that
    importing this module does not import torch. The network returns (act logits, phase logits or None)."""

    def __new__(cls, phases: bool = False):
        offline_hub()
        import torch
        from transformers import AutoModel

        class Net(torch.nn.Module):
            def __init__(self):
                super().__init__()
                with quiet_loading():
                    self.encoder = AutoModel.from_pretrained(str(embedding_model_path()))
                self.head = torch.nn.Linear(self.encoder.config.hidden_size, len(ACTS))
                self.phase_head = None
                if phases:
                    # initialised off the global random stream, so that the act model's dropout draws, and with the
                    # loss stopped below, the act model itself, are exactly those of an encoder without the head
                    with torch.random.fork_rng(devices=[]):
                        self.phase_head = torch.nn.Linear(self.encoder.config.hidden_size, len(PHASES))

            def forward(self, batch):
                hidden = self.encoder(**batch).last_hidden_state
                mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
                pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1.0)
                # the phase head reads the pooled vector without tuning the encoder to phases: the encoder is tuned to
                # the acts alone, as without the head
                return self.head(pooled), (self.phase_head(pooled.detach()) if self.phase_head is not None else None)

        return Net()


class PairEncoder:
    """Fine-tuned (previous turn, turn) -> act probabilities, and phase probabilities with ``phases``.
    ``fit`` on labelled turn lists, ``predict_proba`` or ``predict`` on any turn lists; ``save`` and ``load`` one
    safetensors file."""

    def __init__(
        self, epochs: int = 6, lr: float = 8e-5, head_lr: float = 1e-3, batch_size: int = 16, max_length: int = 128, seed: int = 0, phases: bool = False
    ):
        self.epochs = epochs
        self.lr = lr
        self.head_lr = head_lr
        self.batch_size = batch_size
        self.max_length = max_length
        self.seed = seed
        self.phases = phases
        self.net = None
        self._tokenizer = None
        self._fast = None
        self._lock = threading.Lock()

    @property
    def hyperparameters(self) -> dict:
        return {k: getattr(self, k) for k in ("epochs", "lr", "head_lr", "batch_size", "max_length", "seed")}

    @property
    def has_phases(self) -> bool:
        """Whether the fitted or loaded network has a phase head."""
        return self.net is not None and self.net.phase_head is not None

    def _tokenize(self, pairs: list[tuple[str, str]]):
        if self._tokenizer is None:
            from transformers import AutoTokenizer

            self._tokenizer = AutoTokenizer.from_pretrained(str(embedding_model_path()))
        return self._tokenizer([a for a, _ in pairs], [b for _, b in pairs], truncation="longest_first", max_length=self.max_length, padding=True, return_tensors="pt")

    @staticmethod
    def _trained(name: str) -> bool:
        return not name.startswith("encoder.embeddings.word_embeddings.")

    def fit(self, turn_lists: Sequence[Sequence[Turn]]) -> PairEncoder:
        import torch

        torch.manual_seed(self.seed)
        rng = np.random.default_rng(self.seed)
        pairs = [p for turns in turn_lists for p in pair_texts(turns)]
        Y = np.array([[a in t.acts for a in ACTS] for turns in turn_lists for t in turns], dtype=np.float32)
        if not len(pairs):
            raise ValueError("PairEncoder.fit needs at least one labelled turn.")
        if self.phases:
            unknown = sorted({str(t.phase) for turns in turn_lists for t in turns if t.phase not in PHASES})
            if unknown:
                raise ValueError(f"PairEncoder.fit with phases needs every turn's phase; found {unknown}.")
            phase_y = np.array([PHASES.index(t.phase) for turns in turn_lists for t in turns], dtype=np.int64)
        device = _device()
        net = _Network(phases=self.phases).to(device)
        for name, p in net.named_parameters():
            p.requires_grad = self._trained(name)
        positives = Y.sum(axis=0)
        pos_weight = torch.tensor(np.sqrt(np.clip((len(Y) - positives) / np.maximum(positives, 1.0), 1.0, 20.0)), dtype=torch.float32, device=device)
        loss_fn = torch.nn.BCEWithLogitsLoss(pos_weight=pos_weight)
        phase_loss_fn = torch.nn.CrossEntropyLoss()
        encoder_params = [p for n, p in net.named_parameters() if p.requires_grad and n.startswith("encoder.")]
        head_params = [p for n, p in net.named_parameters() if not n.startswith("encoder.")]
        opt = torch.optim.AdamW([{"params": encoder_params, "lr": self.lr}, {"params": head_params, "lr": self.head_lr}], weight_decay=0.01)
        per_epoch = (len(pairs) + self.batch_size - 1) // self.batch_size
        steps = max(1, self.epochs * per_epoch)
        warmup = max(1.0, 0.1 * steps)
        sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1.0, s / warmup) * max(0.0, (steps - s) / steps))
        net.train()
        for _ in range(self.epochs):
            order = rng.permutation(len(pairs))
            for k in range(0, len(order), self.batch_size):
                idx = order[k : k + self.batch_size]
                batch = self._tokenize([pairs[i] for i in idx]).to(device)
                act_logits, phase_logits = net(batch)
                loss = loss_fn(act_logits, torch.from_numpy(Y[idx]).to(device))
                if self.phases:
                    loss = loss + phase_loss_fn(phase_logits, torch.from_numpy(phase_y[idx]).to(device))
                opt.zero_grad()
                loss.backward()
                opt.step()
                sched.step()
        net.eval()
        self.net, self._fast = net, None
        return self

    def _inference_net(self, int8: bool = True):
        """The network predictions run: a copy on the CPU with int8 linear layers, on every machine, GPU or not
        (the tagger's thresholds are chosen on its probabilities); with ``int8`` false, the float32 network itself."""
        if not int8:
            return self.net
        if self._fast is None:
            import torch

            with warnings.catch_warnings():  # the eager-mode API is deprecated upstream, and still in torch 2.13
                warnings.simplefilter("ignore")
                self._fast = torch.ao.quantization.quantize_dynamic(copy.deepcopy(self.net).to("cpu"), {torch.nn.Linear}, dtype=torch.qint8)
        return self._fast

    def predict_proba(self, turn_lists: Sequence[Sequence[Turn]], batch_size: int = 16, int8: bool = True) -> list[np.ndarray]:
        """P(act) for every turn of every call: one (turns x ACTS) array per call."""
        return [acts for acts, _ in self.predict(turn_lists, batch_size, int8)]

    def predict(
        self, turn_lists: Sequence[Sequence[Turn]], batch_size: int = 16, int8: bool = True
    ) -> list[tuple[np.ndarray, np.ndarray | None]]:
        """(P(act), P(phase)) for every turn of every call, in one pass: per call a (turns x ACTS) array and a
        (turns x PHASES) array, or None for an encoder without a phase head. The int8 copy runs, on the CPU,
        unless ``int8`` is false: then the float32 network, on the device it is on (a diagnostic: the tagger was
        not tuned to its probabilities).

        Pairs are batched within each call, never across calls, shortest first so that little of each batch is
        padding: int8 dynamic quantization scales each batch's activations by that batch's range, so a turn batched
        with other calls' turns could be tagged differently from night to night (10 of 240 turns were, when 16
        calls were tagged alone and among 32). Within one call the answer depends on that call alone."""
        import torch

        if self.net is None:
            from sklearn.exceptions import NotFittedError

            raise NotFittedError("This PairEncoder is not fitted yet; call fit or load a trained model.")
        pairs = [p for turns in turn_lists for p in pair_texts(turns)]
        out = np.zeros((len(pairs), len(ACTS)), dtype=np.float64)
        phases = np.zeros((len(pairs), len(PHASES)), dtype=np.float64) if self.has_phases else None
        bounds = np.cumsum([0] + [len(t) for t in turn_lists])  # call c's pairs are bounds[c]:bounds[c + 1]
        batches = []
        for start, end in zip(bounds[:-1], bounds[1:]):
            order = sorted(range(start, end), key=lambda i: len(pairs[i][0]) + len(pairs[i][1]))
            batches += [order[k : k + batch_size] for k in range(0, len(order), batch_size)]
        # one batch at a time across threads: the tokenizer is not thread-safe, and torch uses every core anyway
        with self._lock, torch.inference_mode():
            net = self._inference_net(int8)
            device = next(net.parameters()).device  # the int8 copy's unquantized layers (embeddings) are on the CPU
            for idx in batches:
                batch = self._tokenize([pairs[i] for i in idx]).to(device)
                act_logits, phase_logits = net(batch)
                out[idx] = torch.sigmoid(act_logits.float()).cpu().numpy()
                if phases is not None:
                    phases[idx] = torch.softmax(phase_logits.float(), dim=-1).cpu().numpy()
        if not len(turn_lists):
            return []
        acts = np.split(out, bounds[1:-1])
        return list(zip(acts, np.split(phases, bounds[1:-1]) if phases is not None else [None] * len(acts)))

    # -- files ------------------------------------------------------------------------------------------------
    def save(self, path: str | Path) -> str:
        """Write the tuned weights (float16 safetensors) to ``path``; returns the file's sha256."""
        from safetensors.torch import save

        from callqa.transcribe.models import sha256_file

        if self.net is None:
            raise ValueError("PairEncoder.save: nothing fitted to save.")
        tensors = {n: t.detach().to("cpu", copy=True).half().contiguous() for n, t in self.net.state_dict().items() if self._trained(n)}
        meta = {"acts": ",".join(ACTS), **({"phases": ",".join(PHASES)} if self.has_phases else {}), **{k: str(v) for k, v in self.hyperparameters.items()}}
        # written as bytes so that the file gets the usual permissions (safetensors' save_file makes it owner-only)
        Path(path).write_bytes(save(tensors, metadata=meta))
        return sha256_file(Path(path))

    @classmethod
    def load(cls, path: str | Path, sha256: str) -> PairEncoder:
        """The encoder in ``path``, refused unless the file's sha256 is ``sha256`` and it holds exactly the tensors
        this network has, for the acts callqa knows."""
        from safetensors import safe_open

        from callqa.transcribe.models import sha256_file

        path = Path(path)
        if not path.exists():
            raise ModelError(f"{path}: the tagger was trained with a pair encoder, and its file is missing. Retrain with `callqa train`.")
        if sha256_file(path) != sha256:
            raise ModelError(f"{path}: sha256 does not match the one the tagger was trained with; the file is damaged or from another model.")
        with safe_open(str(path), framework="pt") as f:
            meta = f.metadata() or {}
            tensors = {k: f.get_tensor(k) for k in f.keys()}
        if meta.get("acts") != ",".join(ACTS):
            raise ModelError(f"{path}: written for other acts ({meta.get('acts')!r}); retrain with `callqa train`.")
        if "phases" in meta and meta["phases"] != ",".join(PHASES):
            raise ModelError(f"{path}: written for other phases ({meta['phases']!r}); retrain with `callqa train`.")
        enc = cls(**{k: type(v)(meta[k]) for k, v in cls().hyperparameters.items() if k in meta}, phases="phases" in meta)
        net = _Network(phases=enc.phases)
        expected = {n for n in net.state_dict() if cls._trained(n)}
        if set(tensors) != expected:
            raise ModelError(f"{path}: tensors do not match the network (missing {sorted(expected - set(tensors))[:3]}, unexpected {sorted(set(tensors) - expected)[:3]}).")
        state = net.state_dict()
        for n, t in tensors.items():
            if tuple(t.shape) != tuple(state[n].shape):
                raise ModelError(f"{path}: tensor {n} has shape {tuple(t.shape)}, the network {tuple(state[n].shape)}.")
        net.load_state_dict({n: t.float() for n, t in tensors.items()}, strict=False)
        enc.net = net.eval()  # on the CPU: predictions run its int8 copy there
        return enc


class PairEnsemble:
    """Encoders fitted with one recipe under different seeds, read as one model: each turn's act probabilities, and
    phase probabilities, are the members' mean. ``predict`` as ``PairEncoder.predict``."""

    def __init__(self, members: Sequence[PairEncoder]):
        if not members:
            raise ValueError("PairEnsemble needs at least one encoder.")
        if len({m.has_phases for m in members}) > 1:
            raise ValueError("PairEnsemble: every encoder must have a phase head, or none.")
        self.members = list(members)

    @property
    def has_phases(self) -> bool:
        return self.members[0].has_phases

    def predict_proba(self, turn_lists: Sequence[Sequence[Turn]], batch_size: int = 16, int8: bool = True) -> list[np.ndarray]:
        return [acts for acts, _ in self.predict(turn_lists, batch_size, int8)]

    def predict(
        self, turn_lists: Sequence[Sequence[Turn]], batch_size: int = 16, int8: bool = True
    ) -> list[tuple[np.ndarray, np.ndarray | None]]:
        """The members' mean (P(act), P(phase)) per call; each member batches within a call, as ``PairEncoder.predict``."""
        if len(self.members) == 1:
            return self.members[0].predict(turn_lists, batch_size, int8)
        each = [m.predict(turn_lists, batch_size, int8) for m in self.members]
        out = []
        for per_call in zip(*each):
            acts = np.mean([a for a, _ in per_call], axis=0)
            phases = np.mean([p for _, p in per_call], axis=0) if self.has_phases else None
            out.append((acts, phases))
        return out

    @classmethod
    def load(cls, folder: str | Path, sha256s: Sequence[str]) -> PairEnsemble:
        """The encoders ``member_file(0..n-1)`` in ``folder``, each refused unless its sha256 is the one listed."""
        return cls([PairEncoder.load(Path(folder) / member_file(k), sha) for k, sha in enumerate(sha256s)])
