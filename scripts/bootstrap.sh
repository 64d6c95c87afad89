#!/usr/bin/env bash
# Creates .venv/ with the project and its test tools, or refreshes it when pyproject.toml changes.
# Run by ./run.sh and ./test.sh, so a fresh clone needs nothing installed by hand; ./test.sh passes
# --tests, which also installs the tests' OpenID provider (npm oidc-provider, pinned by
# tests/oidc/package-lock.json) on this machine's Node.js.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$root/.venv"
stamp="$venv/.cpj-installed"
want="$(sha256sum "$root/pyproject.toml" | cut -d' ' -f1)"
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    echo "setting up .venv (first run, or pyproject.toml changed)..." >&2
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip >/dev/null 2>&1 || true
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -e "$root[test]" 2>&1 \
        | grep -v "is ignored: it is neither a file nor a directory" >&2 || true
    "$venv/bin/python" -c "import temporalio, starter.cli" # fail loudly if the install did not take
    echo "$want" > "$stamp"
fi
# These machines set PYTHONDONTWRITEBYTECODE, so nothing is cached by importing: compile once here
# (only what changed), because the workflow sandbox imports the workflow modules for every new journey.
"$venv/bin/python" -m compileall -q -j 0 "$root/domain" "$root/shipped" "$root/workflows" "$root/activities" "$root/starter" \
    "$root/worker.py" >/dev/null || true
if [ "${1:-}" = "--tests" ]; then
    oidc="$root/tests/oidc"
    oidc_want="$(sha256sum "$oidc/package-lock.json" | cut -d' ' -f1)"
    oidc_stamp="$oidc/node_modules/.cpj-installed"
    if [ ! -f "$oidc_stamp" ] || [ "$(cat "$oidc_stamp")" != "$oidc_want" ]; then
        if ! command -v npm >/dev/null; then
            echo "the sign-in tests need Node.js and npm (for a real OpenID provider): install them first" >&2
            exit 1
        fi
        echo "installing the tests' OpenID provider (tests/oidc, npm ci)..." >&2
        (cd "$oidc" && npm ci --no-audit --no-fund --loglevel=error >&2)
        echo "$oidc_want" > "$oidc_stamp"
    fi
fi
