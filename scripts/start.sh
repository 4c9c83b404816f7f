#!/usr/bin/env bash
# Installs Cutline into .venv (with the system libraries Qt needs) and starts the editor.
# Extra arguments go to cutline, e.g. `scripts/start.sh clip.mp4`.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/setup.sh"
install_debs "${QT_LIBS[@]}" "${QT_X11_LIBS[@]}" "${CJK_FONTS[@]}"
make_venv
install_cutline
exec .venv/bin/cutline "$@"
