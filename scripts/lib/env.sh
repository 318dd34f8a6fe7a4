# Sourced by our shell entry points: puts the project's Node 24 first on PATH when the machine's
# Node is older than 22, and points native builds at that Node's headers.
FOYER_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
FOYER_TOOLS="$FOYER_ROOT/.tools"
export FOYER_ROOT FOYER_TOOLS
if [ -x "$FOYER_TOOLS/node/bin/node" ]; then
  export PATH="$FOYER_TOOLS/node/bin:$PATH"
  export npm_config_nodedir="$FOYER_TOOLS/node"
fi
