"""Executors and cross-call batching: where and how calls run must not change what is written."""

from __future__ import annotations

import json
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from callqa.pipeline import PipelineOptions, analyze_batch

PLANTED = Path(__file__).resolve().parent / "data" / "pii" / "planted.jsonl"


@pytest.fixture(scope="module")
def mixed_batch(tmp_path_factory, jfk_path, stereo_clip_path) -> Path:
    """Two recordings, three transcripts and one bad file."""
    folder = tmp_path_factory.mktemp("batch")
    shutil.copy(jfk_path, folder / "jfk.flac")
    shutil.copy(stereo_clip_path, folder / "stereo.wav")
    for line in PLANTED.read_text(encoding="utf-8").splitlines()[:3]:
        call = json.loads(line)
        (folder / f"{call['call_id']}.json").write_text(json.dumps({k: v for k, v in call.items() if k != "pii"}), encoding="utf-8")
    (folder / "broken.wav").write_bytes(b"RIFF\x00\x00\x00\x00WAVEnot really")
    return folder


def _outputs(out: Path) -> dict[str, bytes]:
    files = {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted((out / "calls").glob("*.json"))}
    files["calls.csv"] = (out / "calls.csv").read_bytes()
    files["failures.csv"] = (out / "failures.csv").read_bytes()
    return files


def test_local_threads_and_ray_write_identical_files(mixed_batch, tmp_path):
    """The same batch three ways: one thread, two threads, and a local Ray (CPU) with two transcription actors."""
    pytest.importorskip("ray")
    options = {"transcribe": {"model": "tiny.en", "device": "cpu", "batch_size": 8}}  # the CLI default decoding
    runs = {
        "local-1": dict(executor="local", workers=1),
        "local-2": dict(executor="local", workers=2),
        "ray-2": dict(executor="ray", workers=2),
    }
    outputs = {}
    for name, how in runs.items():
        summary = analyze_batch(mixed_batch, tmp_path / name, options, **how)
        assert (summary.done, summary.failed) == (5, 1), name
        outputs[name] = _outputs(tmp_path / name)
    reference = outputs["local-1"]
    assert len(reference) == 7
    for name, files in outputs.items():
        assert files.keys() == reference.keys(), name
        for path, content in files.items():
            assert content == reference[path], f"{name}: {path} differs from the local executor's"
    failure = (tmp_path / "ray-2" / "failures.csv").read_text(encoding="utf-8")
    assert "broken.wav" in failure and "AudioDecodeError" in failure


def test_cross_call_batching_gives_each_call_the_words_it_gets_alone(jfk_path, stereo_clip_path, pyannote_dir):
    """Windows of four recordings decoded in shared batches: each recording gets the same segments and words as when
    decoded alone with the same batch size, at the same times, so batching across calls is safe."""
    from callqa.audio import load_audio
    from callqa.config import TranscribeOptions
    from callqa.transcribe import get_engine

    stereo = load_audio(stereo_clip_path)
    recordings = [load_audio(jfk_path).downmix(), stereo.channel(0), stereo.channel(1), load_audio(pyannote_dir / "sample.wav").downmix()]
    engine = get_engine(TranscribeOptions(model="tiny.en", device="cpu", batch_size=8))
    alone = [engine.transcribe(r)[0] for r in recordings]
    with ThreadPoolExecutor(len(recordings)) as pool:
        together = list(pool.map(lambda r: engine.transcribe(r)[0], recordings))
    for a, b in zip(alone, together):
        assert [(s.text, s.start, s.end) for s in a] == [(s.text, s.start, s.end) for s in b]
        assert [w for s in a for w in s.words] == [w for s in b for w in s.words]
    assert "fellow americans" in " ".join(s.text for s in together[0]).lower()
    assert together[3] and together[3][-1].end > 20  # the 30 s call keeps its own time line


def test_unknown_executor_is_refused(tmp_path):
    from callqa.errors import OptionError

    with pytest.raises(OptionError, match="executor"):
        analyze_batch([], tmp_path / "out", PipelineOptions(), executor="spark")
