"""PII redaction: spoken numbers, recall on the planted-PII set, every output redacted, scores unchanged, audio beeped."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from callqa.model import CallResult, Turn, Word
from callqa.redact import find_in_call, get_redactor, redact_audio, redact_result
from callqa.redact.spoken import digits_view

PLANTED = Path(__file__).resolve().parent / "data" / "pii" / "planted.jsonl"


@pytest.fixture(scope="module")
def planted() -> list[dict]:
    return [json.loads(line) for line in PLANTED.read_text(encoding="utf-8").splitlines()]


@pytest.mark.parametrize(
    "said, view",
    [
        ("four one one one one one one one one one one one one one one one", "4111111111111111"),
        ("4111 1111 1111 1111", "4111111111111111"),
        ("oh seven seven double oh nine oh oh one two three", "07700900123"),
        ("one two three, four five, six seven eight nine", "123456789"),
        ("nineteen eighty five", "1985"),
        ("about two hundred and fifty pounds", "about 250 pounds"),
        ("the twenty-third of march", "the twenty-third of march"),
        ("october 6, 1973", "october 6, 1973"),
        ("oh no it is one of those", "oh no it is 1 of those"),
        ("it costs 12.50 a month", "it costs 12.50 a month"),
    ],
)
def test_spoken_numbers_become_digits(said, view):
    v = digits_view(said)
    assert v.text == view
    s, e = v.original(0, len(v.text))
    assert (s, e) == (0, len(said))


def test_planted_pii_recall_at_least_098(planted):
    """Every planted item must be covered by redaction (all its letters and digits); recall >= 0.98 overall."""
    redactor = get_redactor()
    found, total, typed = Counter(), Counter(), Counter()
    missed = []
    for call in planted:
        turns = tuple(Turn(speaker=t["speaker"], text=t["text"]) for t in call["turns"])
        spans = find_in_call(turns, redactor)
        for item in call["pii"]:
            key = (item["type"], item["form"])
            total[key] += 1
            text = turns[item["turn"]].text
            covered = {i for s in spans[item["turn"]] for i in range(s.start, s.end)}
            if all(i in covered for i in range(item["start"], item["end"]) if text[i].isalnum()):
                found[key] += 1
                typed[key] += any(s.type == item["type"] and s.start < item["end"] and s.end > item["start"] for s in spans[item["turn"]])
            else:
                missed.append((item["type"], item["form"], text))
    recall = sum(found.values()) / sum(total.values())
    print(f"\nplanted PII: {sum(total.values())} items in {len(planted)} calls; recall {recall:.3f}; "
          f"right type {sum(typed.values()) / sum(total.values()):.3f}")
    for key in sorted(total):
        print(f"  {key[0]:<10} {key[1]:<8} {found[key]:>3}/{total[key]:<3}")
    for m in missed:
        print("  missed:", m)
    assert sum(total.values()) >= 300 and {k for k, _ in total} >= {"CARD", "SSN", "PHONE", "EMAIL", "DOB", "ACCOUNT", "POLICY", "POSTCODE", "ADDRESS", "NAME"}
    assert recall >= 0.98


@pytest.mark.parametrize(
    "text",
    [
        "i'm calling about my bill it's gone up by twenty pounds",
        "I've been a customer for 12 years and paid 250 dollars last month.",
        "The engineer can come on Monday between eight and one.",
        "this is ridiculous i'm frustrated",
        "It's two thousand pounds and the excess is one hundred and fifty.",
        "Your data allowance is 20 GB and it renews on the 3rd of each month.",
    ],
)
def test_ordinary_talk_is_not_redacted(text):
    assert get_redactor().find(text) == []


@pytest.mark.parametrize(
    "lines, name",
    [
        (["C: yeah it's oh seven nine six one and it's priya raman", "A: thank you priya and just for security what's your postcode"], "priya"),
        (["A: thanks aoife what's happened with the bill"], "aoife"),
        # a name said to the listener, as the personal_name rule reads it, with no cue before it
        (["A: anything else today declan"], "declan"),
        (["A: right ciaran that's all sorted"], "ciaran"),
        (["A: bye now aisling"], "aisling"),
        (["A: Best of luck in Portland, Sofia."], "sofia"),
        # a company named like a person is not a name
        (["A: Hello, Arden Home Insurance, how can I help?"], "nobody"),
    ],
)
def test_names_said_to_the_listener_are_redacted_census_or_not(lines, name):
    """Irish, Indian and other first names that the 1990 US census list lacks are names too (first_names_world.txt),
    and a name said to the listener is redacted wherever the personal_name rule would read one."""
    turns = tuple(Turn(speaker="agent" if line[0] == "A" else "customer", text=line[3:]) for line in lines)
    for turn, spans in zip(turns, find_in_call(turns, get_redactor())):
        said = {turn.text[s.start : s.end].lower() for s in spans if s.type == "NAME"}
        assert (name in turn.text.lower()) == any(name in w for w in said), (turn.text, said)
        assert "arden" not in said


def _write_transcripts(calls: list[dict], folder: Path) -> None:
    folder.mkdir(parents=True)
    for call in calls:
        body = {k: v for k, v in call.items() if k != "pii"}
        (folder / f"{call['call_id']}.json").write_text(json.dumps(body), encoding="utf-8")


def test_every_output_is_redacted_and_scores_do_not_change(planted, tmp_path):
    """Scored with and without redaction: the four scores agree within 2 points, and no planted value survives in
    any file the batch writes (per-call JSON text, words and quotes, calls.csv/parquet, agents/teams tables, HTML)."""
    from callqa.pipeline import PipelineOptions, analyze_batch, score_call
    from callqa.report.html import build_report

    calls = planted[:20]
    _write_transcripts(calls, tmp_path / "in")
    on, off = tmp_path / "on", tmp_path / "off"
    assert analyze_batch(tmp_path / "in", on, PipelineOptions(), stage=score_call).failed == 0
    assert analyze_batch(tmp_path / "in", off, PipelineOptions(redact=False), stage=score_call).failed == 0
    build_report(on)
    worst = 0.0
    for call in calls:
        a = json.loads((on / "calls" / f"{call['call_id']}.json").read_text(encoding="utf-8"))
        b = json.loads((off / "calls" / f"{call['call_id']}.json").read_text(encoding="utf-8"))
        assert a["redaction"]["applied"] and "redaction" not in b
        for name in ("rapport", "resolution", "offer_timing", "cross_sell_pressure"):
            x, y = a["scores"][name]["value"], b["scores"][name]["value"]
            worst = max(worst, abs((x or 0) - (y or 0)))
            assert (x is None) == (y is None)
        for item in call["pii"]:
            assert item["text"] in json.dumps(b, ensure_ascii=False)  # --no-redact keeps it
    print(f"\nlargest score change with redaction on: {worst:.1f} points over {len(calls)} calls x 4 scores")
    assert worst <= 2.0
    planted_values = {item["text"] for call in calls for item in call["pii"] if len(item["text"]) >= 5}
    written = [p for p in on.rglob("*") if p.is_file() and p.suffix in (".json", ".csv", ".html", ".parquet")]
    assert any(p.suffix == ".html" for p in written) and any(p.name == "calls.csv" for p in written)
    for path in written:
        content = path.read_bytes().decode("utf-8", errors="replace")
        leaked = [v for v in planted_values if v in content]
        assert not leaked, f"{path.relative_to(on)} still contains {leaked[:3]}"


def _timed_call(tmp_path: Path) -> CallResult:
    from callqa.audio import save_audio

    rate = 16000
    rng = np.random.default_rng(0)
    audio = (0.2 * rng.standard_normal(rate * 6)).astype(np.float32)
    path = tmp_path / "call.wav"
    save_audio(path, audio, rate)
    said = "my card is 4111 1111 1111 1111 thanks"
    words, t = [], 0.5
    for w in said.split():
        words.append(Word(t, t + 0.4, f" {w}", 0.9))
        t += 0.5
    turns = (
        Turn("agent", "Can I take the card number?", 0.0, 0.4, (Word(0.0, 0.4, " Can I take the card number?", 0.9),)),
        Turn("customer", said, 0.5, t, tuple(words)),
    )
    return CallResult("timed", {"path": str(path), "kind": "audio", "sample_rate": rate}, turns, duration_s=6.0)


def test_redacted_words_keep_times_and_audio_is_beeped(tmp_path):
    from callqa.audio import load_audio

    result = redact_result(_timed_call(tmp_path))
    customer = result.turns[1]
    assert customer.text == "my card is [CARD] thanks"
    assert [w.word for w in customer.words] == [" my", " card", " is", " [CARD]", " thanks"]
    span = result.redaction["spans"][0]
    assert span["type"] == "CARD" and span["turn"] == 1 and (span["start"], span["end"]) == (2.0, 3.9)
    out = redact_audio(result, tmp_path / "out" / "timed.flac")
    before = load_audio(result.source["path"]).samples[0]
    after = load_audio(out).samples[0]
    assert after.shape == before.shape
    rate = 16000
    inside = after[int(2.1 * rate) : int(3.8 * rate)]
    spectrum = np.abs(np.fft.rfft(inside))
    assert abs(np.argmax(spectrum) * rate / len(inside) - 1000) < 20  # the tone, not the speech
    assert np.sqrt(np.mean(inside**2)) < 0.05
    outside = slice(int(0.5 * rate), int(1.8 * rate))
    assert np.allclose(after[outside], before[outside], atol=2e-4)


def test_cli_redacts_by_default_and_no_redact_keeps_text(tmp_path):
    from typer.testing import CliRunner

    from callqa.cli import app

    src = tmp_path / "call.txt"
    src.write_text(
        "Agent: Thanks for calling, who am I speaking with?\nCustomer: It's Oksana Petrovic, my card is 4111 1111 1111 1111.\n"
        "Agent: Thank you Oksana, that's all sorted.\nCustomer: Great, bye.\n",
        encoding="utf-8",
    )
    runner = CliRunner()
    assert runner.invoke(app, ["score", str(src), "--out", str(tmp_path / "a")]).exit_code == 0
    redacted = (tmp_path / "a" / "calls" / "call.json").read_text(encoding="utf-8")
    assert "[NAME]" in redacted and "[CARD]" in redacted and "Oksana" not in redacted and "4111" not in redacted
    # the flag is part of the configuration: the same folder is redone, not skipped, when it changes
    assert runner.invoke(app, ["score", str(src), "--out", str(tmp_path / "a"), "--no-redact"]).exit_code == 0
    plain = (tmp_path / "a" / "calls" / "call.json").read_text(encoding="utf-8")
    assert "Oksana Petrovic" in plain and "4111 1111 1111 1111" in plain


def test_batch_writes_the_beeped_copy_next_to_the_results(stereo_clip_path, tmp_path):
    from callqa.pipeline import PipelineOptions, analyze_batch, transcribe_call
    from callqa.schema import validate_call

    options = PipelineOptions.from_any({"redact_audio": True, "transcribe": {"model": "tiny.en", "device": "cpu"}})
    assert analyze_batch([stereo_clip_path], tmp_path / "out", options, stage=transcribe_call).done == 1
    d = json.loads((tmp_path / "out" / "calls" / "stereo_diarization.json").read_text(encoding="utf-8"))
    validate_call(d)
    assert d["source"]["redacted_audio"] == "audio/stereo_diarization.flac"
    assert (tmp_path / "out" / "audio" / "stereo_diarization.flac").stat().st_size > 1000


def test_manifest_columns_carried_into_the_outputs_are_redacted(tmp_path):
    from callqa.pipeline import PipelineOptions, analyze_batch, score_call

    (tmp_path / "c1.txt").write_text("Agent: Hello, how can I help?\nCustomer: My bill is wrong.\nAgent: I've fixed it.\nCustomer: Thanks, bye.\n", encoding="utf-8")
    (tmp_path / "calls.csv").write_text(
        "call_id,path,agent_id,team,started_at,agent_channel,customer_phone,customer_name,queue\n"
        "c1,c1.txt,A-1,T-1,2026-11-02,auto,07700 900123,Jane Smith,billing\n",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    assert analyze_batch([], out, PipelineOptions(), manifest=tmp_path / "calls.csv", stage=score_call).done == 1
    d = json.loads((out / "calls" / "c1.json").read_text(encoding="utf-8"))
    assert d["extra"] == {"customer_phone": "[PHONE]", "customer_name": "[NAME]", "queue": "billing"}
    table = (out / "calls.csv").read_text(encoding="utf-8")
    assert "07700" not in table and "Jane" not in table and "billing" in table
