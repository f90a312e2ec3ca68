#!/usr/bin/env bash
# Take a screenshot of the desktop app under Xvfb (no GPU needed: glow + mesa llvmpipe).
#
#   scripts/screenshot.sh [OUT.png] [APP BINARY] [DATA FILES...]
#
# OUT.png defaults to screenshot.png; the binary to target/debug/examples/gui (built
# with `cargo build --example gui` if missing). With no data files, the sample data in
# sample-data/ is used when present, else a synthetic GeoJSON written to /tmp.
# Needs: apt-get install -y xvfb x11-apps imagemagick libgl1 libegl1 mesa-utils
#        libx11-6 libxcursor1 libx11-xcb1 libxi6 libxkbcommon-x11-0
set -euo pipefail
cd "$(dirname "$0")/.."

out="${1:-screenshot.png}"
bin="${2:-${CARGO_TARGET_DIR:-target}/debug/examples/gui}"
shift $(( $# > 2 ? 2 : $# ))
wait_secs="${WAIT_SECS:-6}"

if [[ ! -x "$bin" ]]; then
  cargo build --example gui
fi

files=("$@")
if [[ ${#files[@]} -eq 0 ]]; then
  if compgen -G "sample-data/*" >/dev/null; then
    mapfile -t files < <(find sample-data -maxdepth 2 -type f \( -name '*.shp' -o -name '*.geojson' -o -name '*.xlsx' -o -name '*.csv' \) | sort)
  else
    tmp=/tmp/qingling-screenshot
    mkdir -p "$tmp"
    # Two protection zones (a U-shaped level-2 zone around a level-1 zone with a
    # hole) and a few boilers, in Taiyuan, in WGS84.
    cat > "$tmp/水源保护区.geojson" <<'JSON'
{"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"名称":"汾河二级保护区","级别":"二级"},"geometry":{"type":"Polygon","coordinates":[[[112.50,37.80],[112.62,37.80],[112.62,37.92],[112.58,37.92],[112.58,37.84],[112.54,37.84],[112.54,37.92],[112.50,37.92],[112.50,37.80]]]}},
{"type":"Feature","properties":{"名称":"汾河一级保护区","级别":"一级"},"geometry":{"type":"Polygon","coordinates":[[[112.51,37.81],[112.61,37.81],[112.61,37.83],[112.51,37.83],[112.51,37.81]],[[112.55,37.815],[112.57,37.815],[112.57,37.825],[112.55,37.825],[112.55,37.815]]]}}
]}
JSON
    cat > "$tmp/燃煤锅炉.geojson" <<'JSON'
{"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"单位名称":"太原市晋源区供热站","燃料":"煤"},"geometry":{"type":"Point","coordinates":[112.52,37.86]}},
{"type":"Feature","properties":{"单位名称":"小店区豆腐坊","燃料":"煤"},"geometry":{"type":"Point","coordinates":[112.56,37.82]}},
{"type":"Feature","properties":{"单位名称":"清徐县醋厂","燃料":"天然气"},"geometry":{"type":"Point","coordinates":[112.65,37.88]}}
]}
JSON
    files=("$tmp/水源保护区.geojson" "$tmp/燃煤锅炉.geojson")
  fi
fi

# A free display number.
disp=99
while [[ -e "/tmp/.X11-unix/X$disp" || -e "/tmp/.X$disp-lock" ]]; do disp=$((disp + 1)); done

Xvfb ":$disp" -screen 0 1280x800x24 -nolisten tcp >/tmp/qingling-xvfb.log 2>&1 &
xvfb_pid=$!
app_pid=""
cleanup() {
  [[ -n "$app_pid" ]] && kill "$app_pid" 2>/dev/null || true
  kill "$xvfb_pid" 2>/dev/null || true
}
trap cleanup EXIT
sleep 1

# A fresh settings folder so a previous run's state does not leak in.
export XDG_DATA_HOME=/tmp/qingling-screenshot-data
export DISPLAY=":$disp" LIBGL_ALWAYS_SOFTWARE=1
"$bin" "${files[@]}" >/tmp/qingling-app.log 2>&1 &
app_pid=$!
sleep "$wait_secs"
if ! kill -0 "$app_pid" 2>/dev/null; then
  echo "the app exited early; log:" >&2
  cat /tmp/qingling-app.log >&2
  exit 1
fi
import -window root "$out"
echo "$out"
