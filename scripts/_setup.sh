# Shared setup for scripts/serve, scripts/test and scripts/bench (sourced, not run).
# Installs what is missing, and only that: OS packages (as root), the venv, npm assets.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
PY="$VENV/bin/python"

log() { printf '\033[1m[gisapp]\033[0m %s\n' "$*" >&2; }

# OS packages each purpose needs, as "command-or-file:package".
SERVE_PACKAGES=(
  "/usr/bin/psql:postgresql"
  "initdb:postgresql"
  "postgis.control:postgresql-postgis"
  "venv:python3-venv"
  "npm:npm"
)
TEST_PACKAGES=(
  "/usr/bin/chromium:chromium"
  "fonts-cjk:fonts-wqy-zenhei"
  "/usr/bin/ogrinfo:gdal-bin"
  "/usr/sbin/varnishd:varnish"
)

have() {
  case "$1" in
    initdb) ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 ;;
    postgis.control) ls /usr/share/postgresql/*/extension/postgis.control >/dev/null 2>&1 ;;
    venv) python3 -c 'import ensurepip, venv' >/dev/null 2>&1 ;;
    fonts-cjk) ls /usr/share/fonts/truetype/wqy/wqy-zenhei.ttc >/dev/null 2>&1 ;;
    /*) [ -x "$1" ] ;;
    *) command -v "$1" >/dev/null 2>&1 ;;
  esac
}

ensure_os_packages() {
  local missing=() entry
  for entry in "$@"; do
    have "${entry%%:*}" || missing+=("${entry##*:}")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  # De-duplicate while keeping order.
  local pkgs; pkgs=$(printf '%s\n' "${missing[@]}" | awk '!seen[$0]++' | tr '\n' ' ')
  if [ "$(id -u)" -ne 0 ]; then
    log "missing OS packages: $pkgs"
    log "run this once as root, then try again:"
    echo "  sudo apt-get update && sudo apt-get install -y $pkgs" >&2
    exit 1
  fi
  log "installing OS packages: $pkgs"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  # shellcheck disable=SC2086
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $pkgs >/dev/null
}

check_python() {
  python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' || {
    log "Python 3.11 or newer is required (found $(python3 --version 2>&1))"; exit 1; }
}

# Re-install only when the file that defines the dependencies changed.
stamp_changed() { # file stamp
  local sum; sum=$(sha256sum "$1" | cut -d' ' -f1)
  [ -f "$2" ] && [ "$(cat "$2")" = "$sum" ] && return 1
  return 0
}
write_stamp() { sha256sum "$1" | cut -d' ' -f1 > "$2"; }

ensure_venv() {
  check_python
  [ -x "$PY" ] || { log "creating .venv"; python3 -m venv "$VENV"; }
  if stamp_changed "$ROOT/pyproject.toml" "$VENV/.gisapp-installed" || ! "$PY" -c 'import gisapp' 2>/dev/null; then
    log "installing the project into .venv"
    "$VENV/bin/pip" install -q --disable-pip-version-check -e "$ROOT[test]"
    write_stamp "$ROOT/pyproject.toml" "$VENV/.gisapp-installed"
  fi
}

ensure_assets() {
  if stamp_changed "$ROOT/package-lock.json" "$ROOT/node_modules/.gisapp-installed"; then
    log "installing front-end assets from the npm registry"
    (cd "$ROOT" && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error >/dev/null)
    write_stamp "$ROOT/package-lock.json" "$ROOT/node_modules/.gisapp-installed"
  fi
}

setup_all() { # purpose...
  local pkgs=("${SERVE_PACKAGES[@]}")
  for p in "$@"; do [ "$p" = test ] && pkgs+=("${TEST_PACKAGES[@]}"); done
  ensure_os_packages "${pkgs[@]}"
  ensure_venv
  ensure_assets
}
