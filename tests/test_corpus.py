"""The labelled corpus is built from its authoring source, and a bad source leaves it as it was; labelled calls are
read as people write the guide, and a bad one is refused naming the file and the field."""

from __future__ import annotations

import subprocess
import sys

import pytest
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


def _labelled(call_id="x-1", **labels):
    return {
        "call_id": call_id,
        "turns": [
            {"speaker": "agent", "text": "Thanks for calling, how can I help?", "phase": "greeting", "acts": ["greeting"]},
            {"speaker": "customer", "text": "It works now, thanks.", "phase": "closing", "acts": ["resolution_confirmed", "thanks"]},
        ],
        "labels": {"resolution": "resolved", "offer_timing": "none", "pressure": 1, "rapport": 4, "escalated": False, **labels},
    }


def test_labelled_calls_are_read_as_people_write_the_guide(tmp_path):
    import json

    from callqa.nlp.corpus import load_labelled

    loose = _labelled("x-1", resolution="Resolved", offer_timing="after-resolution", pressure="2", rapport=4.0, escalated="no", wow_moment="Yes")
    loose["turns"][0].update(speaker="Agent", phase="Greeting", acts="greeting, personal name")
    loose["turns"][1].update(speaker="Caller")
    (tmp_path / "one.json").write_text(json.dumps(loose), encoding="utf-8-sig")  # with a byte-order mark
    (tmp_path / "two.json").write_text(json.dumps([_labelled("x-2"), {**_labelled(), "call_id": None}]), encoding="utf-8")
    calls = load_labelled(tmp_path)
    assert [c.call_id for c in calls] == ["x-1", "x-2", "two-1"]
    first = calls[0]
    assert (first.turns[0].speaker, first.turns[0].phase, first.turns[0].acts) == ("agent", "greeting", ("greeting", "personal_name"))
    assert first.turns[1].speaker == "customer"
    assert {k: first.labels[k] for k in ("resolution", "offer_timing", "pressure", "rapport", "escalated", "wow_moment")} == {
        "resolution": "resolved", "offer_timing": "after_resolution", "pressure": 2, "rapport": 4, "escalated": False, "wow_moment": True,
    }


@pytest.mark.parametrize(
    "change, words",
    [
        (lambda d: d["turns"][1].pop("text"), ["turn 1", "text"]),
        (lambda d: d["turns"][0].update(acts=["greting"]), ["turn 0", "greting"]),
        (lambda d: d["turns"][0].update(phase="hello"), ["turn 0", "phase", "hello"]),
        (lambda d: d["turns"][0].update(speaker="bot"), ["turn 0", "speaker"]),
        (lambda d: d["turns"][0].update(start="0:03"), ["turn 0", "start"]),
        (lambda d: d["turns"][0].update(start=9.0, end=2.5), ["turn 0", "ends (2.5) before it starts (9.0)"]),
        (lambda d: d["labels"].update(pressure=7), ["pressure", "1 to 5"]),
        (lambda d: d["labels"].update(rapport=True), ["rapport"]),
        (lambda d: d["labels"].update(resolution="fixed"), ["resolution", "fixed", "partial"]),
        (lambda d: d["labels"].update(escalated="maybe"), ["escalated", "maybe"]),
        (lambda d: d.update(turns=[]), ["turns"]),
        (lambda d: d.update(labels=[1]), ["labels"]),
    ],
)
def test_a_bad_labelled_call_is_refused_naming_file_and_field(tmp_path, change, words):
    import json

    from callqa.errors import InputError
    from callqa.nlp.corpus import load_labelled

    doc = _labelled()
    change(doc)
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(InputError) as e:
        load_labelled(tmp_path)
    assert str(path) in str(e.value) and all(w in str(e.value) for w in words), str(e.value)


def test_a_file_that_is_not_a_call_is_refused(tmp_path):
    from callqa.errors import InputError
    from callqa.nlp.corpus import load_labelled

    (tmp_path / "a.json").write_text('["not a call"]', encoding="utf-8")
    with pytest.raises(InputError, match="a.json.*JSON object"):
        load_labelled(tmp_path)


def test_every_problem_in_a_folder_of_labelled_calls_is_named_at_once(tmp_path):
    import json

    from callqa.errors import InputError
    from callqa.nlp.corpus import load_labelled

    good, two_turns, bad_label = _labelled(), _labelled(), _labelled()
    two_turns["turns"][0]["phase"] = None
    two_turns["turns"][1]["acts"] = ["greting"]
    bad_label["labels"].update(pressure=9, wow_moment="perhaps")
    for name, doc in (("a.json", good), ("b.json", two_turns), ("c.json", bad_label)):
        (tmp_path / name).write_text(json.dumps(doc), encoding="utf-8")
    (tmp_path / "d.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(InputError) as e:
        load_labelled(tmp_path)
    lines = str(e.value).splitlines()
    assert lines[0] == f"{tmp_path}: 5 problems in labelled calls (docs/ANNOTATION.md):"
    assert [line.split(":")[0].strip() for line in lines[1:]] == [
        f"{tmp_path / 'b.json'} turn 0", f"{tmp_path / 'b.json'} turn 1", f"{tmp_path / 'c.json'}", f"{tmp_path / 'c.json'}", f"{tmp_path / 'd.json'}"
    ]
    assert "label pressure is 9" in lines[3] and "label wow_moment is 'perhaps'" in lines[4]


def test_corpus_build_keeps_every_product_of_a_turn_that_pitches_two_and_refuses_a_repeated_act(tmp_path):
    import json

    src, out = tmp_path / "src", tmp_path / "out"
    src.mkdir()
    two = CALL.format(call_id="tr-x-1").replace("offer_timing: none", "offer_timing: after_resolution") + (
        "A of offer{fibre upgrade} offer{tv bundle} press | While you're here, faster fibre and a tv bundle, today only?\n"
        "C of dec | No thanks.\n"
    )
    (src / "train-a.calls").write_text(two, encoding="utf-8")
    proc = _build(src, out)
    assert proc.returncode == 0, proc.stderr
    call = json.loads((out / "train" / "tr-x-1.json").read_text(encoding="utf-8"))
    assert call["turns"][4]["acts"] == ["offer", "pressure_tactic"]
    assert call["labels"]["offers"] == [
        {"turn": 4, "product": "fibre upgrade", "response": "declined"},
        {"turn": 4, "product": "tv bundle", "response": "declined"},
    ]
    (src / "train-a.calls").write_text(CALL.format(call_id="tr-x-1").replace("rconf thanks bye", "rconf thanks thanks bye"), encoding="utf-8")
    proc = _build(src, out)
    assert proc.returncode != 0 and "train-a.calls" in proc.stderr and "'thanks' given twice" in proc.stderr
    assert json.loads((out / "train" / "tr-x-1.json").read_text(encoding="utf-8"))["labels"]["offers"][1]["product"] == "tv bundle"
    (src / "train-a.calls").write_text(two.replace("C of dec | No thanks.", "C of dec{fibre upgrade} | No thanks."), encoding="utf-8")
    proc = _build(src, out)
    assert proc.returncode != 0 and "only an offer names a product in braces, not 'dec'" in proc.stderr
    assert json.loads((out / "train" / "tr-x-1.json").read_text(encoding="utf-8"))["labels"]["offers"][1]["product"] == "tv bundle"
