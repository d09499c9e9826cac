#!/usr/bin/env bash
# The test command: sets the machine up (scripts/setup.sh), then runs every suite
# (unit, integration against real ZooKeeper servers, chaos, hostile input).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
. scripts/env.sh
exec pnpm exec vitest run "$@"
