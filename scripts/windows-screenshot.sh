#!/usr/bin/env bash
# Start the Windows desktop app (qingling.exe) under Wine on a private Xvfb display,
# wait until its window is up and drawn, and take a screenshot of the screen.
#
#   scripts/windows-screenshot.sh OUT.png QINGLING.EXE [PROJECT.gpkg]
#
# Fails when no window appears, or when the screenshot is blank (one colour), so that
# it proves the app created an OpenGL context (Wine's opengl32 → Mesa llvmpipe, no GPU)
# and drew. WAIT_SECS (default 90) bounds the wait for the window; SETTLE_SECS
# (default 12) is the time given to load the project and draw after it appears.
# Uses WINEPREFIX (default /var/tmp/qingling-wine, made by .ci/windows.sh).
# Needs: wine wine64 xvfb x11-utils imagemagick libgl1-mesa-dri.
set -euo pipefail

out="${1:?usage: windows-screenshot.sh OUT.png QINGLING.EXE [PROJECT.gpkg]}"
exe="${2:?usage: windows-screenshot.sh OUT.png QINGLING.EXE [PROJECT.gpkg]}"
project="${3:-}"
wait_secs="${WAIT_SECS:-90}"
settle_secs="${SETTLE_SECS:-12}"
export WINEPREFIX="${WINEPREFIX:-/var/tmp/qingling-wine}"
export WINEDEBUG="${WINEDEBUG:--all}"
export WINEDLLOVERRIDES="${WINEDLLOVERRIDES:-mscoree,mshtml=}"
# Software OpenGL on a machine without a GPU.
export LIBGL_ALWAYS_SOFTWARE=1

# A free display number.
disp=97
while [[ -e "/tmp/.X11-unix/X$disp" || -e "/tmp/.X$disp-lock" ]]; do disp=$((disp + 1)); done
Xvfb ":$disp" -screen 0 1400x900x24 -nolisten tcp >/dev/null 2>&1 &
xvfb_pid=$!
log="$(mktemp /tmp/qingling-wine-gui.XXXXXX.log)"
app_pid=""
cleanup() {
  if [[ -n "$app_pid" ]]; then kill "$app_pid" 2>/dev/null || true; fi
  DISPLAY=":$disp" wineserver -k 2>/dev/null || true
  kill "$xvfb_pid" 2>/dev/null || true
  wait 2>/dev/null || true
}
trap cleanup EXIT
export DISPLAY=":$disp"
for _ in $(seq 50); do
  xdpyinfo >/dev/null 2>&1 && break
  sleep 0.2
done
xdpyinfo >/dev/null 2>&1 || { echo "windows-screenshot: Xvfb did not start" >&2; exit 1; }

# The project path as Windows sees it (Z: is the host's /).
args=()
if [[ -n "$project" ]]; then
  args+=("$(winepath -w "$project")")
fi
"${WINE:-/usr/lib/wine/wine64}" "$exe" "${args[@]}" >"$log" 2>&1 &
app_pid=$!

# Wait for a top-level window of the app (its title starts with "qingling" / 清零).
found=""
for _ in $(seq "$wait_secs"); do
  if ! kill -0 "$app_pid" 2>/dev/null; then
    echo "windows-screenshot: qingling.exe exited before showing a window:" >&2
    cat "$log" >&2
    exit 1
  fi
  found="$(xwininfo -root -tree 2>/dev/null | grep -iE '"[^"]*(qingling|清零)[^"]*"' | head -n 1 || true)"
  [[ -n "$found" ]] && break
  sleep 1
done
if [[ -z "$found" ]]; then
  echo "windows-screenshot: no qingling window after $wait_secs s; app output:" >&2
  cat "$log" >&2
  exit 1
fi
echo "   window: $(echo "$found" | sed 's/^ *//')"
sleep "$settle_secs"
kill -0 "$app_pid" 2>/dev/null || { echo "windows-screenshot: app died:" >&2; cat "$log" >&2; exit 1; }

/usr/bin/import -display ":$disp" -window root "$out"
colours="$(/usr/bin/convert "$out" -format '%k' info:)"
echo "   screenshot: $out ($(/usr/bin/identify -format '%wx%h' "$out"), $colours colours)"
if ((colours < 50)); then
  echo "windows-screenshot: the screen is (nearly) blank: the app did not draw; app output:" >&2
  cat "$log" >&2
  exit 1
fi
if [[ -s "$log" ]]; then
  echo "   app output (first lines):"
  head -n 20 "$log" | sed 's/^/     /'
fi
