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


def test_models_the_tagger_is_found_in_a_checkout_an_install_or_where_callqa_tagger_says(tmp_path, monkeypatch):
    import sysconfig

    from callqa import nlp

    monkeypatch.delenv("CALLQA_TAGGER", raising=False)
    assert nlp.packaged_model_dir() == nlp.DEFAULT_MODEL_DIR  # a source checkout reads models/ in place
    installed = tmp_path / "prefix" / "share" / "callqa" / nlp.MODEL_NAME
    installed.mkdir(parents=True)
    monkeypatch.setattr(sysconfig, "get_path", lambda name: str(tmp_path / "prefix"))
    assert nlp.packaged_model_dir() == nlp.DEFAULT_MODEL_DIR  # the checkout wins while it is there
    monkeypatch.setattr(nlp, "DEFAULT_MODEL_DIR", tmp_path / "no-checkout" / nlp.MODEL_NAME)
    assert nlp.packaged_model_dir() == installed  # installed from a wheel
    monkeypatch.setenv("CALLQA_TAGGER", str(tmp_path / "team-model"))
    assert nlp.packaged_model_dir() == tmp_path / "team-model"


def test_models_a_wheel_of_callqa_carries_the_trained_tagger(tmp_path):
    import shutil
    import subprocess
    import sys
    import zipfile
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    pytest.importorskip("setuptools")
    src = tmp_path / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(root / name, src / name)
    shutil.copytree(root / "src", src / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    shutil.copytree(root / "models" / "turn-tagger", src / "models" / "turn-tagger")
    run = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(tmp_path / "dist"), str(src)],
        capture_output=True, text=True, timeout=300,
    )
    assert run.returncode == 0, run.stderr
    (wheel,) = (tmp_path / "dist").glob("callqa-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    shipped = {n.rsplit("/", 1)[-1] for n in names if "/data/share/callqa/turn-tagger/" in n}
    assert shipped == {p.name for p in (root / "models" / "turn-tagger").iterdir()}
