#!/usr/bin/env bash
# Install what the framework itself needs on a fresh Debian machine: bubblewrap, python3-venv,
# uv, and the locked Python environment in .venv; arguments name more Debian packages to install.
# Safe to run again; it only adds what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo -n "$@"; fi; }

missing=()
for pkg in bubblewrap python3-venv util-linux "$@"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "bootstrap: installing Debian packages: ${missing[*]}"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

UV_VERSION=0.13.9
if command -v uv >/dev/null 2>&1; then
  UV=$(command -v uv)
else
  if [ ! -x .bootstrap/bin/uv ]; then
    echo "bootstrap: installing uv $UV_VERSION into .bootstrap/"
    python3 -m venv .bootstrap
    .bootstrap/bin/pip install -q "uv==$UV_VERSION"
  fi
  UV=$PWD/.bootstrap/bin/uv
fi
"$UV" sync --frozen --all-extras --python 3.11 -q
