"""The labelled corpus is built from its authoring source, and a bad source leaves it as it was."""

from __future__ import annotations

import subprocess
import sys

from conftest import ROOT

BUILD = ROOT / "scripts" / "build_corpus.py"
CALL = """=== {call_id}
industry: telecom
agent_id: A-1
team: T-1
date: 2026-01-05
resolution: resolved
escalated: false
offer_timing: none
pressure: 1
rapport: 4
customer_end_sentiment: positive
wow_moment: false
notes: a short call
A gr greet | Thanks for calling, how can I help?
C di compl | My router keeps dropping.
A re rstat | I've reset the line, it's fixed.
C cl rconf thanks bye | That works, thanks, bye.
"""


def _build(src, out):
    return subprocess.run([sys.executable, str(BUILD), "--src", str(src), "--out", str(out)], capture_output=True, text=True)


def test_corpus_json_is_what_the_source_builds(tmp_path):
    proc = _build(ROOT / "models" / "corpus" / "src", tmp_path)
    assert proc.returncode == 0, proc.stderr
    for split in ("train", "dev", "holdout"):
        built = {p.name: p.read_bytes() for p in (tmp_path / split).glob("*.json")}
        shipped = {p.name: p.read_bytes() for p in (ROOT / "models" / "corpus" / split).glob("*.json")}
        assert built.keys() == shipped.keys(), split
        assert [n for n in built if built[n] != shipped[n]] == [], split


def test_corpus_build_refuses_a_call_id_used_twice_and_writes_nothing(tmp_path):
    src, out = tmp_path / "src", tmp_path / "out"
    src.mkdir()
    (src / "train-a.calls").write_text(CALL.format(call_id="tr-x-1"), encoding="utf-8")
    assert _build(src, out).returncode == 0
    before = (out / "train" / "tr-x-1.json").read_bytes()
    (src / "train-b.calls").write_text(CALL.format(call_id="tr-x-2") + "\n" + CALL.format(call_id="tr-x-1"), encoding="utf-8")
    proc = _build(src, out)
    assert proc.returncode != 0
    assert "train-b.calls" in proc.stderr and "tr-x-1" in proc.stderr and "train-a.calls" in proc.stderr
    assert sorted(p.name for p in (out / "train").iterdir()) == ["tr-x-1.json"]
    assert (out / "train" / "tr-x-1.json").read_bytes() == before
