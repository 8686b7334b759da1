#!/usr/bin/env bash
# Mirador 4 for the item pages, served by Muniment itself (no CDN at run time), and axe-core for the tests.
# Installs the versions pinned in the root package-lock.json from the npm registry into build/mirador
# (node_modules never enter the repository), copies the browser bundle into vendor/mirador/ and
# removes build/mirador again.
# Needs node and npm; the network only here, at setup. Usage: bash app/web/static/build.sh
set -euo pipefail

static=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$static/../../.." && pwd)
work="$root/build/mirador"
vendor="$static/vendor/mirador"

command -v npm >/dev/null || { echo "build.sh: npm is missing (Debian: apt-get install npm)" >&2; exit 1; }
mkdir -p "$work" "$vendor"
cp "$root/package.json" "$root/package-lock.json" "$work/"
(cd "$work" && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error)

package="$work/node_modules/mirador"
# The UMD build: one self-contained script that defines window.Mirador.
cp "$package/dist/mirador.min.js" "$vendor/mirador.min.js"
cp "$package/LICENSE" "$vendor/LICENSE.txt"
node -p "require('$package/package.json').version" > "$vendor/VERSION"
# axe-core, for the browser tests' accessibility checks (injected into the page under test, never served).
mkdir -p "$static/vendor/axe"
cp "$work/node_modules/axe-core/axe.min.js" "$static/vendor/axe/axe.min.js"
cp "$work/node_modules/axe-core/LICENSE" "$static/vendor/axe/LICENSE.txt"
rm -rf "$work"  # 375 MB of node_modules for one 2.3 MB file: nothing else is needed from them
touch "$static/vendor/.installed"
echo "Mirador $(cat "$vendor/VERSION") installed in ${vendor#"$root"/}"
