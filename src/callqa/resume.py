"""What makes an overnight batch safe to re-run: one writer per output folder, and skipping finished calls.

A call is finished when its per-call JSON exists and records the same input bytes (sha256) and the same
configuration fingerprint (callqa's version, the stage, every option, the tagger's card and the scorecard's
bytes). Re-running the same command skips those, redoes calls whose input or configuration changed, and does
the rest. A lock file stops two runs writing to one folder at once.
"""

from __future__ import annotations

import dataclasses
import fcntl
import hashlib
import json
import os
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from callqa.errors import CallQAError
from callqa.transcribe.models import sha256_file

LOCK_NAME = ".callqa.lock"


class FolderLockedError(CallQAError):
    """Another callqa run is writing to the output folder."""


@contextmanager
def folder_lock(out_dir: Path):
    """Hold an exclusive advisory lock on ``out_dir`` for the duration of a batch; released even on a crash."""
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / LOCK_NAME
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = os.pread(fd, 64, 0).decode(errors="replace").strip() or "unknown"
        os.close(fd)
        raise FolderLockedError(
            f"{out_dir}: another callqa run (pid {holder}) is writing to this folder; wait for it to finish or use another --out."
        ) from None
    try:
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        remove_stale_temp_files(out_dir)
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def remove_stale_temp_files(out_dir: Path) -> int:
    """Temporary files a killed run left behind (never read: outputs are only ever renamed into place)."""
    n = 0
    for folder in (out_dir, out_dir / "calls", out_dir / "audio", out_dir / "report", out_dir / "report" / "calls"):
        if folder.is_dir():
            for p in [*folder.glob(".*.tmp"), *folder.glob(".*.tmp.*")]:
                p.unlink(missing_ok=True)
                n += 1
    return n


def fingerprint(stage: str, options: Any) -> str:
    """sha256 of everything that changes a call's result besides its input bytes."""
    from callqa import __version__
    from callqa.nlp import packaged_model_dir

    settings = dataclasses.asdict(options)
    settings.get("transcribe", {}).pop("num_workers", None)  # how many at once, not what comes out
    parts: dict[str, Any] = {"callqa": __version__, "stage": stage, "options": settings}
    tagger = Path(options.tagger_dir) if getattr(options, "tagger_dir", None) else packaged_model_dir()
    for name in ("card.json", "tagger.skops"):
        p = tagger / name
        parts[f"tagger/{name}"] = sha256_file(p) if p.exists() else None
    if getattr(options, "scorecard", None):
        parts["scorecard"] = sha256_file(options.scorecard)
    else:
        from importlib import resources

        parts["scorecard"] = hashlib.sha256(
            resources.files("callqa.scoring").joinpath("scorecards", "default.v1.toml").read_bytes()
        ).hexdigest()
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


def already_done(json_path: Path, input_sha256: str, config: str) -> bool:
    try:
        doc = json.loads(json_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    run = doc.get("run") or {}
    return run.get("input_sha256") == input_sha256 and run.get("fingerprint") == config
