#!/usr/bin/env bash
# `npm run test:node -- 22`: the test suite under another Node major (default 24, the current LTS)
# than the one installed, with the `node` package from the npm registry, so that a machine with one
# Node checks every major `engines` allows. The installed node_modules serve every major: the only
# native bindings (rolldown's, oxlint's, lightningcss's) use Node-API, which is stable across them.
set -euo pipefail
cd "$(dirname "$0")/.."
major=${1:-24}
npx -y "node@$major" -e 'console.log(`[test:node] the suite on Node ${process.version}`)'
exec npx -y "node@$major" node_modules/vitest/vitest.mjs run
