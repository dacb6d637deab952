"""The helpers the benchmark scripts share (scripts/machine.py)."""

from __future__ import annotations

import importlib.util

from conftest import ROOT


def _machine():
    spec = importlib.util.spec_from_file_location("machine", ROOT / "scripts" / "machine.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


EPYC = """processor\t: 0
model name\t: AMD EPYC 7B13
flags\t\t: fpu sse sse2 avx avx2 fma
processor\t: 1
model name\t: AMD EPYC 7B13
flags\t\t: fpu sse sse2 avx avx2 fma
"""
XEON = """model name\t: Intel(R) Xeon(R) Platinum 8481C CPU @ 2.70GHz
flags\t\t: fpu avx avx2 avx512f avx512_vnni avx_vnni amx_tile amx_int8
"""


def test_scripts_machine_names_the_cpu_and_its_int8_instructions():
    describe = _machine().describe
    assert describe(EPYC, cpus=2) == "AMD EPYC 7B13, 2 CPUs for this process; int8 dot-product instructions: none (AVX2 only)"
    assert describe(XEON, cpus=2).endswith("int8 dot-product instructions: AMX, AVX-512 VNNI, AVX-VNNI")
    assert describe(XEON, cpus=2).startswith("Intel(R) Xeon(R) Platinum 8481C CPU @ 2.70GHz, 2 CPUs")
    assert describe("", cpus=1).endswith("int8 dot-product instructions: unknown")  # no /proc/cpuinfo
