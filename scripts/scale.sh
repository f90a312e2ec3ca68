#!/usr/bin/env bash
# Scale test: generate N sites x M zones (EPSG:4546 shapefiles with GBK DBFs) and time
# the whole `qingling join` process several times (wall time and peak memory).
#
#   scripts/scale.sh [SITES] [ZONES] [RUNS]      e.g. scripts/scale.sh 2000000 20000 5
set -euo pipefail
sites=${1:-1000000}
zones=${2:-2000}
runs=${3:-5}
cd "$(dirname "$0")/.."
dir="scale-data/${sites}x${zones}"
cargo build --release --no-default-features --bin qingling --example scale_data
bin="${CARGO_TARGET_DIR:-target}/release/qingling"
if [ ! -f "$dir/sites.shp" ]; then
  "${CARGO_TARGET_DIR:-target}/release/examples/scale_data" --sites "$sites" --zones "$zones" --out "$dir"
fi
du -sh "$dir"/*.shp "$dir"/*.dbf
# Warm the page cache once, then time.
"$bin" join --zones "$dir/zones.shp" --sites "$dir/sites.shp" --out "$dir/pairs.csv" --quiet
echo "pairs: $(($(wc -l < "$dir/pairs.csv") - 1))"
for i in $(seq 1 "$runs"); do
  /usr/bin/time -f "run $i: %e s wall, %U s user, %M KiB peak RSS" \
    "$bin" join --zones "$dir/zones.shp" --sites "$dir/sites.shp" --out "$dir/pairs.csv" --quiet
done
