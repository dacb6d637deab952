"""An overnight batch you can trust: resume, one writer per folder, and a crash mid-batch."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time

import pytest

from callqa.pipeline import analyze_batch, score_call
from conftest import ROOT

GOLDEN = ROOT / "tests" / "data" / "golden" / "offer_after_fix.txt"


@pytest.fixture
def transcripts(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    text = GOLDEN.read_text()
    for i in range(30):
        (folder / f"call-{i:02d}.txt").write_text(text.replace("Hana", f"Agent{i}"))
    return folder


def test_resume_skips_done_calls_and_redoes_changed_ones(transcripts, tmp_path):
    out = tmp_path / "out"
    first = analyze_batch(transcripts, out, stage=score_call)
    assert first.done == 30 and first.skipped == 0
    mtimes = {p.name: p.stat().st_mtime_ns for p in (out / "calls").glob("*.json")}
    changed = transcripts / "call-03.txt"
    changed.write_text(changed.read_text() + "Customer: Actually, one more thing.\n")
    second = analyze_batch(transcripts, out, stage=score_call)
    assert second.skipped == 29 and second.done == 1
    after = {p.name: p.stat().st_mtime_ns for p in (out / "calls").glob("*.json")}
    assert [n for n in after if after[n] != mtimes[n]] == ["call-03.json"]
    doc = json.loads((out / "calls" / "call-03.json").read_text())
    assert doc["turns"][-1]["text"] == "Actually, one more thing."
    forced = analyze_batch(transcripts, out, stage=score_call, resume=False)
    assert forced.done == 30


def test_resume_a_second_writer_is_refused(transcripts, tmp_path):
    from callqa.resume import FolderLockedError, folder_lock

    out = tmp_path / "out"
    with folder_lock(out):
        with pytest.raises(FolderLockedError, match=r"another callqa run \(pid \d+\) is writing to this folder"):
            analyze_batch(transcripts, out, stage=score_call)


def test_resume_after_sigkill_every_call_done_exactly_once(transcripts, tmp_path):
    """Kill a real batch mid-way with SIGKILL, re-run it, and check nothing is partial, lost or redone."""
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "callqa.cli", "score", str(transcripts), "--out", str(out)]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while time.time() < deadline:
        done = list((out / "calls").glob("*.json")) if (out / "calls").exists() else []
        if len(done) >= 5:
            break
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    survivors = {p.name: p.stat().st_mtime_ns for p in (out / "calls").glob("*.json")}
    assert 5 <= len(survivors) < 30, f"{len(survivors)} calls finished before the kill"
    for p in (out / "calls").glob("*.json"):
        json.loads(p.read_text())  # every file that exists is whole
    rerun = subprocess.run(cmd, capture_output=True, text=True)
    assert rerun.returncode == 0, rerun.stderr
    assert f"{30 - len(survivors)} call(s) done, 0 failed, {len(survivors)} already done (skipped)" in " ".join(rerun.stderr.split())
    final = {p.name: p.stat().st_mtime_ns for p in (out / "calls").glob("*.json")}
    assert len(final) == 30
    assert all(final[n] == t for n, t in survivors.items()), "a finished call was redone"
    assert not list(out.rglob(".*.tmp")), "temporary files left behind"
    import pandas as pd

    assert sorted(pd.read_csv(out / "calls.csv")["call_id"]) == [f"call-{i:02d}" for i in range(30)]


def test_resume_removes_what_a_killed_run_left_half_written(tmp_path):
    from callqa.resume import remove_stale_temp_files

    out = tmp_path / "out"
    leftovers = [out / "calls" / ".c1.json.x1.tmp", out / "audio" / ".c1.flac.x2.tmp.flac", out / ".calls.csv.x3.tmp"]
    keep = [out / "calls" / "c1.json", out / "audio" / "c1.flac"]
    for p in leftovers + keep:
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(b"x")
    assert remove_stale_temp_files(out) == 3
    assert not any(p.exists() for p in leftovers) and all(p.exists() for p in keep)
