"""Turn building, crosstalk removal, hallucination guards and role decisions on hand-built input."""

import numpy as np

from callqa.config import TurnOptions
from callqa.model import Segment, Word
from callqa.speakers.roles import decide_roles
from callqa.speakers.turns import build_turns, drop_crosstalk, words_to_utterances
from callqa.transcribe.guard import guard_segments


def words(text: str, start: float, step: float = 0.3) -> list[Word]:
    return [Word(start + i * step, start + i * step + step * 0.9, f" {w}", 0.9) for i, w in enumerate(text.split())]


def test_turns_merge_same_speaker_and_keep_overlaps():
    agent = words("thanks for calling how can I help", 0.0) + words("one moment please", 5.0)
    customer = words("mm-hm", 1.0) + words("my bill is wrong", 3.0)
    utts = words_to_utterances("left", agent, 1.5) + words_to_utterances("right", customer, 1.5)
    turns = build_turns(utts, {"left": "agent", "right": "customer"}, TurnOptions(), {"left": 0, "right": 1})
    assert [t.speaker for t in turns] == ["agent", "customer", "agent"]
    # the backchannel overlaps the agent's first turn and stays with the customer's next words (gap < merge_gap_s)
    assert turns[1].start == 1.0 and turns[0].end > turns[1].start
    assert turns[1].text == "mm-hm my bill is wrong"
    assert turns[2].text == "one moment please" and turns[2].channel == 0


def test_turns_long_pause_splits_same_speaker():
    ws = words("hello", 0.0) + words("are you there", 10.0)
    utts = words_to_utterances("spk0", ws, 1.5)
    turns = build_turns(utts, {"spk0": "agent"}, TurnOptions(merge_gap_s=3.0))
    assert [t.text for t in turns] == ["hello", "are you there"]


def test_crosstalk_words_on_the_quiet_channel_are_dropped():
    sr = 16000
    loud = 0.3 * np.sin(2 * np.pi * 200 * np.arange(sr * 2) / sr)
    channels = np.stack([loud, loud * 0.01]).astype(np.float32)  # right hears left 40 dB down
    left = words("hello there", 0.2)
    right = words("hello there", 0.2) + words("yes", 1.5)
    kept, dropped = drop_crosstalk([left, right], channels, 12.0)
    assert [w.word for w in kept[0]] == [" hello", " there"]
    assert kept[1] == [] and dropped == 3


def seg(text: str, start: float, **kw) -> Segment:
    ws = tuple(words(text, start))
    return Segment(start=start, end=ws[-1].end, text=text, words=ws, **kw)


def test_guard_drops_words_over_silence_and_boilerplate():
    sr = 16000
    x = np.zeros(sr * 10, dtype=np.float32)
    x[: sr * 2] = 0.3 * np.sin(2 * np.pi * 200 * np.arange(sr * 2) / sr)
    x += np.random.default_rng(0).normal(0, 0.001, x.size).astype(np.float32)
    report = guard_segments(
        [seg("good morning", 0.1), seg("thank you for watching", 5.0), seg("hello hello", 7.0)], x
    )
    assert [s.text for s in report.segments] == ["good morning"]
    assert report.dropped_words == 6


def test_guard_collapses_repetition_loops_and_repeated_segments():
    sr = 16000
    x = (0.3 * np.sin(2 * np.pi * 200 * np.arange(sr * 30) / sr)).astype(np.float32)
    loop = seg("I am sorry " + "the the the the the the the " + "ok", 0.0)
    report = guard_segments([loop, seg("can you hear me", 10.0), seg("can you hear me", 12.0)], x)
    assert report.segments[0].text == "I am sorry the ok"
    assert len(report.segments) == 2


def test_guard_drops_repetitive_and_no_speech_segments():
    sr = 16000
    x = (0.3 * np.sin(2 * np.pi * 200 * np.arange(sr * 10) / sr)).astype(np.float32)
    report = guard_segments(
        [seg("a b c", 0.0, compression_ratio=3.1), seg("d e f", 2.0, no_speech_prob=0.9, avg_logprob=-1.5), seg("g h", 4.0)], x
    )
    assert [s.text for s in report.segments] == ["g h"]


def test_roles_agent_found_from_language_either_side():
    agent = "Thank you for calling Platinum Motors, I'm Michelle, how can I help you today? Could I have your last name?"
    customer = "Hi, I'm calling because my car's service light came on. Can you help?"
    d1 = decide_roles({"left": agent, "right": customer}, first_source="left")
    d2 = decide_roles({"left": customer, "right": agent}, first_source="left")
    assert d1.agent_source == "left" and d2.agent_source == "right"
    assert d1.confidence > 0.95 and d2.confidence > 0.9
    assert any(c["cue"] == "offers help" and c["source"] == "right" for c in d2.cues)


def test_roles_without_cues_fall_back_to_first_speaker_with_low_confidence():
    d = decide_roles({"spk0": "hello", "spk1": "hi there"}, first_source="spk1")
    assert d.agent_source == "spk1"
    assert 0.5 < d.confidence < 0.7
