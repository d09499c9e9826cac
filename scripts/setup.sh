#!/usr/bin/env bash
# Brings a fresh Debian 12 + Node 20 machine to the point where ringleader builds,
# tests and demos: a pinned pnpm, Debian's ZooKeeper (with its JRE), the workspace
# dependencies from the lockfile, and a build. Safe to run again: each step checks first.
set -euo pipefail
cd "$(dirname "$0")/.."

PNPM_VERSION=12.21.0
say() { printf '[setup] %s\n' "$*" >&2; }

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
