"""The second engine: the CTranslate2 -> openai-whisper conversion, and equivalence with faster-whisper.

Equivalence: with greedy decoding and no temperature fallback, both engines (faster-whisper in float32, so
neither quantises) must give the same words on the same audio. With beam search (5 beams) and the fallback,
small differences in numerics can flip a beam; the test allows a WER between the two engines' transcripts of at
most 0.10 over the files, including the real telephone conversation where Whisper is least sure (measured
0.000 on jfk and the stereo clip; the two engines' WERs against the pyannote reference are 0.198 and 0.210).
"""

from __future__ import annotations

import pytest

from callqa.config import TranscribeOptions
from callqa.evaluation import word_error_rate
from callqa.model import CallInput
from callqa.pipeline import PipelineOptions, transcribe_call
from callqa.transcribe.convert import read_ct2_model


def test_convert_reads_ct2_layout_and_maps_every_tensor(tmp_path):
    import torch
    import whisper

    from callqa.transcribe.convert import convert_ct2_to_openai
    from callqa.transcribe.models import materialize_bundled

    source = materialize_bundled("tiny.en")
    spec, variables, aliases = read_ct2_model(f"{source.path}/model.bin")
    assert spec == "WhisperSpec"
    assert aliases == {"decoder/projection/weight": "decoder/embeddings/weight"}
    path = convert_ct2_to_openai(source.path, tmp_path / "tiny.en.pt")
    checkpoint = torch.load(path, weights_only=True)
    assert checkpoint["dims"]["n_vocab"] == 51864 and checkpoint["dims"]["n_text_layer"] == 4
    model = whisper.load_model(str(path), device="cpu")  # strict state_dict check inside
    # a fused q/k/v row block lands in the right projection
    d = checkpoint["dims"]["n_audio_state"]
    fused = variables["encoder/layer_2/self_attention/linear_0/weight"]
    assert torch.equal(model.encoder.blocks[2].attn.value.weight.half(), torch.from_numpy(fused[2 * d :].copy()))
    assert checkpoint["alignment_heads"] is not None


def test_convert_rejects_non_whisper_and_truncated_files(tmp_path):
    from callqa.errors import ModelError

    bad = tmp_path / "model.bin"
    bad.write_bytes(b"\x06\x00\x00")
    with pytest.raises(ModelError, match="ends early"):
        read_ct2_model(bad)


def _text(result) -> str:
    return " ".join(t.text for t in sorted(result.turns, key=lambda t: (t.channel or 0, t.start)))


@pytest.mark.slow
def test_openai_whisper_greedy_matches_faster_whisper(jfk_path, stereo_clip_path):
    common = dict(device="cpu", beam_size=1, temperatures=(0.0,))
    fw = PipelineOptions(transcribe=TranscribeOptions(engine="faster-whisper", compute_type="float32", **common))
    ow = PipelineOptions(transcribe=TranscribeOptions(engine="openai-whisper", **common))
    for call in (CallInput("jfk", str(jfk_path), "audio"), CallInput("clip", str(stereo_clip_path), "audio", agent_channel="left")):
        a, b = transcribe_call(call, fw), transcribe_call(call, ow)
        assert b.engine.name == "openai-whisper" and b.engine.compute_type == "float32"
        words_a = [w.word.strip() for t in a.turns for w in t.words]
        words_b = [w.word.strip() for t in b.turns for w in t.words]
        print(f"\n{call.call_id} greedy: {_text(a)!r} | {_text(b)!r}")
        assert words_a == words_b
        # word times agree to within the alignment's resolution (20 ms frames, median-filtered)
        starts_a = [w.start for t in a.turns for w in t.words]
        starts_b = [w.start for t in b.turns for w in t.words]
        assert max(abs(x - y) for x, y in zip(starts_a, starts_b)) < 0.3


@pytest.mark.slow
def test_openai_whisper_beam_search_agrees_within_wer(jfk_path, stereo_clip_path, pyannote_dir):
    fw = PipelineOptions(transcribe=TranscribeOptions(engine="faster-whisper", device="cpu"))
    ow = PipelineOptions(transcribe=TranscribeOptions(engine="openai-whisper", device="cpu"))
    refs, hyps = [], []
    calls = (
        CallInput("jfk", str(jfk_path), "audio"),
        CallInput("clip", str(stereo_clip_path), "audio", agent_channel="left"),
        CallInput("pyannote", str(pyannote_dir / "sample.wav"), "audio"),
    )
    for call in calls:
        refs.append(_text(transcribe_call(call, fw)))
        hyps.append(_text(transcribe_call(call, ow)))
    wer = word_error_rate(" ".join(refs), " ".join(hyps))
    print(f"\nbeam search, WER between engines = {wer:.3f}")
    assert wer <= 0.10
