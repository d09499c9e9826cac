#!/usr/bin/env bash
# The local trio demo, the README's first command: sets the machine up (scripts/setup.sh: pnpm,
# Debian's zookeeper + JRE when missing, workspace dependencies, build), then runs
# `ringleader demo`: a 3-server ZooKeeper ensemble, three LB nodes, four sample backends and a
# Redis and a PostgreSQL tier behind services (services/cache, services/db), all on
# this machine, with live traffic. Ctrl-C stops everything it started.
#   bash scripts/demo.sh                                   # until Ctrl-C
#   bash scripts/demo.sh --duration 12 --kill-leader-after 5   # a self-contained failover showcase
# In another terminal: `pnpm ringleader demo kill-leader` (SIGKILL the leader) or `kill -9 <pid>`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
. scripts/env.sh
exec node packages/cli/bin/ringleader.mjs demo "$@"
