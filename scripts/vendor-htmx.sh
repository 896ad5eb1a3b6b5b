#!/usr/bin/env bash
# Refresh the vendored htmx 4 and its SSE extension from the npm registry.
# Usage: scripts/vendor-htmx.sh [version]   (default: the version in VERSIONS)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
vendor="$here/{{cookiecutter.project_slug}}/{{cookiecutter.project_slug}}/static/vendor"
version=${1:-$(sed -n 's/^htmx.org \([^ ]*\) .*/\1/p' "$vendor/VERSIONS")}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "htmx.org@$version" >/dev/null && tar xzf htmx.org-*.tgz)
cp "$work/package/dist/htmx.min.js" "$work/package/dist/ext/hx-sse.min.js" "$vendor/"
cp "$work/package/LICENSE" "$vendor/LICENSE.htmx"
{
  echo "# Vendored from the npm registry; see scripts/vendor-htmx.sh in the template repository."
  echo "htmx.org $version (0BSD)"
  (cd "$vendor" && sha256sum htmx.min.js hx-sse.min.js)
} > "$vendor/VERSIONS"
echo "vendored htmx.org $version into $vendor"
