"""Find the calls to process: audio files, transcripts, and the manifest that describes them."""

from __future__ import annotations

import csv
import json
import math
import os
import re
from datetime import datetime
from dataclasses import dataclass
from pathlib import Path

from callqa.audio import AUDIO_EXTENSIONS
from callqa.errors import InputError, ManifestError, TranscriptFormatError
from callqa.model import AGENT_CHANNELS, SPEAKERS, CallInput, Turn

TRANSCRIPT_EXTENSIONS = frozenset({".txt", ".json"})
MANIFEST_COLUMNS = ("call_id", "path", "agent_id", "team", "started_at", "agent_channel")
ROLE_ALIASES = {"agent": "agent", "customer": "customer", "caller": "customer", "client": "customer", "rep": "agent"}
_LINE = re.compile(r"^\s*([A-Za-z][\w ]{0,30}?)\s*:\s*(.*)$")


@dataclass(frozen=True)
class Rejected:
    """An input that cannot become a call (bad manifest row, unknown file type, duplicate id), with the reason.

    Batches record these as failures and go on; single-call functions raise the error instead.
    """

    call_id: str
    path: str
    error: InputError


def _reject(rejected: list[Rejected] | None, call_id: str, path: str, error: InputError) -> None:
    if rejected is None:
        raise error
    rejected.append(Rejected(call_id, path, error))


def input_kind(path: Path) -> str | None:
    ext = path.suffix.lower()
    if ext in AUDIO_EXTENSIONS:
        return "audio"
    if ext in TRANSCRIPT_EXTENSIONS:
        return "transcript"
    return None


def discover(paths: list[str | Path], rejected: list[Rejected] | None = None) -> list[CallInput]:
    """Calls from files and folders (searched recursively, in sorted order); call_id is the file's stem.

    A missing path, an explicit file of an unknown type or a duplicate call_id raises InputError, or with
    ``rejected`` is appended there and skipped.
    """
    found: list[Path] = []
    for p in map(Path, paths):
        if not p.exists():
            _reject(rejected, p.stem, str(p), InputError(f"{p}: no such file or folder."))
        elif p.is_dir():
            found.extend(f for f in _walk(p) if input_kind(f) and not _is_sidecar(f))
        elif input_kind(p) is None:
            _reject(rejected, p.stem, str(p), InputError(
                f"{p}: unsupported file type {p.suffix!r}; callqa reads audio ({', '.join(sorted(AUDIO_EXTENSIONS))}) "
                f"and transcripts (.txt, .json)."
            ))
        else:
            found.append(p)
    calls = [CallInput(call_id=f.stem, path=str(f), kind=input_kind(f)) for f in found]  # type: ignore[arg-type]
    return _unique(calls, "the inputs", InputError, rejected)


def _walk(folder: Path) -> list[Path]:
    """Files under ``folder`` in sorted order; symlinked folders are not followed (no loops)."""
    out = []
    for root, dirs, files in os.walk(folder, followlinks=False):
        dirs.sort()
        out.extend(Path(root) / f for f in sorted(files))
    return [p for p in out if p.is_file()]


def _is_sidecar(path: Path) -> bool:
    """Files inside an input folder that describe calls rather than being calls (licences, READMEs)."""
    return path.name.lower().startswith(("readme", "license", "licence", "notice", "provenance"))


def _unique(calls: list[CallInput], where: str, error: type[InputError], rejected: list[Rejected] | None) -> list[CallInput]:
    """The calls with a call_id not seen before; a repeated one raises, or is rejected (the first one stays)."""
    seen: dict[str, str] = {}
    out = []
    for c in calls:
        if c.call_id in seen:
            _reject(rejected, c.call_id, c.path, error(
                f"Duplicate call_id {c.call_id!r} in {where}: {seen[c.call_id]} and {c.path}. "
                f"Give each call a unique id (a manifest can set call_id)."
            ))
            continue
        seen[c.call_id] = c.path
        out.append(c)
    return out


def read_manifest(manifest: str | Path, base: str | Path | None = None, rejected: list[Rejected] | None = None) -> list[CallInput]:
    """Calls listed in a manifest CSV; paths are relative to ``base`` (default: the manifest's folder).

    Required columns: call_id and path. Optional: agent_id, team, started_at (ISO 8601), agent_channel
    (left, right, auto or mono; empty means auto). Any other column is carried through to the outputs.
    A problem with the whole file raises ManifestError; a bad row raises too, or with ``rejected`` is appended
    there and the other rows go on.
    """
    manifest = Path(manifest)
    base = Path(base) if base is not None else manifest.parent
    try:
        with open(manifest, newline="", encoding="utf-8-sig") as f:
            reader = csv.DictReader(f)
            header = reader.fieldnames or []
            rows = list(reader)
    except FileNotFoundError as e:
        raise ManifestError(f"{manifest}: manifest not found.") from e
    except UnicodeDecodeError as e:
        raise ManifestError(f"{manifest}: not UTF-8 text ({e}).") from e
    missing = [c for c in ("call_id", "path") if c not in header]
    if missing:
        raise ManifestError(f"{manifest}: missing column(s) {missing}; the header must include call_id and path. Got {header}.")
    if not rows:
        raise ManifestError(f"{manifest}: has a header but no calls.")
    calls = []
    for i, row in enumerate(rows, start=2):
        try:
            calls.append(_manifest_row(manifest, base, i, row))
        except ManifestError as e:
            _reject(rejected, (row.get("call_id") or "").strip() or f"line-{i}", (row.get("path") or "").strip(), e)
    return _unique(calls, str(manifest), ManifestError, rejected)


def _manifest_row(manifest: Path, base: Path, i: int, row: dict) -> CallInput:
    where = f"{manifest} line {i}"
    call_id = (row.get("call_id") or "").strip()
    rel = (row.get("path") or "").strip()
    if not call_id or not rel:
        raise ManifestError(f"{where}: call_id and path must not be empty.")
    path = Path(rel) if Path(rel).is_absolute() else base / rel
    kind = input_kind(path)
    if kind is None:
        raise ManifestError(f"{where}: {rel!r} is not an audio file or transcript callqa reads.")
    channel = (row.get("agent_channel") or "auto").strip().lower() or "auto"
    if channel not in AGENT_CHANNELS:
        raise ManifestError(
            f"{where}: agent_channel must be one of {list(AGENT_CHANNELS)}. Got {row.get('agent_channel')!r} instead."
        )
    started = (row.get("started_at") or "").strip() or None
    if started is not None:
        try:
            datetime.fromisoformat(started.replace("Z", "+00:00"))
        except ValueError as e:
            raise ManifestError(f"{where}: started_at {started!r} is not an ISO 8601 date or time.") from e
    extra = {k: v for k, v in row.items() if k and k not in MANIFEST_COLUMNS and v is not None}
    return CallInput(
        call_id=call_id,
        path=str(path),
        kind=kind,  # type: ignore[arg-type]
        agent_id=(row.get("agent_id") or "").strip() or None,
        team=(row.get("team") or "").strip() or None,
        started_at=started,
        agent_channel=channel,
        extra=extra,
    )


def read_transcript(path: str | Path) -> tuple[Turn, ...]:
    """Turns of a text transcript (``Agent: ...`` / ``Customer: ...`` lines) or a JSON one (``turns`` list)."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise InputError(f"{path}: cannot be read ({e.strerror or e}).") from e
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise TranscriptFormatError(f"{path}: not valid UTF-8 (byte {e.start}).") from e
    turns = _read_json_turns(path, text) if path.suffix.lower() == ".json" else _read_text_turns(path, text)
    if not turns:
        raise TranscriptFormatError(f"{path}: the transcript has no turns.")
    return turns


def _role(path: Path, where: str, label: str) -> str:
    role = ROLE_ALIASES.get(label.strip().lower())
    if role is None:
        raise TranscriptFormatError(
            f"{path} {where}: unknown speaker {label!r}; use Agent or Customer (Caller and Client mean customer)."
        )
    return role


def _read_text_turns(path: Path, text: str) -> tuple[Turn, ...]:
    turns: list[Turn] = []
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        m = _LINE.match(line)
        if not m:
            if turns:  # a wrapped line continues the previous turn
                prev = turns[-1]
                turns[-1] = Turn(speaker=prev.speaker, text=f"{prev.text} {line.strip()}")
                continue
            raise TranscriptFormatError(f"{path} line {n}: expected 'Agent: ...' or 'Customer: ...'. Got {line[:60]!r}.")
        role = _role(path, f"line {n}", m.group(1))
        if m.group(2).strip():
            turns.append(Turn(speaker=role, text=m.group(2).strip()))
    return tuple(turns)


def _read_json_turns(path: Path, text: str) -> tuple[Turn, ...]:
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as e:
        raise TranscriptFormatError(f"{path}: invalid JSON at line {e.lineno} column {e.colno}: {e.msg}.") from e
    raw_turns = doc.get("turns") if isinstance(doc, dict) else doc
    if not isinstance(raw_turns, list):
        raise TranscriptFormatError(f"{path}: expected an object with a 'turns' list (or a list of turns).")
    if raw_turns and all(isinstance(t, dict) and "turns" in t for t in raw_turns):
        raise TranscriptFormatError(f"{path}: holds a list of {len(raw_turns)} calls; give each call its own file.")
    turns = []
    for i, t in enumerate(raw_turns):
        if not isinstance(t, dict) or "speaker" not in t or "text" not in t:
            raise TranscriptFormatError(f"{path}: turn {i} needs 'speaker' and 'text'.")
        if not isinstance(t["text"], (str, int, float)) or isinstance(t["text"], bool):
            raise TranscriptFormatError(f"{path}: turn {i} text must be a string. Got {t['text']!r}.")
        role = _role(path, f"turn {i}", str(t["speaker"]))
        start, end = turn_times(t, f"{path}: turn {i}", TranscriptFormatError)
        turns.append(
            Turn.from_dict({"speaker": role, "text": str(t["text"]).strip(), "start": start, "end": end, "words": t.get("words") or ()})
        )
    assert all(t.speaker in SPEAKERS for t in turns)
    return tuple(turns)


def turn_times(turn: dict, where: str, error: type[InputError] = InputError) -> tuple[float | None, float | None]:
    """A turn's ``start`` and ``end`` in seconds (either may be absent): numbers, not negative, end not before start."""
    times = []
    for name in ("start", "end"):
        v = turn.get(name)
        if v is not None and (isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or v < 0):
            raise error(f"{where} {name} must be a number of seconds (0 or more). Got {v!r}.")
        times.append(v)
    start, end = times
    if start is not None and end is not None and end < start:
        raise error(f"{where} ends ({end}) before it starts ({start}).")
    return start, end


def transcript_metadata(path: str | Path) -> dict:
    """Call-level fields a JSON transcript may carry (call_id, agent_id, team, started_at or date)."""
    path = Path(path)
    if path.suffix.lower() != ".json":
        return {}
    try:
        doc = json.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, ValueError):
        return {}
    if not isinstance(doc, dict):
        return {}
    out = {k: doc[k] for k in ("call_id", "agent_id", "team", "started_at") if isinstance(doc.get(k), str)}
    if "started_at" not in out and isinstance(doc.get("date"), str):
        out["started_at"] = doc["date"]
    return out
