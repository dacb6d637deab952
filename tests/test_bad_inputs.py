"""The bad-input corpus (scripts/make_bad_inputs.py): every kind gets a clear outcome, the good calls complete."""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd
import pytest

from conftest import ROOT

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    out = tmp_path_factory.mktemp("bad")
    subprocess.run([sys.executable, str(ROOT / "scripts" / "make_bad_inputs.py"), str(out)], check=True, capture_output=True)
    return out, json.loads((out / "expected.json").read_text())


def check(out, expected: dict, summary) -> None:
    failures = pd.read_csv(out / "failures.csv")
    done = {p.stem: json.loads(p.read_text()) for p in (out / "calls").glob("*.json")}
    for call_id, exp in expected.items():
        rows = failures[failures["call_id"] == call_id]
        if exp["outcome"] == "failed":
            assert len(rows) == 1 and call_id not in done, f"{call_id} should fail"
            message = rows.iloc[0]["message"]
            assert exp["phrase"] in message, f"{call_id}: {message}"
            name = str(rows.iloc[0]["path"]).rsplit("/", 1)[-1]
            assert (name and name != "nan" and name in message) or " line " in message, f"{call_id}: the message must name the file: {message}"
            continue
        assert call_id in done, f"{call_id} should complete: {rows['message'].tolist()}"
        doc = done[call_id]
        if exp.get("duplicate_rejected"):
            assert len(rows) == 1 and "Duplicate call_id" in rows.iloc[0]["message"]
        else:
            assert rows.empty, f"{call_id}: {rows['message'].tolist()}"
        if exp.get("warning"):
            assert any(exp["phrase"] in w for w in doc["warnings"]), f"{call_id}: {doc['warnings']}"
        if "turns" in exp:
            assert len(doc["turns"]) == exp["turns"]
        if "turns_at_most" in exp:
            assert len(doc["turns"]) <= exp["turns_at_most"]
        if "mode" in exp:
            assert doc["source"]["mode"] == exp["mode"]
        if "duration_s" in exp:
            assert abs(doc["duration_s"] - exp["duration_s"]) < 1.0


def test_bad_inputs_folder_batch_every_kind_clear_and_good_calls_complete(corpus, cpu_options):
    from callqa.pipeline import analyze_batch

    root, expected = corpus
    out = root / "out"
    summary = analyze_batch(root / "inputs", out, cpu_options)
    print({k: v["outcome"] for k, v in expected["inputs"].items()})
    assert len(expected["inputs"]) + len(expected["manifest"]) >= 25
    check(out, expected["inputs"], summary)
    assert summary.failed == sum(1 for e in expected["inputs"].values() if e["outcome"] == "failed") + 1  # + the duplicate


def test_bad_inputs_manifest_rows(corpus):
    from callqa.pipeline import analyze_batch

    root, expected = corpus
    out = root / "out_manifest"
    summary = analyze_batch([], out, manifest=root / "manifest" / "calls.csv")
    check(out, expected["manifest"], summary)


def test_bad_inputs_empty_manifest_is_one_clear_error(corpus):
    root, _ = corpus
    proc = subprocess.run(
        [sys.executable, "-m", "callqa.cli", "score", "--manifest", str(root / "manifest" / "empty.csv"), str(root), "--out", str(root / "o")],
        capture_output=True, text=True,
    )
    assert proc.returncode == 2
    assert "empty.csv: missing column(s) ['call_id', 'path']" in proc.stderr
