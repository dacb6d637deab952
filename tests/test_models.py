import pytest

from callqa.errors import ModelError
from callqa.transcribe import models
from callqa.transcribe.models import BUNDLED_MODELS, materialize_bundled, resolve_model, sha256_file


def test_models_bundled_base_is_joined_and_checked(tmp_path, monkeypatch):
    monkeypatch.setenv("CALLQA_CACHE", str(tmp_path))
    materialize_bundled.cache_clear()
    resolved = resolve_model("base")
    assert resolved.path == str(tmp_path / "models" / "faster-whisper-base")
    assert sha256_file(tmp_path / "models" / "faster-whisper-base" / "model.bin") == BUNDLED_MODELS["base"].sha256
    for aux in ("config.json", "tokenizer.json", "vocabulary.txt"):
        assert (tmp_path / "models" / "faster-whisper-base" / aux).exists()
    materialize_bundled.cache_clear()


def test_models_corrupt_cached_weights_are_rebuilt_and_bad_package_rejected(tmp_path, monkeypatch):
    monkeypatch.setenv("CALLQA_CACHE", str(tmp_path))
    materialize_bundled.cache_clear()
    weights = tmp_path / "models" / "faster-whisper-base" / "model.bin"
    weights.parent.mkdir(parents=True)
    weights.write_bytes(b"truncated")
    resolve_model("base")
    assert sha256_file(weights) == BUNDLED_MODELS["base"].sha256
    materialize_bundled.cache_clear()
    # a package whose bytes do not match the pinned hash is refused
    bad = BUNDLED_MODELS["tiny.en"].__class__(**{**BUNDLED_MODELS["tiny.en"].__dict__, "sha256": "0" * 64})
    monkeypatch.setitem(models.BUNDLED_MODELS, "tiny.en", bad)
    with pytest.raises(ModelError, match="sha256 of the tiny.en weights is .* expected 0000"):
        resolve_model("tiny.en")
    materialize_bundled.cache_clear()


def test_models_unknown_name_and_bad_folder_are_explained(tmp_path):
    with pytest.raises(ModelError, match="The 'model' option must be a bundled model"):
        resolve_model("gigantic-v9")
    with pytest.raises(ModelError, match="no model.bin inside"):
        resolve_model(str(tmp_path))
    assert resolve_model("small").path == "small"  # left to faster-whisper's own download
