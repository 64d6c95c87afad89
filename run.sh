#!/usr/bin/env bash
# The main job: embedded Temporal (UI on :8233), the worker and the admin tool (:8000), on defaults.
set -euo pipefail
cd "$(dirname "$0")"
scripts/bootstrap.sh
exec .venv/bin/cpj up "$@"
