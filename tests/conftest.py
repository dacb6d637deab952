"""Shared fixtures: paths to the real test audio, hand-built transcripts, and a small CPU engine."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from callqa.evaluation import read_stm

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
SAMPLES = ROOT / "audio_samples"

JFK_TEXT = "And so my fellow Americans, ask not what your country can do for you, ask what you can do for your country."
STEREO_LEFT_TEXT = "He began a confused complaint against the wizard, who had vanished behind the curtain on the left."
STEREO_RIGHT_TEXT = "The horizon seems extremely distant."


@pytest.fixture(scope="session")
def jfk_path() -> Path:
    return DATA / "faster-whisper" / "jfk.flac"


@pytest.fixture(scope="session")
def stereo_clip_path() -> Path:
    return DATA / "faster-whisper" / "stereo_diarization.wav"


@pytest.fixture(scope="session")
def pyannote_dir() -> Path:
    return DATA / "pyannote"


@pytest.fixture(scope="session")
def pyannote_reference_text(pyannote_dir) -> str:
    return " ".join(text for _, _, _, text in read_stm(str(pyannote_dir / "sample.stm")))


@pytest.fixture(scope="session")
def auto_repair_path() -> Path:
    return SAMPLES / "auto_repair_40.flac"


@pytest.fixture(scope="session")
def cpu_options():
    """The default model on the CPU, as CI runs it."""
    from callqa.pipeline import PipelineOptions
    from callqa.config import TranscribeOptions

    return PipelineOptions(transcribe=TranscribeOptions(device="cpu"))


@pytest.fixture
def text_transcript(tmp_path) -> Path:
    p = tmp_path / "call-7.txt"
    p.write_text(
        "Agent: Thank you for calling Acme, this is Jo. How can I help?\n"
        "CUSTOMER: My router keeps dropping the connection.\n"
        "agent: Let me check your line. Can I have your postcode?\n"
        "Customer: It's AB1 2CD.\n",
        encoding="utf-8",
    )
    return p


@pytest.fixture
def tone() -> np.ndarray:
    t = np.arange(16000 * 2) / 16000
    return (0.2 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)


@pytest.fixture(scope="session")
def synthetic_batch(tmp_path_factory):
    """scripts/make_synthetic_batch.py's calls, scored: a pushy agent, serving agents, a scripted and a curt one."""
    import subprocess
    import sys

    from callqa.pipeline import analyze_batch, score_call

    src = tmp_path_factory.mktemp("synthetic")
    subprocess.run([sys.executable, str(ROOT / "scripts" / "make_synthetic_batch.py"), str(src)], check=True, capture_output=True)
    out = tmp_path_factory.mktemp("synthetic_out")
    summary = analyze_batch(src, out, stage=score_call)
    assert summary.failed == 0
    return out


@pytest.fixture(scope="session")
def analyzed_samples(tmp_path_factory, cpu_options):
    """The README's main job: analyze on audio_samples with its manifest, report included (slow: real models)."""
    from callqa.pipeline import analyze_batch
    from callqa.report.html import build_report

    out = tmp_path_factory.mktemp("samples") / "results"
    summary = analyze_batch([], out, cpu_options, manifest=SAMPLES / "calls.csv")
    build_report(out)
    return summary, out
