#!/usr/bin/env bash
# The integration tests start real servers on loopback: redis-server (from
# the OS) and an OpenID Provider (oidc-provider, from npm). Make sure the
# first one is installed; on Debian/Ubuntu as root it is installed here.
set -euo pipefail
if command -v redis-server >/dev/null 2>&1; then exit 0; fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing redis-server for the integration tests..." >&2
  apt-get update -qq && apt-get install -y -qq redis-server >/dev/null
  exit 0
fi
echo "The integration tests need redis-server. Install it (Debian/Ubuntu: sudo apt-get install -y redis-server; macOS: brew install redis) and run pnpm test again." >&2
exit 1
