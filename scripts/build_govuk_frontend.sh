#!/usr/bin/env bash
# Builds the admin tool's GOV.UK Frontend assets into starter/web/static/ (committed: running the tool needs
# no Node.js and no CDN). Run again only to move to another release; keep GOVUK_FRONTEND_VERSION in step
# with the govuk-frontend-jinja macros pinned in pyproject.toml (4.1.0 targets 6.3.0).
#
# The stylesheet is compiled from GOV.UK Frontend's Sass with Arial instead of the GDS Transport font,
# which is licensed for services on GOV.UK only: a council's own tool is not one of them. For the same
# reason the pages carry no crown, GOV.UK logo or favicon (starter/web/templates/layout.html).
set -euo pipefail
GOVUK_FRONTEND_VERSION=6.3.0
SASS_VERSION=1.108.2
here="$(cd "$(dirname "$0")/.." && pwd)"
out="$here/starter/web/static"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
npm init -y >/dev/null
npm install --no-audit --no-fund --silent "govuk-frontend@$GOVUK_FRONTEND_VERSION" "sass@$SASS_VERSION"
cat > cpj.scss <<'SCSS'
@use "govuk-frontend/dist/govuk" with (
  $govuk-font-family: (arial, sans-serif),
  $govuk-include-default-font-face: false,
  $govuk-assets-path: "/assets/"
);
SCSS
npx sass --no-source-map --style=compressed --load-path=node_modules cpj.scss govuk-frontend.min.css
dist=node_modules/govuk-frontend/dist/govuk
rm -rf "$out/govuk-frontend"
mkdir -p "$out/govuk-frontend"
cp govuk-frontend.min.css "$out/govuk-frontend/"
cp "$dist/govuk-frontend.min.js" "$out/govuk-frontend/"
echo "$GOVUK_FRONTEND_VERSION" > "$out/govuk-frontend/VERSION"
cat > "$out/govuk-frontend/LICENSE.txt" <<'LICENSE'
GOV.UK Frontend (https://github.com/alphagov/govuk-frontend), built by scripts/build_govuk_frontend.sh.

The MIT License (MIT)

Copyright (C) 2018 Crown Copyright (Government Digital Service)

Permission is hereby granted, free of charge, to any person obtaining a copy of this software and
associated documentation files (the "Software"), to deal in the Software without restriction,
including without limitation the rights to use, copy, modify, merge, publish, distribute,
sublicense, and/or sell copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all copies or substantial
portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED, INCLUDING BUT NOT
LIMITED TO THE WARRANTIES OF MERCHANTABILITY, FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN
NO EVENT SHALL THE AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER LIABILITY,
WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM, OUT OF OR IN CONNECTION WITH THE
SOFTWARE OR THE USE OR OTHER DEALINGS IN THE SOFTWARE.

Neither the GDS Transport font nor GOV.UK's crown images are included: they may be used only on GOV.UK.
LICENSE
echo "GOV.UK Frontend $GOVUK_FRONTEND_VERSION built into $out/govuk-frontend"
