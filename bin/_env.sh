# Shared by bin/demo and bin/test: find Python >= 3.12 and build .venv from the lock file.
# shellcheck shell=bash
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

find_python() {
  local candidate
  for candidate in "${PALPA_PYTHON:-}" python3.14 python3.13 python3.12 python3 python; do
    [ -n "$candidate" ] || continue
    command -v "$candidate" >/dev/null 2>&1 || continue
    if "$candidate" -c 'import sys; raise SystemExit(0 if sys.version_info >= (3, 12) else 1)' \
        >/dev/null 2>&1; then
      command -v "$candidate"
      return 0
    fi
  done
  return 1
}

ensure_debian_packages() {  # $@: packages; installs the missing ones when run as root
  local pkg missing=()
  for pkg in "$@"; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
  done
  [ "${#missing[@]}" -eq 0 ] && return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "Installing Debian packages Palpa needs: ${missing[*]}"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "Palpa needs these Debian packages: sudo apt-get install ${missing[*]}" >&2
    return 3
  fi
}

# PDFs (WeasyPrint): Pango for text, HarfBuzz's subsetter to embed only the glyphs used.
PDF_PACKAGES=(libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0)

ensure_venv() {  # $1: lock file to install; $2...: lock files whose .venv is also good
  local lock="$1" py stamp want also
  if ! py="$(find_python)"; then
    echo "Palpa needs Python 3.12 or newer, and none was found on PATH" >&2
    echo "(tried python3.14, python3.13, python3.12, python3; set PALPA_PYTHON to point at one)." >&2
    exit 3
  fi
  want="$("$py" -c 'import sys; print("%d.%d" % sys.version_info[:2])') $(sha256sum "$lock" pyproject.toml | sha256sum | cut -c1-16)"
  stamp=".venv/.palpa-stamp"
  if [ -x .venv/bin/python ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    return 0
  fi
  for also in "${@:2}"; do  # e.g. the test command's .venv, which holds the runtime too
    if [ -x .venv/bin/python ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = \
        "${want%% *} $(sha256sum "$also" pyproject.toml | sha256sum | cut -c1-16)" ]; then
      return 0
    fi
  done
  echo "Setting up .venv with $py ($("$py" --version)) from $lock ..."
  rm -rf .venv
  if ! "$py" -m venv .venv 2>/dev/null; then
    local ver; ver="$("$py" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
      apt-get update -qq && apt-get install -y -qq "python${ver}-venv" >/dev/null
      rm -rf .venv && "$py" -m venv .venv
    else
      echo "Python's venv module is missing: install it (Debian: sudo apt-get install python${ver}-venv)." >&2
      exit 3
    fi
  fi
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -r "$lock"
  .venv/bin/python -m pip install -q --no-deps -e .
  echo "$want" > "$stamp"
}

ensure_node_modules() {  # the browser tests' JavaScript tools (axe-core), from package-lock.json
  local stamp="node_modules/.palpa-stamp" want
  want="$(sha256sum package-lock.json | cut -c1-16)"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    return 0
  fi
  if ! command -v npm >/dev/null 2>&1; then
    ensure_debian_packages nodejs npm || return 3
  fi
  echo "Installing the browser tests' JavaScript tools from package-lock.json ..."
  npm ci --no-audit --no-fund --silent
  echo "$want" > "$stamp"
}
