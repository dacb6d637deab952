import json
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from callqa.cli import app

runner = CliRunner()
HEAVY = ("torch", "faster_whisper", "spacy", "ctranslate2", "whisper", "resemblyzer", "sklearn", "pandas")


def test_cli_help_imports_no_heavy_library():
    code = (
        "import sys\n"
        "from callqa.cli import app\n"
        "try:\n    app(['--help'])\nexcept SystemExit:\n    pass\n"
        f"print([m for m in {HEAVY!r} if m in sys.modules])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "[]"


@pytest.mark.parametrize("command", [[], ["transcribe"], ["analyze"], ["models"], ["models", "list"], ["models", "verify"], ["models", "convert"], ["score"], ["train"], ["evaluate"], ["agents"], ["teams"], ["report"], ["version"]])
def test_cli_every_command_has_help(command):
    result = runner.invoke(app, command + ["--help"])
    assert result.exit_code == 0, result.output
    assert "Usage" in result.output


def test_cli_analyze_transcripts_and_summary(tmp_path, text_transcript):
    out = tmp_path / "out"
    result = runner.invoke(app, ["analyze", str(text_transcript), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "1 call(s) done, 0 failed" in result.output
    assert json.loads((out / "calls" / "call-7.json").read_text())["turns"][0]["speaker"] == "agent"


def test_cli_failed_call_sets_exit_code(tmp_path, text_transcript):
    bad = tmp_path / "bad.wav"
    bad.write_text("x")
    result = runner.invoke(app, ["analyze", str(text_transcript), str(bad), "--out", str(tmp_path / "o")])
    assert result.exit_code == 1
    assert "1 failed" in result.output and "bad.wav" in result.output


def test_cli_known_errors_are_one_clean_line(tmp_path):
    manifest = tmp_path / "calls.csv"
    manifest.write_text("call_id,agent_id\nc1,A\n")
    proc = subprocess.run(
        [sys.executable, "-m", "callqa.cli", "analyze", str(tmp_path), "--manifest", str(manifest), "--out", str(tmp_path / "o")],
        capture_output=True, text=True,
    )
    assert proc.returncode == 2
    assert proc.stderr.strip() == (
        f"callqa: error: {manifest}: missing column(s) ['path']; the header must include call_id and path. "
        "Got ['call_id', 'agent_id']."
    )


def test_cli_missing_input_is_a_recorded_failure_not_a_crash(tmp_path, text_transcript):
    proc = subprocess.run(
        [sys.executable, "-m", "callqa.cli", "score", str(text_transcript), str(tmp_path / "nowhere.txt"), "--out", str(tmp_path / "o")],
        capture_output=True, text=True,
    )
    assert proc.returncode == 1
    assert "no such file or folder" in proc.stderr and "1 call(s) done, 1 failed" in " ".join(proc.stderr.split())
    assert "nowhere" in (tmp_path / "o" / "failures.csv").read_text()


def test_cli_models_list_json():
    result = runner.invoke(app, ["models", "list", "--json"])
    rows = json.loads(result.output)
    assert {r["name"] for r in rows} == {"base", "tiny.en"}
    assert all(len(r["sha256"]) == 64 for r in rows)
