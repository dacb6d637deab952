"""Write what callqa produces: one JSON file per call, and the per-call table as CSV and Parquet.

Every file is written to a temporary name in the same folder and renamed into place, so a crash never leaves
a half-written output behind. The tables are rebuilt from the per-call JSON files, which are the record.
"""

from __future__ import annotations

import csv
import json
import os
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from callqa.model import CallResult

TABLE_COLUMNS = (
    "call_id", "agent_id", "team", "started_at", "duration_s", "language", "source_path", "source_kind",
    "mode", "engine", "model", "device", "compute_type", "agent_source", "role_method", "role_confidence",
    "turns", "agent_turns", "customer_turns", "agent_words", "customer_words", "warnings",
)


def atomic_write_with(path: str | Path, write: Callable[[Path], None], suffix: str = ".tmp") -> None:
    """Write ``path`` by calling ``write`` on a temporary name beside it, then renaming that into place.

    The temporary name is ``.<name>.<random><suffix>``; a suffix other than ``.tmp`` must start with ``.tmp`` (a
    writer that picks its format from the extension gets ``.tmp.flac``), so a killed run's leftovers are found.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=suffix, dir=path.parent)
    os.close(fd)
    try:
        write(Path(tmp))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_bytes(path: str | Path, data: bytes) -> None:
    def write(tmp: Path) -> None:
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())

    atomic_write_with(path, write)


def atomic_write_text(path: str | Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def call_json_path(out_dir: str | Path, call_id: str) -> Path:
    return Path(out_dir) / "calls" / f"{safe_name(call_id)}.json"


def safe_name(call_id: str) -> str:
    """A file name for a call id: path separators and control characters replaced."""
    name = "".join("_" if c in '/\\:*?"<>|' or ord(c) < 32 else c for c in call_id).strip(". ")
    return name or "call"


def write_call(out_dir: str | Path, result: CallResult) -> Path:
    path = call_json_path(out_dir, result.call_id)
    atomic_write_text(path, json.dumps(result.to_dict(), ensure_ascii=False, indent=2) + "\n")
    return path


def read_calls(out_dir: str | Path) -> list[dict[str, Any]]:
    """All per-call JSON documents under ``out_dir/calls``, sorted by call_id."""
    docs = []
    for p in sorted((Path(out_dir) / "calls").glob("*.json")):
        with open(p, encoding="utf-8") as f:
            docs.append(json.load(f))
    return sorted(docs, key=lambda d: d["call_id"])


def call_row(doc: dict[str, Any]) -> dict[str, Any]:
    """One table row for a per-call JSON document; manifest extras follow the standard columns."""
    engine = doc.get("engine") or {}
    roles = doc.get("roles") or {}
    source = doc.get("source") or {}
    turns = doc.get("turns") or []
    by = {s: [t for t in turns if t["speaker"] == s] for s in ("agent", "customer")}
    row = {
        "call_id": doc["call_id"],
        "agent_id": doc.get("agent_id"),
        "team": doc.get("team"),
        "started_at": doc.get("started_at"),
        "duration_s": doc.get("duration_s"),
        "language": doc.get("language"),
        "source_path": source.get("path"),
        "source_kind": source.get("kind"),
        "mode": source.get("mode"),
        "engine": engine.get("name"),
        "model": engine.get("model"),
        "device": engine.get("device"),
        "compute_type": engine.get("compute_type"),
        "agent_source": roles.get("agent_source"),
        "role_method": roles.get("method"),
        "role_confidence": roles.get("confidence"),
        "turns": len(turns),
        "agent_turns": len(by["agent"]),
        "customer_turns": len(by["customer"]),
        "agent_words": sum(len(t["text"].split()) for t in by["agent"]),
        "customer_words": sum(len(t["text"].split()) for t in by["customer"]),
        "warnings": len(doc.get("warnings") or []),
    }
    if doc.get("phase_spans") is not None:
        phases = [t.get("phase") for t in turns]
        acts = [a for t in turns for a in t.get("acts") or ()]
        row["phase_sequence"] = " > ".join(s["phase"] for s in doc["phase_spans"])
        for phase in ("greeting", "verification", "discovery", "resolution", "offer", "closing"):
            row[f"turns_{phase}"] = phases.count(phase)
        row["offer_turns"] = acts.count("offer")
    scores = doc.get("scores")
    if scores:
        for name in ("rapport", "resolution", "offer_timing", "cross_sell_pressure"):
            row[name] = scores[name]["value"]
        row["offer_timing_category"] = scores["offer_timing"]["category"]
        row["resolution_status"] = scores["resolution"]["status"]
        row["resolution_confidence"] = scores["resolution"].get("confidence")
        row["offers"] = len(doc.get("offers") or [])
        row["offers_accepted"] = sum(1 for o in doc.get("offers") or [] if o["response"] == "accepted")
        for flag, value in (doc.get("flags") or {}).items():
            row[flag] = value
        for k, v in (doc.get("metrics") or {}).items():
            if not isinstance(v, (list, dict)):
                row[k] = v
    for k, v in (doc.get("extra") or {}).items():
        row.setdefault(k, v)
    return row


def write_tables(out_dir: str | Path, docs: Iterable[dict[str, Any]] | None = None) -> Path:
    """calls.csv and calls.parquet, one row per call, rebuilt from the per-call files."""
    import pandas as pd

    out_dir = Path(out_dir)
    rows = [call_row(d) for d in (read_calls(out_dir) if docs is None else docs)]
    frame = pd.DataFrame(rows)
    if frame.empty:
        frame = pd.DataFrame(columns=list(TABLE_COLUMNS))
    atomic_write_text(out_dir / "calls.csv", frame.to_csv(index=False))
    write_parquet(frame, out_dir / "calls.parquet")
    return out_dir / "calls.csv"


def write_parquet(frame, path: str | Path) -> None:
    """``frame`` as Parquet at ``path``, atomically."""
    atomic_write_with(path, lambda tmp: frame.to_parquet(tmp, index=False))


FAILURE_COLUMNS = ("call_id", "path", "stage", "error", "message")


def write_failures(out_dir: str | Path, failures: list[dict[str, str]]) -> Path | None:
    """failures.csv: one row per call that could not be processed; removed when a run has none."""
    path = Path(out_dir) / "failures.csv"
    if not failures:
        path.unlink(missing_ok=True)
        return None
    import io

    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(FAILURE_COLUMNS))
    w.writeheader()
    w.writerows(failures)
    atomic_write_text(path, buf.getvalue())
    return path
