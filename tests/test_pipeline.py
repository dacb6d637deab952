"""Batches end to end: outputs, tables, schema, manifest extras, and failures that do not stop the batch."""

from __future__ import annotations

import json
import shutil

import pandas as pd
import pytest

from callqa.report.tables import read_calls
from callqa.pipeline import analyze_batch, transcribe_call
from callqa.schema import validate_call


def test_pipeline_text_and_json_transcripts_skip_transcription(tmp_path, text_transcript):
    doc = {
        "call_id": "tel-007", "agent_id": "A-tel-2", "team": "T-east", "date": "2026-10-14",
        "turns": [{"speaker": "agent", "text": "Hello, Acme."}, {"speaker": "customer", "text": "Hi."}],
    }
    js = tmp_path / "tel-007.json"
    js.write_text(json.dumps(doc), encoding="utf-8")
    out = tmp_path / "out"
    summary = analyze_batch([text_transcript, js], out)
    assert summary.done == 2 and summary.failed == 0 and summary.audio_seconds == 0
    docs = {d["call_id"]: d for d in read_calls(out)}
    assert docs["tel-007"]["agent_id"] == "A-tel-2" and docs["tel-007"]["started_at"] == "2026-10-14"
    assert docs["call-7"]["engine"] is None and docs["call-7"]["source"]["mode"] == "transcript"
    for d in docs.values():
        validate_call(d)


def test_pipeline_bad_inputs_are_recorded_and_good_calls_complete(tmp_path, text_transcript):
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(text_transcript, folder / "good.txt")
    (folder / "broken.wav").write_text("not audio at all")
    (folder / "nobody.txt").write_text("Narrator: once upon a time\n")
    out = tmp_path / "out"
    summary = analyze_batch(folder, out)
    assert summary.done == 1 and summary.failed == 2
    failures = pd.read_csv(out / "failures.csv")
    assert set(failures["call_id"]) == {"broken", "nobody"}
    assert failures.set_index("call_id").loc["broken", "message"].startswith(str(folder / "broken.wav"))
    assert "unknown speaker 'Narrator'" in failures.set_index("call_id").loc["nobody", "message"]
    assert list(pd.read_csv(out / "calls.csv")["call_id"]) == ["good"]


def test_pipeline_fail_fast_raises(tmp_path):
    (tmp_path / "broken.wav").write_text("x")
    from callqa.errors import AudioDecodeError

    with pytest.raises(AudioDecodeError, match="broken.wav"):
        analyze_batch(tmp_path / "broken.wav", tmp_path / "out", fail_fast=True)


def test_pipeline_schema_rejects_a_malformed_document(text_transcript):
    import jsonschema

    doc = transcribe_call(text_transcript).to_dict()
    validate_call(doc)
    doc["turns"][0]["speaker"] = "supervisor"
    with pytest.raises(jsonschema.ValidationError):
        validate_call(doc)


@pytest.mark.slow
def test_pipeline_analyze_audio_samples_writes_valid_outputs(analyzed_samples):
    """The README's main job on the bundled samples: every per-call JSON valid, tables complete, extras kept."""
    from conftest import SAMPLES

    summary, out = analyzed_samples
    manifest = pd.read_csv(SAMPLES / "calls.csv")
    assert summary.failed == 0 and summary.done == len(manifest)
    docs = read_calls(out)
    assert [d["call_id"] for d in docs] == sorted(manifest["call_id"])
    for d in docs:
        validate_call(d)
        assert d["engine"]["name"] == "faster-whisper" and d["engine"]["device"] == "cpu"
        assert d["turns"][0]["speaker"] == "agent", f"{d['call_id']}: the agent answers these calls"
        assert d["roles"]["agent_source"] == "left", f"{d['call_id']}: agent is on the left in every sample"
        assert d["extra"]["source"]
        assert set(d["scores"]) == {"rapport", "resolution", "offer_timing", "cross_sell_pressure"}
        assert all(t["phase"] for t in d["turns"]) and d["phase_spans"]
    for table in (pd.read_csv(out / "calls.csv"), pd.read_parquet(out / "calls.parquet")):
        assert len(table) == len(manifest)
        assert {"call_id", "agent_id", "team", "started_at", "duration_s", "agent_source", "role_confidence", "source"} <= set(table.columns)
        assert table.set_index("call_id").loc["rushed_close", "team"] == "billing"
    assert not (out / "failures.csv").exists()


def test_pipeline_bad_manifest_rows_and_unknown_files_do_not_stop_the_batch(tmp_path, text_transcript):
    import shutil

    shutil.copy(text_transcript, tmp_path / "good.txt")
    shutil.copy(text_transcript, tmp_path / "good2.txt")
    (tmp_path / "calls.csv").write_text(
        "call_id,path,agent_channel,started_at\n"
        "ok,good.txt,auto,2026-10-01\n"
        "badchan,good.txt,center,\n"
        "baddate,good.txt,auto,yesterday\n"
        "missing,nowhere.txt,auto,\n"
        "ok,good2.txt,auto,\n",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    summary = analyze_batch([], out, manifest=tmp_path / "calls.csv")
    assert summary.done == 1 and summary.failed == 4
    failures = pd.read_csv(out / "failures.csv").set_index("call_id")
    assert "agent_channel must be one of" in failures.loc["badchan", "message"]
    assert "not an ISO 8601" in failures.loc["baddate", "message"]
    assert "nowhere.txt" in failures.loc["missing", "message"]
    dup = failures.loc["ok"]
    assert dup["stage"] == "input" and "Duplicate call_id 'ok'" in dup["message"]
    assert set(failures.loc[["badchan", "baddate"], "stage"]) == {"input"}
