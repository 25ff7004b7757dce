#!/usr/bin/env bash
# What `npm test` needs beyond npm, looked for where the tests look: PostgreSQL's server binaries
# (the shared-state tests start their own throwaway cluster: CLARI_TEST_PG_BIN, Debian's
# /usr/lib/postgresql/<version>/bin, or pg_ctl and initdb on PATH) and chromium (the browser test:
# CHROMIUM_PATH, /usr/bin/chromium or /usr/bin/chromium-browser; without it that test is skipped).
# Installs whichever is missing with apt-get (as root, or through sudo); where it cannot, it says
# what to install and fails only for Postgres.
set -euo pipefail
has_postgres() {
  [ -n "${CLARI_TEST_PG_BIN:-}" ] && return 0
  compgen -G "/usr/lib/postgresql/*/bin/pg_ctl" >/dev/null && return 0
  command -v pg_ctl >/dev/null && command -v initdb >/dev/null
}
has_chromium() {
  local path
  for path in "${CHROMIUM_PATH:-}" /usr/bin/chromium /usr/bin/chromium-browser; do
    [ -n "$path" ] && [ -e "$path" ] && return 0
  done
  return 1
}
missing=()
has_chromium || missing+=(chromium)
has_postgres || missing+=(postgresql)
[ ${#missing[@]} -eq 0 ] && exit 0
as_root=()
if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null; then as_root=(sudo); fi
if ! command -v apt-get >/dev/null || { [ "$(id -u)" -ne 0 ] && [ ${#as_root[@]} -eq 0 ]; }; then
  echo "npm test needs: ${missing[*]} (Debian package names; PostgreSQL's server binaries, or set CLARI_TEST_PG_BIN; chromium, or set CHROMIUM_PATH, else the browser test is skipped). Install them, then run npm test." >&2
  has_postgres || exit 1
  exit 0
fi
${as_root[@]+"${as_root[@]}"} apt-get update
${as_root[@]+"${as_root[@]}"} env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
