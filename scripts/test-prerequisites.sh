#!/usr/bin/env bash
# What `npm test` needs beyond npm: Debian's chromium (the browser test drives it) and the
# PostgreSQL server binaries (the shared-state tests start their own throwaway cluster from
# /usr/lib/postgresql/<version>/bin). Installs whichever is missing with apt-get (as root, or
# through sudo), and says what to install where it cannot.
set -euo pipefail
missing=()
command -v chromium >/dev/null || missing+=(chromium)
compgen -G "/usr/lib/postgresql/*/bin/pg_ctl" >/dev/null || missing+=(postgresql)
[ ${#missing[@]} -eq 0 ] && exit 0
if ! command -v apt-get >/dev/null; then
  echo "npm test needs: ${missing[*]} (Debian package names). Install them with your system's package manager, then run npm test." >&2
  exit 1
fi
as_root=()
if [ "$(id -u)" -ne 0 ]; then
  if ! command -v sudo >/dev/null; then
    echo "npm test needs: ${missing[*]}. Run as root: apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
  as_root=(sudo)
fi
${as_root[@]+"${as_root[@]}"} apt-get update
${as_root[@]+"${as_root[@]}"} env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
