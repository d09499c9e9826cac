# Sourced by every project script: puts the project's own Node 24 (installed by
# scripts/setup.sh under .tools/node) first on PATH, so pnpm, vitest, the CLI and every
# spawned node process run on the supported runtime, whatever Node the machine ships.
RINGLEADER_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PATH="$RINGLEADER_ROOT/.tools/node/bin:$PATH"
