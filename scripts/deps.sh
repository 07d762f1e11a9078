#!/usr/bin/env bash
# Installs the Debian packages CallTriage builds against, only those missing.
# Needs root (or sudo) on Debian/Ubuntu; Swift 6.1+ must already be on PATH.
set -euo pipefail
PKGS=(libsndfile1-dev libfftw3-dev libopenblas-dev libsqlite3-dev pkg-config)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "==> installing: ${missing[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
if ! command -v swift >/dev/null 2>&1; then
  for d in /opt/swift/usr/bin /usr/share/swift/usr/bin; do [ -x "$d/swift" ] && export PATH="$d:$PATH"; done
fi
command -v swift >/dev/null 2>&1 || { echo "error: swift (6.1 or later) is not on PATH" >&2; exit 1; }
