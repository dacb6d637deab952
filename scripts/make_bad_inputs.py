"""Generate the bad-input corpus: files a real overnight batch meets, each with the outcome callqa must give.

Usage: python scripts/make_bad_inputs.py OUT_DIR [--jfk tests/data/faster-whisper/jfk.flac] [--long-hours 3]

Writes OUT_DIR/inputs/ (a folder batch), OUT_DIR/manifest/ (a manifest with bad rows) and OUT_DIR/expected.json:
for every kind, whether the call must fail (with a phrase its message must contain, besides the file name) or
complete (optionally with a warning or a mode). Nothing here is committed; tests generate it afresh.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import struct
from pathlib import Path

import numpy as np

from callqa.audio import load_audio, save_audio, to_pcm16

SR = 16000


def wav_bytes(samples: np.ndarray, rate: int = SR, channels: int = 1, fmt: int = 1) -> bytes:
    pcm = to_pcm16(samples).astype("<i2").tobytes()
    header = b"RIFF" + struct.pack("<I", 36 + len(pcm)) + b"WAVE"
    header += b"fmt " + struct.pack("<IHHIIHH", 16, fmt, channels, rate, rate * channels * 2, channels * 2, 16)
    return header + b"data" + struct.pack("<I", len(pcm)) + pcm


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    root = Path(__file__).resolve().parent.parent
    parser.add_argument("out", type=Path)
    parser.add_argument("--jfk", type=Path, default=root / "tests" / "data" / "faster-whisper" / "jfk.flac")
    parser.add_argument("--long-hours", type=float, default=3.0, help="length of the generated long recording")
    args = parser.parse_args()
    inp = args.out / "inputs"
    man = args.out / "manifest"
    for d in (inp, man):
        shutil.rmtree(d, ignore_errors=True)
        d.mkdir(parents=True)
    rng = np.random.default_rng(5)
    jfk = load_audio(args.jfk).samples[0]
    expected: dict[str, dict] = {}

    def expect(call_id: str, outcome: str, phrase: str = "", **more) -> None:
        expected[call_id] = {"outcome": outcome, "phrase": phrase, **more}

    good = "Agent: Thank you for calling Acme, how can I help?\nCustomer: My bill is wrong.\nAgent: I've corrected it.\nCustomer: Great, thanks.\n"
    (inp / "good_call.txt").write_text(good, encoding="utf-8")
    expect("good_call", "done")
    save_audio(inp / "good_audio.flac", jfk, SR)
    expect("good_audio", "done")

    (inp / "empty.wav").write_bytes(b"")
    expect("empty", "failed", "cannot be opened as audio")
    (inp / "zero_length.wav").write_bytes(wav_bytes(np.zeros(0)))
    expect("zero_length", "failed", "no audio could be read")
    save_audio(args.out / "full.flac", jfk, SR)
    data = (args.out / "full.flac").read_bytes()
    (inp / "truncated.flac").write_bytes(data[: len(data) // 2])
    expect("truncated", "done", "decoding stopped early", warning=True)
    ok = bytearray(wav_bytes(jfk))
    ok[0:12] = b"JUNKJUNKJUNK"
    (inp / "corrupt_header.wav").write_bytes(bytes(ok))
    expect("corrupt_header", "failed", "cannot be opened as audio")
    (inp / "text_named.wav").write_text("this is a text file, not a recording\n")
    expect("text_named", "failed", "cannot be opened as audio")
    (inp / "image.wav").write_bytes(b"\x89PNG\r\n\x1a\n" + rng.bytes(4096))
    expect("image", "failed", "no audio stream")
    (inp / "silence.wav").write_bytes(wav_bytes(np.zeros(SR * 15)))
    expect("silence", "done", "no speech was recognised", warning=True, turns=0)
    (inp / "noise.wav").write_bytes(wav_bytes(rng.normal(0, 0.1, SR * 15)))
    expect("noise", "done", turns_at_most=1)
    (inp / "one_second.wav").write_bytes(wav_bytes(jfk[:SR]))
    expect("one_second", "done")
    save_audio(inp / "telephone_8k.wav", jfk[::2], 8000)
    expect("telephone_8k", "done", mode="mono")
    (inp / "six_channels.wav").write_bytes(wav_bytes(np.repeat(jfk[: SR * 2], 6), channels=6))
    expect("six_channels", "failed", "has 6 channels")
    save_audio(inp / "dead_channel.wav", np.stack([jfk, np.zeros_like(jfk)]), SR)
    expect("dead_channel", "done", "channel is silent", warning=True, mode="single_channel")
    (inp / "unknown_codec.wav").write_bytes(wav_bytes(jfk[: SR * 2], fmt=0x1234))
    expect("unknown_codec", "failed", "codec is not one FFmpeg can decode")
    unreadable = inp / "unreadable.wav"
    unreadable.write_bytes(wav_bytes(jfk[: SR * 2]))
    os.chmod(unreadable, 0)
    # root reads anything: then this one completes
    expect("unreadable", "done" if os.geteuid() == 0 else "failed", "" if os.geteuid() == 0 else "permission denied")
    (inp / "loop").mkdir()
    os.symlink("..", inp / "loop" / "back_to_parent")
    (inp / "call with spaces & ümlaut ✓.txt").write_text(good, encoding="utf-8")
    expect("call with spaces & ümlaut ✓", "done")
    (inp / "-starts-with-dash.txt").write_text(good, encoding="utf-8")
    expect("-starts-with-dash", "done")
    (inp / "a").mkdir()
    (inp / "b").mkdir()
    (inp / "a" / "dup.txt").write_text(good, encoding="utf-8")
    (inp / "b" / "dup.txt").write_text(good, encoding="utf-8")
    expect("dup", "done", duplicate_rejected=True)
    (inp / "empty_transcript.txt").write_text("")
    expect("empty_transcript", "failed", "has no turns")
    (inp / "unknown_speaker.txt").write_text("Agent: hello\nNarrator: once upon a time\n")
    expect("unknown_speaker", "failed", "unknown speaker 'Narrator'")
    (inp / "huge_turn.txt").write_text("Agent: Hello, how can I help?\nCustomer: " + "my router keeps dropping " * 5000 + "\n")
    expect("huge_turn", "done")
    (inp / "invalid_utf8.txt").write_bytes(b"Agent: caf\xe9 \xff\xfe\n")
    expect("invalid_utf8", "failed", "not valid UTF-8")
    (inp / "wrong_json.json").write_text('{"calls": []}')
    expect("wrong_json", "failed", "expected an object with a 'turns' list")
    long_path = inp / "three_hours.wav"
    with open(long_path, "wb") as f:  # written in pieces: never the whole recording in memory here
        n = int(args.long_hours * 3600 * 8000)
        f.write(wav_bytes(np.zeros(0), rate=8000)[:-4] + struct.pack("<I", n * 2))
        f.seek(4)
        f.write(struct.pack("<I", 36 + n * 2))
        f.seek(0, 2)
        chunk = np.zeros(8000 * 60, dtype="<i2").tobytes()
        for _ in range(n // (8000 * 60)):
            f.write(chunk)
    expect("three_hours", "done", "no speech was recognised", warning=True, turns=0, duration_s=args.long_hours * 3600)

    # manifest problems, row by row
    (man / "good.txt").write_text(good, encoding="utf-8")
    (man / "calls.csv").write_text(
        "call_id,path,agent_id,team,started_at,agent_channel\n"
        "m_ok,good.txt,A-1,T,2026-10-01T09:00:00,auto\n"
        "m_missing_path,,A-1,T,,auto\n"
        "m_no_file,nowhere.wav,A-1,T,,auto\n"
        "m_bad_channel,good.txt,A-1,T,,sideways\n"
        "m_bad_date,good.txt,A-1,T,31/02/2026,auto\n"
        "m_ok,good.txt,A-1,T,,auto\n",
        encoding="utf-8",
    )
    manifest_expected = {
        "m_ok": {"outcome": "done", "duplicate_rejected": True},
        "m_missing_path": {"outcome": "failed", "phrase": "call_id and path must not be empty"},
        "m_no_file": {"outcome": "failed", "phrase": "file not found"},
        "m_bad_channel": {"outcome": "failed", "phrase": "agent_channel must be one of"},
        "m_bad_date": {"outcome": "failed", "phrase": "not an ISO 8601"},
    }
    (man / "empty.csv").write_text("")
    (args.out / "full.flac").unlink()
    (args.out / "expected.json").write_text(json.dumps({"inputs": expected, "manifest": manifest_expected}, indent=1, ensure_ascii=False))
    print(f"{len(expected)} folder kinds, {len(manifest_expected)} manifest kinds, plus an empty manifest, in {args.out}")


if __name__ == "__main__":
    main()
