"""Peak memory of a whole analyze batch of 10, 50 and 200 calls, in one run: it should stay flat.

Usage: python scripts/benchmark_memory.py [--sizes 10 50 200] [--seconds 4]

Each batch runs in its own process (`callqa analyze` on a folder of short two-channel calls cut from the bundled
auto-repair recording, each a different stretch) and its peak resident memory is read from the kernel
(ru_maxrss of the child). Audio is decoded call by call, so the peak should not grow with the batch size.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from callqa.audio import load_audio, save_audio
from machine import describe  # scripts/machine.py

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 50, 200])
    parser.add_argument("--seconds", type=float, default=4.0, help="length of each call")
    args = parser.parse_args()
    print(describe())
    source = load_audio(ROOT / "audio_samples" / "auto_repair_40.flac")
    n = int(args.seconds * source.sample_rate)
    span = source.samples.shape[1] - n
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for size in args.sizes:
            folder = Path(tmp) / f"batch{size}"
            folder.mkdir()
            for i in range(size):
                start = (i * 7919 * source.sample_rate // 10) % span
                save_audio(folder / f"call-{i:04d}.flac", source.samples[:, start : start + n], source.sample_rate)
            out = Path(tmp) / f"out{size}"
            before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
            t0 = time.perf_counter()
            proc = subprocess.run(
                [sys.executable, "-m", "callqa.cli", "analyze", str(folder), "--out", str(out), "--no-report", "--device", "cpu"],
                capture_output=True, text=True,
            )
            wall = time.perf_counter() - t0
            peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
            if proc.returncode != 0:
                raise SystemExit(proc.stderr[-2000:])
            # RUSAGE_CHILDREN reports the largest child so far; sizes run in increasing order, so a larger value
            # means this batch set a new peak.
            results.append((size, peak / 1024, wall, peak > before))
            print(f"{size:4d} calls: peak RSS {peak / 1024:7.0f} MiB (new peak: {peak > before}), {wall:6.1f} s", flush=True)
    base = results[0][1]
    print("ratios of peak memory to the smallest batch: " + ", ".join(f"{s} calls {m / base:.2f}x" for s, m, _, _ in results))


if __name__ == "__main__":
    main()
