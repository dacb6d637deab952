#!/usr/bin/env bash
# Set up (if needed) and run callqa's main job on the bundled sample calls; results land in ./results.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/callqa analyze audio_samples --manifest audio_samples/calls.csv --out results
