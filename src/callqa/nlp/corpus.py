"""Labelled calls in the annotation guide's JSON format (docs/ANNOTATION.md)."""

from __future__ import annotations

import hashlib
import json
import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from callqa.errors import InputError
from callqa.inputs import ROLE_ALIASES, turn_times
from callqa.model import ACTS, PHASES, Turn

logger = logging.getLogger("callqa")


@dataclass(frozen=True)
class LabelledCall:
    call_id: str
    turns: tuple[Turn, ...]
    labels: dict[str, Any]
    meta: dict[str, Any]


# The call-level labels the guide fixes, and the values each may take.
CATEGORIES: dict[str, tuple[str, ...]] = {
    "resolution": ("resolved", "partial", "unresolved"),
    "offer_timing": ("none", "after_resolution", "before_resolution", "rushed_close"),
    "customer_end_sentiment": ("negative", "neutral", "positive"),
}
SCALES = ("pressure", "rapport")  # 1 to 5
FLAGS = ("escalated", "wow_moment")
_TRUE, _FALSE = {"true", "yes", "1"}, {"false", "no", "0"}


def load_labelled(folder: str | Path) -> list[LabelledCall]:
    """Every labelled call in the ``*.json`` files under ``folder`` (a file holds one call, or a list of calls),
    sorted by file and then by place in the file; labels are checked against the guide.

    Names and values are read as the guide writes them, whatever their case ("Agent", "Greeting"); ``acts`` may be
    a list or one string ("greeting, personal_name"); 1-5 labels may be written as numbers or digits, flags as
    true/false or yes/no. Anything else is an InputError naming the file, the call and the field; every problem
    in the folder is named in the one error, so that the folder can be put right in one pass. Call-level
    labels may be left out (a call labelled per turn only); figures that need one are measured without that call.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(f"{folder}: not a folder of labelled calls.")
    calls: list[LabelledCall] = []
    problems: list[str] = []
    seen: dict[str, Path] = {}
    for path in sorted(folder.rglob("*.json")):
        try:
            doc = json.loads(path.read_text(encoding="utf-8-sig"))  # a byte-order mark, as some editors write, is fine
        except (OSError, ValueError) as e:
            problems.append(f"{path}: cannot read labelled call ({e}).")
            continue
        docs = doc if isinstance(doc, list) else [doc]
        for k, d in enumerate(docs):
            where = f"{path}" if len(docs) == 1 else f"{path} call {k}"
            call = _call(d, where, path.stem if len(docs) == 1 else f"{path.stem}-{k}", problems)
            if call is None:
                continue
            if call.call_id in seen:
                logger.warning("%s: call_id %r is also used in %s; figures count both.", where, call.call_id, seen[call.call_id])
            seen.setdefault(call.call_id, path)
            calls.append(call)
    if len(problems) == 1:
        raise InputError(problems[0])
    if problems:
        # every problem at once, so that a folder can be put right in one pass
        raise InputError(f"{folder}: {len(problems)} problems in labelled calls (docs/ANNOTATION.md):\n  " + "\n  ".join(problems))
    if not calls:
        raise InputError(f"{folder}: holds no labelled calls (*.json).")
    return calls


def _call(doc: Any, where: str, default_id: str, problems: list[str]) -> LabelledCall | None:
    """The labelled call in ``doc``, or None with every problem found in it added to ``problems``."""
    if not isinstance(doc, dict):
        problems.append(f"{where}: a labelled call is a JSON object with turns and labels (see docs/ANNOTATION.md), not {type(doc).__name__}.")
        return None
    raw_turns = doc.get("turns")
    if not isinstance(raw_turns, list) or not raw_turns:
        problems.append(f"{where}: a labelled call needs a non-empty list of turns.")
        return None
    found = len(problems)
    turns = []
    for i, t in enumerate(raw_turns):
        try:
            turns.append(_turn(t, f"{where} turn {i}"))
        except InputError as e:
            problems.append(str(e))
    labels = doc.get("labels") or {}
    if isinstance(labels, dict):
        labels = _labels(labels, where, problems)
    else:
        problems.append(f"{where}: labels must be an object, not {type(labels).__name__}.")
    if len(problems) > found:
        return None
    meta = {k: doc.get(k) for k in ("industry", "agent_id", "team", "date")}
    return LabelledCall(str(doc.get("call_id") or default_id), tuple(turns), labels, meta)


def _name(value: Any) -> Any:
    """A name as the guide writes it: lower case, underscores; anything but a string comes back as it is."""
    return value.strip().lower().replace(" ", "_").replace("-", "_") if isinstance(value, str) else value


def _turn(t: Any, where: str) -> Turn:
    if not isinstance(t, dict):
        raise InputError(f"{where}: a turn is an object with speaker, text, phase and acts.")
    speaker, phase, text = ROLE_ALIASES.get(_name(t.get("speaker"))), _name(t.get("phase")), t.get("text")
    if speaker is None:
        raise InputError(f"{where}: speaker must be agent or customer (caller and client mean customer), not {t.get('speaker')!r}.")
    if not isinstance(text, str):
        raise InputError(f"{where}: text must be a string, not {text!r}.")
    if phase not in PHASES:
        raise InputError(f"{where}: phase {t.get('phase')!r} is not one of {list(PHASES)}.")
    acts = t.get("acts") or ()
    if isinstance(acts, str):
        # "greeting, personal name" or "greeting personal_name"
        acts = [w for piece in re.split(r"[,;|]", acts) for w in ([piece] if _name(piece) in ACTS else piece.split())]
    if not isinstance(acts, (list, tuple)) or not all(isinstance(a, str) for a in acts):
        raise InputError(f"{where}: acts must be a list of act names, not {t.get('acts')!r}.")
    acts = tuple(dict.fromkeys(_name(a) for a in acts if a.strip()))
    unknown = [a for a in acts if a not in ACTS]
    if unknown:
        raise InputError(f"{where}: unknown act(s) {unknown}; the guide's acts are {list(ACTS)} (docs/ANNOTATION.md).")
    start, end = turn_times(t, where)
    return Turn(speaker=speaker, text=text, start=start, end=end, phase=phase, acts=acts)


def _labels(labels: dict, where: str, problems: list[str]) -> dict[str, Any]:
    """The call-level labels with the guide's values, read whatever their case; other keys are kept as they are.
    Each value the guide does not allow adds a line to ``problems``."""
    out = dict(labels)
    for key, allowed in CATEGORIES.items():
        if labels.get(key) is not None:
            value = _name(labels[key])
            if value not in allowed:
                problems.append(f"{where}: label {key} is {labels[key]!r}; the guide allows {list(allowed)}.")
            out[key] = value
    for key in SCALES:
        value = labels.get(key)
        if value is not None:
            try:
                number = float(value.strip() if isinstance(value, str) else value)
            except (TypeError, ValueError):
                number = float("nan")
            if isinstance(value, bool) or number not in (1, 2, 3, 4, 5):
                problems.append(f"{where}: label {key} is {value!r}; the guide allows a whole number from 1 to 5.")
            else:
                out[key] = int(number)
    for key in FLAGS:
        value = labels.get(key)
        if value is not None and not isinstance(value, bool):
            word = str(value).strip().lower()
            if word not in _TRUE | _FALSE:
                problems.append(f"{where}: label {key} is {value!r}; the guide allows true or false.")
            out[key] = word in _TRUE
    return out


def corpus_hash(folder: str | Path) -> str:
    """sha256 over the sorted labelled files' names and bytes: identifies the training data in a model card."""
    h = hashlib.sha256()
    for path in sorted(Path(folder).rglob("*.json")):
        h.update(path.name.encode())
        h.update(path.read_bytes())
    return h.hexdigest()
