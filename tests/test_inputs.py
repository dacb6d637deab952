import json

import pytest

from callqa.errors import InputError, ManifestError, TranscriptFormatError
from callqa.inputs import discover, read_manifest, read_transcript


def write(path, text):
    path.write_text(text, encoding="utf-8")
    return path


def test_inputs_text_transcript_roles_case_insensitive(text_transcript):
    turns = read_transcript(text_transcript)
    assert [t.speaker for t in turns] == ["agent", "customer", "agent", "customer"]
    assert turns[1].text == "My router keeps dropping the connection."
    assert all(t.start is None for t in turns)


def test_inputs_text_transcript_unknown_speaker_names_file_and_line(tmp_path):
    p = write(tmp_path / "bad.txt", "Agent: hello\nSupervisor: hi\n")
    with pytest.raises(TranscriptFormatError, match=r"bad.txt line 2: unknown speaker 'Supervisor'"):
        read_transcript(p)


def test_inputs_text_transcript_wrapped_line_continues_turn(tmp_path):
    p = write(tmp_path / "wrap.txt", "Agent: hello there\nhow are you\nCustomer: fine\n")
    turns = read_transcript(p)
    assert turns[0].text == "hello there how are you"
    assert len(turns) == 2


def test_inputs_json_transcript_with_and_without_times(tmp_path):
    doc = {"turns": [{"speaker": "Agent", "text": "Hi", "start": 0.0, "end": 1.2}, {"speaker": "customer", "text": "Hello"}]}
    turns = read_transcript(write(tmp_path / "c.json", json.dumps(doc)))
    assert turns[0].speaker == "agent" and turns[0].end == 1.2
    assert turns[1].start is None


@pytest.mark.parametrize(
    "content, message",
    [
        ("{not json", "invalid JSON"),
        ('{"turns": [{"speaker": "agent"}]}', "needs 'speaker' and 'text'"),
        ('{"turns": []}', "has no turns"),
        ('{"turns": [{"speaker": "agent", "text": "x", "start": "zero"}]}', "must be a number"),
        ('{"turns": [{"speaker": "agent", "text": "x", "start": true}]}', "turn 0 start must be a number"),
        ('{"turns": [{"speaker": "agent", "text": "x", "end": NaN}]}', "turn 0 end must be a number"),
        ('{"turns": [{"speaker": "agent", "text": "x", "start": -2.0}]}', "turn 0 start must be a number of seconds \\(0 or more\\)"),
        ('{"turns": [{"speaker": "agent", "text": "x", "start": 5.0, "end": 4.0}]}', "turn 0 ends \\(4.0\\) before it starts \\(5.0\\)"),
        ('{"turns": [{"speaker": "agent", "text": null}]}', "turn 0 text must be a string"),
        ('[{"turns": [{"speaker": "agent", "text": "x"}]}, {"turns": []}]', "list of 2 calls"),
    ],
)
def test_inputs_json_transcript_errors(tmp_path, content, message):
    with pytest.raises(TranscriptFormatError, match=message):
        read_transcript(write(tmp_path / "bad.json", content))


def test_inputs_invalid_utf8_is_reported(tmp_path):
    p = tmp_path / "latin.txt"
    p.write_bytes("Agent: caf\xe9\n".encode("latin-1"))
    with pytest.raises(TranscriptFormatError, match="not valid UTF-8"):
        read_transcript(p)


def test_inputs_manifest_reads_fields_and_extra_columns(tmp_path):
    (tmp_path / "a.wav").write_bytes(b"")
    m = write(
        tmp_path / "calls.csv",
        "call_id,path,agent_id,team,started_at,agent_channel,queue\n"
        "c1,a.wav,A-1,blue,2026-10-14T09:00:00,left,billing\n"
        "c2,b.txt,,,,,\n",
    )
    calls = read_manifest(m)
    assert calls[0].agent_id == "A-1" and calls[0].team == "blue" and calls[0].agent_channel == "left"
    assert calls[0].extra == {"queue": "billing"}
    assert calls[0].path == str(tmp_path / "a.wav")
    assert calls[1].kind == "transcript" and calls[1].agent_channel == "auto" and calls[1].agent_id is None


@pytest.mark.parametrize(
    "body, message",
    [
        ("call_id,path,agent_channel\nc1,a.wav,center\n", "agent_channel must be one of"),
        ("call_id,path,started_at\nc1,a.wav,yesterday\n", "not an ISO 8601"),
        ("call_id,agent_id\nc1,A\n", "missing column"),
        ("call_id,path\n", "no calls"),
        ("call_id,path\nc1,a.wav\nc1,b.wav\n", "Duplicate call_id 'c1'"),
        ("call_id,path\nc1,\n", "must not be empty"),
        ("call_id,path\nc1,notes.docx\n", "not an audio file or transcript"),
    ],
)
def test_inputs_manifest_errors_name_the_problem(tmp_path, body, message):
    m = write(tmp_path / "calls.csv", body)
    with pytest.raises(ManifestError, match=message):
        read_manifest(m)


def test_inputs_discover_walks_folders_and_rejects_duplicates(tmp_path):
    (tmp_path / "x").mkdir()
    (tmp_path / "y").mkdir()
    write(tmp_path / "x" / "one.txt", "Agent: hi\n")
    write(tmp_path / "x" / "README.md", "not a call")
    write(tmp_path / "y" / "two.json", '{"turns": []}')
    calls = discover([tmp_path])
    assert [c.call_id for c in calls] == ["one", "two"]
    write(tmp_path / "y" / "one.txt", "Agent: hi\n")
    with pytest.raises(InputError, match="Duplicate call_id 'one'"):
        discover([tmp_path])


def test_inputs_discover_rejects_unknown_file_type(tmp_path):
    p = write(tmp_path / "notes.docx", "x")
    with pytest.raises(InputError, match="unsupported file type '.docx'"):
        discover([p])
    with pytest.raises(InputError, match="no such file"):
        discover([tmp_path / "missing.wav"])
