"""The machine a benchmark ran on, in one line, for its printout: CPU model, the CPUs it may use and the int8 dot-product
instructions, on which callqa's int8 paths (CTranslate2's int8 Whisper, the pair encoder's int8 layers) depend: the
pair encoder's int8 layers ran 3.5 ms a turn on a Xeon with AVX-512 VNNI and 8.2 ms on an AVX2-only EPYC, so two
benchmark figures are comparable only on the same kind of CPU.

Usage, from a script in this folder: ``from machine import describe; print(describe())``.
"""

from __future__ import annotations

import os
import platform
from pathlib import Path

# Flags in /proc/cpuinfo, strongest first: the instructions int8 matrix products use.
INT8_FLAGS = (("amx_int8", "AMX"), ("avx512_vnni", "AVX-512 VNNI"), ("avx_vnni", "AVX-VNNI"))


def describe(cpuinfo: str | None = None, cpus: int | None = None) -> str:
    """``cpuinfo`` is the text of /proc/cpuinfo (read when None; on other systems the platform's processor name)."""
    if cpuinfo is None:
        path = Path("/proc/cpuinfo")
        cpuinfo = path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""
    fields: dict[str, str] = {}
    for line in cpuinfo.splitlines():
        key, sep, value = line.partition(":")
        if sep and key.strip() in ("model name", "flags") and key.strip() not in fields:
            fields[key.strip()] = value.strip()
    model = fields.get("model name") or platform.processor() or "unknown CPU"
    flags = set(fields.get("flags", "").split())
    have = [name for flag, name in INT8_FLAGS if flag in flags]
    if have:
        int8 = ", ".join(have)
    elif flags:
        int8 = "none (AVX2 only)" if "avx2" in flags else "none"
    else:
        int8 = "unknown"
    if cpus is None:
        cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return f"{model}, {cpus} CPUs for this process; int8 dot-product instructions: {int8}"


if __name__ == "__main__":
    print(describe())
