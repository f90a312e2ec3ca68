#!/usr/bin/env bash
# Scale test: generate N sites x M zones (EPSG:4546 shapefiles with GBK DBFs) and time
# whole processes several times (wall time, CPU time and peak memory):
#
# - `qingling join` of N boilers against the zones, and `qingling check` (all built-in
#   rules) on the same files;
# - the same for a mixed set of N/2 boilers and N/2 enterprises (企业名称/行业/是否散乱污/
#   整治类型), join taking both site files. Its enterprises are a stress case: three in
#   four are 散乱污 and none is dealt with, so most get a finding;
# - and for the same boilers with enterprises whose ledger has a 是否完成 column, 10% of
#   them not yet done ("open10"), as a ledger reads part-way through a campaign.
#
# With --project last, it then times `check --project` on open10: into a new project
# (every layer imported, every finding new), then twice again on the same files (the
# layers unchanged since their import are kept, every finding exists).
#
#   scripts/scale.sh [SITES] [ZONES] [RUNS] [--project]   e.g. scripts/scale.sh 2000000 20000 5
set -euo pipefail
export LC_ALL=C
project=false
if [ "${*: -1}" = "--project" ]; then
  project=true
  set -- "${@:1:$(($# - 1))}"
fi
sites=${1:-1000000}
zones=${2:-2000}
runs=${3:-5}
cd "$(dirname "$0")/.."
dir="scale-data/${sites}x${zones}"
mixed="scale-data/${sites}x${zones}-mixed"
open10="scale-data/${sites}x${zones}-open10"
cargo build --release --no-default-features --bin qingling --example scale_data
bin="${CARGO_TARGET_DIR:-target}/release/qingling"
gen="${CARGO_TARGET_DIR:-target}/release/examples/scale_data"
if [ ! -f "$dir/sites.shp" ]; then
  "$gen" --sites "$sites" --zones "$zones" --out "$dir"
fi
if [ ! -f "$mixed/sites.shp" ]; then
  "$gen" --sites $((sites / 2)) --zones "$zones" --out "$mixed"
fi
if [ ! -f "$mixed/enterprises.shp" ]; then
  "$gen" --sites $((sites / 2)) --zones "$zones" --out "$mixed" --kind enterprise --seed 2020
fi
if [ ! -f "$open10/enterprises.shp" ]; then
  # The mixed set's zones and boilers; enterprises (and a copy of the zones) made aside.
  mkdir -p "$open10"
  for f in "$mixed"/zones.* "$mixed"/sites.*; do ln -sf "$(realpath "$f")" "$open10/"; done
  "$gen" --sites $((sites / 2)) --zones "$zones" --out "$open10.tmp" --kind enterprise --seed 2020 \
    --open-percent 10
  mv "$open10.tmp"/enterprises.* "$open10/"
  rm -r "$open10.tmp"
fi
du -sh "$dir"/*.shp "$dir"/*.dbf "$mixed"/*.shp "$mixed"/*.dbf

# Warm the page cache once, then time.
"$bin" join --zones "$dir/zones.shp" --sites "$dir/sites.shp" --out "$dir/pairs.csv" --quiet
echo "pairs: $(($(wc -l < "$dir/pairs.csv") - 1))"
"$bin" check --water-zones "$dir/zones.shp" --boilers "$dir/sites.shp" --out "$dir/findings.csv" --quiet
echo "findings: $(($(wc -l < "$dir/findings.csv") - 1))"

# The four commands in rounds, so that the machine's changing speed affects them alike.
times=$(mktemp)
# Wall time to the millisecond from the shell's clock (time's own %e is to 10 ms, a
# seventh of a join here); CPU times and peak memory from time.
timed() {
  local label=$1 i=$2 start end wall user sys rss
  shift 2
  start=$EPOCHREALTIME
  /usr/bin/time -o "$times.one" -f "%U %S %M" "$@"
  end=$EPOCHREALTIME
  read -r user sys rss < "$times.one"
  wall=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.3f", b - a }')
  echo "$label run $i: $wall s wall, $user s user, $sys s sys, $rss KiB peak RSS"
  echo "$label|$wall" >> "$times"
}
for i in $(seq 1 "$runs"); do
  timed "join  (boilers)" "$i" "$bin" join --zones "$dir/zones.shp" --sites "$dir/sites.shp" \
    --out "$dir/pairs.csv" --quiet
  timed "check (boilers)" "$i" "$bin" check --water-zones "$dir/zones.shp" --boilers "$dir/sites.shp" \
    --out "$dir/findings.csv" --quiet
  timed "join  (mixed)" "$i" "$bin" join --zones "$mixed/zones.shp" \
    --sites "$mixed/sites.shp" "$mixed/enterprises.shp" --out "$mixed/pairs.csv" --quiet
  timed "check (mixed)" "$i" "$bin" check --water-zones "$mixed/zones.shp" --boilers "$mixed/sites.shp" \
    --enterprises "$mixed/enterprises.shp" --out "$mixed/findings.csv" --quiet
  timed "join  (open10)" "$i" "$bin" join --zones "$open10/zones.shp" \
    --sites "$open10/sites.shp" "$open10/enterprises.shp" --out "$open10/pairs.csv" --quiet
  timed "check (open10)" "$i" "$bin" check --water-zones "$open10/zones.shp" --boilers "$open10/sites.shp" \
    --enterprises "$open10/enterprises.shp" --out "$open10/findings.csv" --quiet
done

# Median and range of each, and check over join by medians.
median() { grep -F "$1|" "$times" | cut -d'|' -f2 | sort -n | awk '{v[NR]=$1} END {print v[int((NR+1)/2)], v[1], v[NR]}'; }
echo
for set in boilers mixed open10; do
  read -r jm jlo jhi <<< "$(median "join  ($set)")"
  read -r cm clo chi <<< "$(median "check ($set)")"
  case $set in boilers) d=$dir ;; mixed) d=$mixed ;; *) d=$open10 ;; esac
  findings=$(($(wc -l < "$d/findings.csv") - 1))
  pairs=$(($(wc -l < "$d/pairs.csv") - 1))
  # What each writes: the join two numbers per pair, the check a ledger row per finding.
  mb() { awk -v b="$(stat -c %s "$1")" 'BEGIN { printf "%.2f MB", b / 1e6 }'; }
  echo "$set ($findings findings): join median $jm s ($jlo–$jhi), check median $cm s ($clo–$chi), check/join $(awk -v c="$cm" -v j="$jm" 'BEGIN { printf "%.2f", c / j }')"
  echo "    join wrote $pairs pairs ($(mb "$d/pairs.csv")), check $findings ledger rows ($(mb "$d/findings.csv"))"
done

if $project; then
  echo
  gpkg="$open10/project.gpkg"
  rm -f "$gpkg"
  for label in "check --project (new project)" "check --project (same files)" "check --project (same files)"; do
    timed "$label" 1 "$bin" check --project "$gpkg" --water-zones "$open10/zones.shp" \
      --boilers "$open10/sites.shp" --enterprises "$open10/enterprises.shp" \
      --out "$open10/findings-project.csv" --quiet
  done
  if cmp -s "$open10/findings.csv" "$open10/findings-project.csv"; then
    echo "findings through the project: the same as without"
  else
    echo "findings through the project DIFFER from those without"
  fi
fi
rm -f "$times" "$times.one"
