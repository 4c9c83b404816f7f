#!/usr/bin/env bash
# Build Cutline-<version>-x86_64.AppImage from the PyInstaller bundle.
#
#   packaging/appimage/build-appimage.sh            (builds the bundle first with build-linux.sh if missing)
#
# Needs appimagetool: on PATH, in $APPIMAGETOOL, or downloaded from
# https://github.com/AppImage/appimagetool/releases (continuous, appimagetool-x86_64.AppImage) when
# CUTLINE_FETCH_APPIMAGETOOL=1. Without FUSE (containers, CI), run with APPIMAGE_EXTRACT_AND_RUN=1.
#
# Not built on the packaging machine (no appimagetool, no internet there); written to be run elsewhere.
#
# Notes:
# - Build on the OLDEST distribution you want to support (glibc is not bundled: the AppImage runs on
#   systems with the build machine's glibc or newer).
# - Like the .deb, the AppImage does not bundle the X11/xcb libraries Qt's xcb plugin needs from the
#   system: libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-image0 libxcb-render-util0 libxcb-shape0
#   libxcb-randr0 libxcb-xinerama0 libxcb-xkb1 libxkbcommon-x11-0 libegl1 libgl1 (desktop distributions
#   have them; a bare server install does not). libportaudio2 for sound.
# - The embedded servers are copied out of the AppImage into ~/.cache/cutline/appimage-servers/<version>
#   at first start (see AppRun), because they outlive the AppImage process.
# - Embedded servers do not exist on Windows; this recipe is Linux-only anyway.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
OUT="$ROOT/packaging/out"
DIST="$OUT/dist/cutline"
VERSION="$(sed -n 's/^version *= *"\([^"]*\)".*/\1/p' "$ROOT/pyproject.toml" | head -n1)"
ARCH="$(uname -m)"

if [ ! -x "$DIST/cutline" ]; then
    "$ROOT/packaging/build-linux.sh" --bundle-only
fi

TOOL="${APPIMAGETOOL:-$(command -v appimagetool || true)}"
if [ -z "$TOOL" ]; then
    if [ "${CUTLINE_FETCH_APPIMAGETOOL:-0}" = 1 ]; then
        TOOL="$OUT/appimagetool-$ARCH.AppImage"
        [ -x "$TOOL" ] || {
            curl -fsSL -o "$TOOL" \
                "https://github.com/AppImage/appimagetool/releases/download/continuous/appimagetool-$ARCH.AppImage"
            chmod +x "$TOOL"
        }
    else
        echo "appimagetool not found: install it, set APPIMAGETOOL, or set CUTLINE_FETCH_APPIMAGETOOL=1" >&2
        exit 1
    fi
fi

APPDIR="$OUT/Cutline.AppDir"
rm -rf "$APPDIR"
mkdir -p "$APPDIR/usr/lib" "$APPDIR/usr/share/applications" "$APPDIR/usr/share/metainfo" \
         "$APPDIR/usr/share/icons/hicolor/scalable/apps"
cp -a "$DIST" "$APPDIR/usr/lib/cutline"
echo "$VERSION" > "$APPDIR/usr/lib/cutline/VERSION"
install -m 0755 "$HERE/AppRun" "$APPDIR/AppRun"

RES="$ROOT/resources"
# appimagetool wants the desktop file and the icon at the AppDir's top, named like the Icon= key.
install -m 0644 "$RES/cutline.desktop" "$APPDIR/cutline.desktop"
install -m 0644 "$RES/cutline.desktop" "$APPDIR/usr/share/applications/cutline.desktop"
install -m 0644 "$RES/icons/cutline-256.png" "$APPDIR/cutline.png"
ln -sf cutline.png "$APPDIR/.DirIcon"
install -m 0644 "$RES/icons/cutline.svg" "$APPDIR/usr/share/icons/hicolor/scalable/apps/cutline.svg"
for png in "$RES"/icons/cutline-*.png; do
    size="$(basename "$png" .png)"; size="${size#cutline-}"
    mkdir -p "$APPDIR/usr/share/icons/hicolor/${size}x${size}/apps"
    install -m 0644 "$png" "$APPDIR/usr/share/icons/hicolor/${size}x${size}/apps/cutline.png"
done
# appimagetool validates metainfo named after the desktop file's id
install -m 0644 "$RES/io.github.cutline.Cutline.metainfo.xml" "$APPDIR/usr/share/metainfo/io.github.cutline.Cutline.metainfo.xml"

# Smoke-test the AppDir exactly as the AppImage will run it (AppRun, servers copied to a private cache).
SMOKE="$(mktemp -d)"; chmod 711 "$SMOKE"
env -u CUTLINE_DATABASE_URL -u CUTLINE_REDIS_URL CUTLINE_DATA_DIR="$SMOKE/data" CUTLINE_CONFIG_DIR="$SMOKE/config" \
    XDG_CACHE_HOME="$SMOKE/cache" QT_QPA_PLATFORM=offscreen "$APPDIR/AppRun" --smoke-test
env CUTLINE_DATA_DIR="$SMOKE/data" XDG_CACHE_HOME="$SMOKE/cache" "$APPDIR/AppRun" servers stop >/dev/null || true
rm -rf "$SMOKE"

IMAGE="$OUT/Cutline-$VERSION-$ARCH.AppImage"
rm -f "$IMAGE"
ARCH="$ARCH" "$TOOL" --no-appstream "$APPDIR" "$IMAGE"
echo "$(du -sh --apparent-size "$IMAGE" | cut -f1)  $IMAGE"
