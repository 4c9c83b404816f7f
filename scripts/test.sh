#!/usr/bin/env bash
# Installs Cutline with its test tools into .venv (and the system libraries Qt needs) and runs the whole
# test suite on real embedded PostgreSQL and Valkey servers (or on CUTLINE_DATABASE_URL /
# CUTLINE_REDIS_URL when set). Extra arguments go to pytest.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/setup.sh"
install_debs "${QT_LIBS[@]}" desktop-file-utils appstream
make_venv
install_cutline test
export QT_QPA_PLATFORM=offscreen
exec .venv/bin/python -m pytest "$@"
