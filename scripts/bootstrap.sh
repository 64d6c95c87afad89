#!/usr/bin/env bash
# Creates .venv/ with the project and its test tools, or refreshes it when pyproject.toml changes.
# Run by ./run.sh and ./test.sh, so a fresh clone needs nothing installed by hand; ./test.sh passes
# --tests, which also installs the tests' OpenID provider (npm oidc-provider, pinned by
# tests/oidc/package-lock.json) on this machine's Node.js, and for the browser tests Debian's
# Chromium (apt) and axe-core (npm, pinned by tests/browser/package-lock.json). Playwright's own
# browser download is never used: the tests drive /usr/bin/chromium.
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
# npm ci in a tests folder whose package-lock.json changed since the last install (or never installed).
npm_ci_once() {
    local folder="$1" what="$2"
    local want stamp
    want="$(sha256sum "$folder/package-lock.json" | cut -d' ' -f1)"
    stamp="$folder/node_modules/.cpj-installed"
    if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
        if ! command -v npm >/dev/null; then
            echo "the tests need Node.js and npm (for $what): install them first" >&2
            exit 1
        fi
        echo "installing $what (${folder#"$root"/}, npm ci)..." >&2
        (cd "$folder" && npm ci --no-audit --no-fund --loglevel=error >&2)
        echo "$want" > "$stamp"
    fi
}
if [ "${1:-}" = "--tests" ]; then
    npm_ci_once "$root/tests/oidc" "the sign-in tests' OpenID provider"
    npm_ci_once "$root/tests/browser" "the browser tests' accessibility checks (axe-core)"
    if [ ! -x /usr/bin/chromium ]; then
        if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
            echo "the browser tests drive Debian's Chromium: install it first (apt-get install chromium)" >&2
            exit 1
        fi
        echo "installing Chromium for the browser tests (apt-get install chromium fonts-liberation)..." >&2
        export DEBIAN_FRONTEND=noninteractive
        # The package lists are fetched only when apt does not know the package yet (a fresh machine).
        if ! apt-get install -y -qq --no-install-recommends chromium fonts-liberation >/dev/null 2>&1; then
            apt-get update -qq >/dev/null
            apt-get install -y -qq --no-install-recommends chromium fonts-liberation >/dev/null
        fi
    fi
fi
