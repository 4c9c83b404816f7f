#!/usr/bin/env bash
# Shared set-up for scripts/start.sh and scripts/test.sh: the Debian/Ubuntu libraries Qt needs, and a
# virtual environment in .venv with Cutline installed (editable). Safe to run again: it only does
# what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

# Each entry is a list of alternatives (Debian and Ubuntu name some libraries differently).
QT_LIBS=(libegl1 libgl1 libfontconfig1 libxkbcommon0 libdbus-1-3 "libglib2.0-0t64|libglib2.0-0"
         fonts-dejavu-core libpulse0 libportaudio2)
# Glyphs for Korean, Japanese and Chinese names, markers and subtitles (the UI falls back to them).
CJK_FONTS=("fonts-noto-cjk|fonts-nanum")
QT_X11_LIBS=(libxkbcommon-x11-0 libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-image0
             libxcb-render-util0 libxcb-shape0 libxcb-randr0 libxcb-xinerama0 libxcb-xkb1 libx11-xcb1)

have_pkg() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else return 1; fi
}

APT_UPDATED=""
install_debs() {  # install_debs "a|b" c ...: installs what is missing, picking the first known alternative
  command -v dpkg-query >/dev/null || return 0   # not Debian/Ubuntu: the user installs Qt's libraries
  local missing=() entry alt chosen
  for entry in "$@"; do
    chosen=""
    IFS='|' read -r -a alts <<< "$entry"
    for alt in "${alts[@]}"; do if have_pkg "$alt"; then chosen="ok"; break; fi; done
    [ -n "$chosen" ] && continue
    if [ -z "$APT_UPDATED" ]; then
      as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null || {
        echo "setup: cannot run apt-get (not root, no sudo); please install: $*" >&2; return 0; }
      APT_UPDATED=1
    fi
    for alt in "${alts[@]}"; do
      if apt-cache show "$alt" >/dev/null 2>&1; then missing+=("$alt"); break; fi
    done
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "setup: installing ${missing[*]}"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
}

make_venv() {
  local py=${PYTHON:-python3}
  if [ ! -x .venv/bin/python ]; then
    if ! "$py" -m venv .venv 2>/dev/null; then
      rm -rf .venv
      local ver; ver=$("$py" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')
      install_debs "python${ver}-venv|python3-venv"
      "$py" -m venv .venv
    fi
    .venv/bin/python -m pip install -q --upgrade pip
  fi
}

install_cutline() {  # install_cutline [extras]: skipped when pyproject.toml and the extras are as last installed
  local spec="." stamp=".venv/.cutline-installed" digest log
  [ -n "${1:-}" ] && spec=".[$1]"
  digest=$(sha256sum pyproject.toml | cut -d' ' -f1)
  if [ -f "$stamp" ] && grep -qxF "$spec $digest" "$stamp" && .venv/bin/python -I -c "import editor" 2>/dev/null; then
    return 0
  fi
  log=$(mktemp)
  if ! .venv/bin/python -m pip install -q --disable-pip-version-check -e "$spec" >"$log" 2>&1; then
    cat "$log" >&2; rm -f "$log"
    echo "setup: pip could not install Cutline (see above)" >&2
    return 1
  fi
  rm -f "$log"   # pip and setuptools warnings of a successful install are not for the user
  # Remember what is installed for this pyproject (an install with extras includes the plain one).
  { echo "$spec $digest"; echo ". $digest"; grep -F " $digest" "$stamp" 2>/dev/null || true; } | sort -u > "$stamp.new"
  mv "$stamp.new" "$stamp"
}
