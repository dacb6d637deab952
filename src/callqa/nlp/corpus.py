"""Labelled calls in the annotation guide's JSON format (docs/ANNOTATION.md)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from callqa.errors import InputError
from callqa.model import ACTS, PHASES, Turn


@dataclass(frozen=True)
class LabelledCall:
    call_id: str
    turns: tuple[Turn, ...]
    labels: dict[str, Any]
    meta: dict[str, Any]


def load_labelled(folder: str | Path) -> list[LabelledCall]:
    """Every ``*.json`` labelled call under ``folder``, sorted by call_id; labels are checked against the guide."""
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(f"{folder}: not a folder of labelled calls.")
    calls = []
    for path in sorted(folder.rglob("*.json")):
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as e:
            raise InputError(f"{path}: cannot read labelled call ({e}).") from e
        turns = []
        for i, t in enumerate(doc.get("turns") or ()):
            phase, acts = t.get("phase"), tuple(t.get("acts") or ())
            if phase not in PHASES:
                raise InputError(f"{path} turn {i}: phase {phase!r} is not one of {list(PHASES)}.")
            unknown = [a for a in acts if a not in ACTS]
            if unknown:
                raise InputError(f"{path} turn {i}: unknown act(s) {unknown}; see docs/ANNOTATION.md.")
            if t.get("speaker") not in ("agent", "customer"):
                raise InputError(f"{path} turn {i}: speaker must be agent or customer.")
            turns.append(Turn(speaker=t["speaker"], text=t["text"], start=t.get("start"), end=t.get("end"), phase=phase, acts=acts))
        if not turns:
            raise InputError(f"{path}: a labelled call needs turns.")
        meta = {k: doc.get(k) for k in ("industry", "agent_id", "team", "date")}
        calls.append(LabelledCall(doc.get("call_id") or path.stem, tuple(turns), doc.get("labels") or {}, meta))
    if not calls:
        raise InputError(f"{folder}: holds no labelled calls (*.json).")
    return calls


def corpus_hash(folder: str | Path) -> str:
    """sha256 over the sorted labelled files' names and bytes: identifies the training data in a model card."""
    h = hashlib.sha256()
    for path in sorted(Path(folder).rglob("*.json")):
        h.update(path.name.encode())
        h.update(path.read_bytes())
    return h.hexdigest()
