"""Build audio_samples/: the real auto-repair call as one stereo file, and synthetic calls spoken by espeak-ng.

Usage:
    python scripts/make_sample_audio.py --auto-repair-dir PATH_TO_AUTO_REPAIR_WAVS [--out audio_samples]

The synthetic calls are scripted dialogues covering what the later stages must tell apart (a clean resolution,
an offer after the problem is solved, offers pushed while it is still open, offers fired into the goodbye).
Each side is a different espeak-ng voice on its own channel, with natural gaps, one interruption, and
8 kHz telephone bandwidth. Requires the espeak-ng program (Debian package espeak-ng).
"""

from __future__ import annotations

import argparse
import csv
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np
from scipy.signal import butter, resample_poly, sosfilt

from callqa.audio import SAMPLE_RATE, load_audio, save_audio

VOICES = {"agent": ("en-us+m3", 165), "customer": ("en-gb+f3", 150)}
ALT_VOICES = {"agent": ("en-gb+m1", 170), "customer": ("en-us+f2", 160)}

# (speaker, text, gap before in seconds; negative = starts before the other side finishes)
CALLS: dict[str, dict] = {
    "clean_resolution": {
        "voices": VOICES, "format": ".ogg", "agent_id": "A-101", "team": "billing", "started_at": "2026-11-02T09:14:00",
        "script": [
            ("agent", "Thank you for calling Northwind Energy, my name is Sam. How can I help you today?", 0.3),
            ("customer", "Hi Sam. I'm calling because my last bill is twice what it normally is.", 0.6),
            ("agent", "I'm sorry to hear that, let's get it sorted. Can I have your account number please?", 0.5),
            ("customer", "Yes, it's four four seven one nine two.", 0.7),
            ("agent", "Thank you, Mrs Patel. I can see here the meter reading was estimated this month.", 0.9),
            ("customer", "Oh. I did send a reading, though.", 0.5),
            ("agent", "I've updated it with your reading and the bill is now forty two pounds, same as usual.", 0.8),
            ("customer", "Brilliant, that's sorted then. Thank you so much.", 0.6),
            ("agent", "You're welcome. Is there anything else I can help you with today?", 0.4),
            ("customer", "No, that's everything. Bye.", 0.5),
            ("agent", "Have a lovely day. Goodbye.", 0.3),
        ],
    },
    "offer_after_resolution": {
        "voices": ALT_VOICES, "format": ".mp3", "agent_id": "A-102", "team": "broadband", "started_at": "2026-11-03T11:02:00",
        "script": [
            ("agent", "Good morning, you're through to Skyline Broadband, this is Priya. What can I do for you?", 0.3),
            ("customer", "Hello. My internet keeps dropping every evening.", 0.6),
            ("agent", "That sounds frustrating. Could I take your postcode to find your line?", 0.5),
            ("customer", "It's L S six, four A B.", 0.7),
            ("agent", "Thanks. Let me run a line test. One moment.", 0.5),
            ("agent", "I found a fault on the exchange port and I've moved you to a new one. Could you restart your router?", 2.0),
            ("customer", "Okay, it's back on and the speed looks much better. Thanks.", 1.5),
            ("agent", "Great. Since you stream in the evenings, our faster fibre plan is only three pounds more a month. Would that be useful?", 0.6),
            ("customer", "Maybe, send me the details by email and I'll have a look.", 0.8),
            ("agent", "Will do. Anything else today?", 0.5),
            ("customer", "No, thank you, bye.", 0.4),
        ],
    },
    "offer_before_resolution": {
        "voices": VOICES, "format": ".m4a", "agent_id": "A-103", "team": "broadband", "started_at": "2026-11-03T15:40:00",
        "script": [
            ("agent", "Skyline Broadband, Dave speaking.", 0.3),
            ("customer", "Hi, I've had no internet for two days and I work from home. This is really not okay.", 0.6),
            ("agent", "Right. Have you thought about upgrading to our premium bundle? It comes with a free router.", 0.4),
            ("customer", "I don't want a bundle, I want my internet to work.", -0.6),
            ("agent", "Sure, but the premium bundle is half price only today, you'd be mad to miss it.", 0.4),
            ("customer", "No. Can you just fix the connection please?", 0.5),
            ("agent", "I'll book an engineer for Thursday.", 0.9),
            ("customer", "Thursday? Fine. Whatever.", 0.7),
            ("agent", "Bye then.", 0.3),
        ],
    },
    "rushed_close": {
        "voices": ALT_VOICES, "format": ".wav", "agent_id": "A-104", "team": "billing", "started_at": "2026-11-04T10:20:00",
        "script": [
            ("agent", "Thank you for calling Northwind Energy, this is Lee, how may I help?", 0.3),
            ("customer", "Hi, I just need to update my direct debit date to the fifteenth.", 0.6),
            ("agent", "Of course. For security, can I confirm your date of birth?", 0.5),
            ("customer", "Third of May, nineteen eighty.", 0.6),
            ("agent", "Thanks. Done, your direct debit now comes out on the fifteenth.", 1.2),
            ("customer", "Perfect, that's all I needed, thanks, I have to run.", 0.5),
            ("agent", "Before you go, can I interest you in boiler cover, and smart home insurance, and our green tariff?", 0.2),
            ("customer", "No thanks, I really have to go.", -0.3),
            ("agent", "It's just five pounds a month for the boiler cover, shall I add it?", 0.2),
            ("customer", "No. Goodbye.", 0.4),
        ],
    },
}


def speak(text: str, voice: str, speed: int, workdir: Path) -> np.ndarray:
    out = workdir / "utt.wav"
    subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-w", str(out), text], check=True)
    return load_audio(out).samples[0]


def telephone(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Band-limit to 300-3400 Hz and add a little line noise, as a phone channel does."""
    sos = butter(4, [300, 3400], btype="band", fs=SAMPLE_RATE, output="sos")
    y = sosfilt(sos, x)
    return (y + rng.normal(0, 0.002, size=y.shape)).astype(np.float32)


def render_call(spec: dict, workdir: Path, rng: np.random.Generator) -> np.ndarray:
    pieces = []
    t = 0.5
    for speaker, text, gap in spec["script"]:
        voice, speed = spec["voices"][speaker]
        audio = speak(text, voice, speed, workdir) * 0.6
        start = max(0.0, t + gap)
        pieces.append((speaker, start, audio))
        t = max(t, start + audio.size / SAMPLE_RATE)
    n = int((t + 0.8) * SAMPLE_RATE)
    stereo = np.zeros((2, n), dtype=np.float32)
    for speaker, start, audio in pieces:
        ch = 0 if speaker == "agent" else 1
        a = int(start * SAMPLE_RATE)
        stereo[ch, a : a + audio.size] += audio
    return np.stack([telephone(stereo[0], rng), telephone(stereo[1], rng)])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--auto-repair-dir", type=Path, required=True, help="Folder with Auto_Repairs_40_UTC_{agent,caller}.wav")
    parser.add_argument("--out", type=Path, default=Path("audio_samples"))
    args = parser.parse_args()
    if shutil.which("espeak-ng") is None:
        raise SystemExit("espeak-ng is not installed (Debian: apt-get install espeak-ng).")
    args.out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(7)
    rows = []

    agent = load_audio(args.auto_repair_dir / "Auto_Repairs_40_UTC_agent.wav")
    caller = load_audio(args.auto_repair_dir / "Auto_Repairs_40_UTC_caller.wav")
    n = min(agent.samples.shape[1], caller.samples.shape[1])
    both = np.stack([agent.samples[0, :n], caller.samples[0, :n]])
    save_audio(args.out / "auto_repair_40.flac", resample_poly(both, 1, 2, axis=1), 8000)
    rows.append({"call_id": "auto_repair_40", "path": "auto_repair_40.flac", "agent_id": "A-201", "team": "service",
                 "started_at": "2026-11-05T13:30:00", "agent_channel": "auto", "source": "real (role-played), Apache-2.0"})

    with tempfile.TemporaryDirectory() as tmp:
        for call_id, spec in CALLS.items():
            stereo = render_call(spec, Path(tmp), rng)
            name = f"{call_id}{spec['format']}"
            save_audio(args.out / name, resample_poly(stereo, 1, 2, axis=1), 8000)
            rows.append({"call_id": call_id, "path": name, "agent_id": spec["agent_id"], "team": spec["team"],
                         "started_at": spec["started_at"], "agent_channel": "auto", "source": "synthetic (espeak-ng)"})
    with open(args.out / "calls.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    print(f"wrote {len(rows)} calls and calls.csv to {args.out}")


if __name__ == "__main__":
    main()
