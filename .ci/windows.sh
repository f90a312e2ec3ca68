#!/usr/bin/env bash
# CI, Windows part: cross-build qingling.exe (x86_64-pc-windows-gnu, static CRT), check
# that it needs no DLL beyond Windows' own, run the test suite as Windows programs
# under Wine, run the CLI on the sample data and compare its output with the Linux
# build's byte for byte, repeat with Chinese paths with spaces on a D: drive, CRLF text
# files and GBK (936) as the system code page, and start the desktop app under Wine on
# Xvfb and take a screenshot of it.
#
#   .ci/windows.sh            (called by .ci/run; also runs alone)
#
# Caches between runs on one machine: CARGO_TARGET_DIR (outside the clone) and the Wine
# prefix in $QINGLING_WINEPREFIX (default /var/tmp/qingling-wine). A clean machine
# installs everything itself (Debian packages, the rustup target) and makes a prefix.
# Artifacts (outputs, screenshot) go to $WIN_ARTIFACTS (default
# $CARGO_TARGET_DIR/windows-ci).
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$(pwd)"

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/work/target-shared}"
export CARGO_TERM_COLOR=never
target=x86_64-pc-windows-gnu
# CI's Windows profile (Cargo.toml `winci`): release minus most optimisation, so that
# the cross build fits CI's time. The shipped .exe is built with --release.
profile="${WIN_PROFILE:-winci}"
exe="$CARGO_TARGET_DIR/$target/$profile/qingling.exe"
linux_bin="$CARGO_TARGET_DIR/debug/qingling"
art="${WIN_ARTIFACTS:-$CARGO_TARGET_DIR/windows-ci}"

export WINEPREFIX="${QINGLING_WINEPREFIX:-/var/tmp/qingling-wine}"
export WINEDEBUG=-all
export WINEARCH=win64
# Debian's /usr/bin/wine wrapper warns on every call that 32-bit Wine is missing;
# qingling is 64-bit only, so call the 64-bit loader directly.
wine=/usr/lib/wine/wine64
# No Mono / Gecko installer dialogs (nothing here needs .NET or a browser engine).
export WINEDLLOVERRIDES="mscoree,mshtml="

t_start=$SECONDS
t_step=$SECONDS
step() {
  local now=$SECONDS
  if [[ -n "${step_name:-}" ]]; then
    echo "   (${step_name}: $((now - t_step)) s)"
  fi
  step_name="$1"
  t_step=$now
  echo "== windows: $1"
}

fail() {
  echo "windows: FAILED: $*" >&2
  exit 1
}

retry() {
  local n
  for n in 1 2 3; do
    if "$@"; then return 0; fi
    echo "   (attempt $n of 3 failed: $*; retrying)" >&2
    sleep $((n * 10))
  done
  return 1
}

# ---------------------------------------------------------------------------------
step "tools (mingw-w64, wine, xvfb, imagemagick, rustup target)"
need_pkgs=()
command -v x86_64-w64-mingw32-gcc >/dev/null || need_pkgs+=(gcc-mingw-w64-x86-64)
command -v x86_64-w64-mingw32-objdump >/dev/null || need_pkgs+=(binutils-mingw-w64-x86-64)
command -v wine >/dev/null || need_pkgs+=(wine wine64)
[[ -x /usr/lib/wine/wine64 ]] || need_pkgs+=(wine64)
command -v Xvfb >/dev/null || need_pkgs+=(xvfb)
[[ -x /usr/bin/import && -x /usr/bin/convert ]] || need_pkgs+=(imagemagick)
command -v xwininfo >/dev/null || need_pkgs+=(x11-utils)
# Wine's opengl32 loads the host's libGL; Mesa's llvmpipe draws without a GPU.
[[ -e /usr/lib/x86_64-linux-gnu/libGL.so.1 ]] || need_pkgs+=(libgl1 libglx-mesa0)
[[ -d /usr/lib/x86_64-linux-gnu/dri ]] || need_pkgs+=(libgl1-mesa-dri)
if ((${#need_pkgs[@]})); then
  echo "   installing: ${need_pkgs[*]}"
  export DEBIAN_FRONTEND=noninteractive
  retry apt-get update -qq
  retry apt-get install -y -qq "${need_pkgs[@]}" >/dev/null
fi
if ! rustup target list --installed | grep -qx "$target"; then
  retry rustup target add "$target"
fi
wine --version

# ---------------------------------------------------------------------------------
step "cross build: tests and qingling.exe ($target, profile $profile)"
# One build of everything: `cargo test` builds qingling.exe for the integration tests
# (a separate `cargo build` would compile the dependencies again with other features).
cargo test --profile "$profile" --target "$target" --no-run
ls -l "$exe"

# ---------------------------------------------------------------------------------
step "qingling.exe needs only Windows' own DLLs"
mapfile -t dlls < <(x86_64-w64-mingw32-objdump -p "$exe" | sed -n 's/^\s*DLL Name: //p' | sort -fu)
printf '   %s\n' "${dlls[@]}"
for dll in "${dlls[@]}"; do
  case "${dll,,}" in
    kernel32.dll | user32.dll | gdi32.dll | advapi32.dll | shell32.dll | ole32.dll | \
      oleaut32.dll | comctl32.dll | comdlg32.dll | ws2_32.dll | userenv.dll | \
      bcrypt.dll | bcryptprimitives.dll | ntdll.dll | combase.dll | opengl32.dll | imm32.dll | \
      dwmapi.dll | uxtheme.dll | shlwapi.dll | msvcrt.dll | crypt32.dll | secur32.dll | \
      winmm.dll | dbghelp.dll | propsys.dll | uiautomationcore.dll | version.dll | \
      setupapi.dll | hid.dll | api-ms-win-*.dll) ;;
    *) fail "qingling.exe imports $dll, which is not part of Windows" ;;
  esac
done

# ---------------------------------------------------------------------------------
step "wine prefix ($WINEPREFIX)"
stamp="$WINEPREFIX/.qingling-wine-version"
if [[ ! -f "$WINEPREFIX/system.reg" || "$(cat "$stamp" 2>/dev/null)" != "$(wine --version)" ]]; then
  rm -rf "$WINEPREFIX"
  xvfb-run -a wineboot -i
  wineserver -w
  wine --version >"$stamp"
fi
# Rust's std (1.78+) takes random bytes from ProcessPrng in bcryptprimitives.dll, part
# of Windows 10 and later but missing from Wine 8: a stand-in built here from
# .ci/wine/bcryptprimitives.c (it forwards to RtlGenRandom). Real Windows has its own.
sys32="$WINEPREFIX/drive_c/windows/system32"
if [[ ! -f "$sys32/bcryptprimitives.dll" || .ci/wine/bcryptprimitives.c -nt "$sys32/bcryptprimitives.dll" ]]; then
  x86_64-w64-mingw32-gcc -O2 -shared -s -o "$sys32/bcryptprimitives.dll" \
    .ci/wine/bcryptprimitives.c .ci/wine/bcryptprimitives.def -ladvapi32
fi
# D: is a scratch folder, so that the tests use a real drive letter path.
scratch="$(mktemp -d /var/tmp/qingling-winci.XXXXXX)"
trap 'wineserver -k 2>/dev/null || true; rm -rf "$scratch"' EXIT
ln -sfn "$scratch" "$WINEPREFIX/dosdevices/d:"

# ---------------------------------------------------------------------------------
step "cargo test as Windows programs under Wine"
# Every unit and integration test of the crate (the GUI's headless tests too), as
# .exe files run by Wine; the integration tests run qingling.exe.
wine_rc=0
CARGO_TARGET_X86_64_PC_WINDOWS_GNU_RUNNER="$wine" \
  cargo test --profile "$profile" --target "$target" >"$scratch/wine-test.log" 2>&1 || wine_rc=$?
grep -E '^(test result|     Running|failures:|---- )' "$scratch/wine-test.log" | sed 's/^/   /' || true
if ((wine_rc != 0)); then
  tail -n 80 "$scratch/wine-test.log"
  fail "cargo test under Wine (exit $wine_rc)"
fi
grep -q '^test result: ' "$scratch/wine-test.log" || fail "cargo test under Wine ran no test"
awk '/^test result: ok/ {p += $4; f += $6; i += $8} END {print "wine: " p " passed, " f " failed, " i " skipped"}' "$scratch/wine-test.log"

# ---------------------------------------------------------------------------------
step "CLI on the sample data: qingling.exe (Wine) vs Linux build, byte for byte"
# The Linux build of .ci/run's `cargo test` (a no-op after it), copied at once in case
# another build shares CARGO_TARGET_DIR.
cargo test --no-run 2>"$scratch/linux-build.log" || { cat "$scratch/linux-build.log"; fail "Linux build"; }
rm -rf "$art"
mkdir -p "$art/linux" "$art/windows"
cp "$linux_bin" "$art/qingling-linux"
linux_bin="$art/qingling-linux"
win() { "$wine" "$exe" "$@"; }
lin() { "$linux_bin" "$@"; }
compare() { # compare NAME FILE_A FILE_B
  if cmp -s "$2" "$3"; then
    echo "   same: $1"
  else
    diff <(head -c 4000 "$2" | cat -A) <(head -c 4000 "$3" | cat -A) | head -n 20 >&2 || true
    fail "$1 differs between Linux ($2) and Windows ($3)"
  fi
}
# Both builds read the same relative paths, so path text in the output agrees too.
samples=(sample-data/水源保护区.shp sample-data/散乱污企业.shp sample-data/禁煤区.geojson
  sample-data/建成区.geojson sample-data/锅炉台账.xlsx sample-data/入河排污口.csv)
for s in "${samples[@]}"; do
  b="$(basename "$s")"
  lin inspect "$s" >"$art/linux/inspect-$b.txt"
  win inspect "$s" >"$art/windows/inspect-$b.txt"
  compare "inspect $b" "$art/linux/inspect-$b.txt" "$art/windows/inspect-$b.txt"
  lin inspect --json "$s" >"$art/linux/inspect-$b.json"
  win inspect --json "$s" >"$art/windows/inspect-$b.json"
  compare "inspect --json $b" "$art/linux/inspect-$b.json" "$art/windows/inspect-$b.json"
done
for sites in 锅炉台账.xlsx 散乱污企业.shp 入河排污口.csv; do
  for pred in intersects within; do
    o="join-$pred-$sites.csv"
    lin join --predicate "$pred" --zones sample-data/水源保护区.shp sample-data/禁煤区.geojson \
      --sites "sample-data/$sites" --out "$art/linux/$o" 2>/dev/null
    win join --predicate "$pred" --zones sample-data/水源保护区.shp sample-data/禁煤区.geojson \
      --sites "sample-data/$sites" --out "$art/windows/$o" 2>/dev/null
    compare "$o" "$art/linux/$o" "$art/windows/$o"
  done
done
for ext in csv geojson; do
  o="check.$ext"
  args=(check -q --water-zones sample-data/水源保护区.shp --coal-ban-zones sample-data/禁煤区.geojson
    --built-up sample-data/建成区.geojson --boilers sample-data/锅炉台账.xlsx
    --enterprises sample-data/散乱污企业.shp --outfalls sample-data/入河排污口.csv)
  lin "${args[@]}" --out "$art/linux/$o"
  win "${args[@]}" --out "$art/windows/$o"
  compare "$o" "$art/linux/$o" "$art/windows/$o"
done
lin demo -q --data sample-data --out "$art/linux/demo"
win demo -q --data sample-data --out "$art/windows/demo"
for f in 问题台账.csv 问题台账.geojson 问题台账.shp 问题台账.shx 问题台账.dbf 问题台账.prj 问题台账.cpg; do
  compare "demo $f" "$art/linux/demo/$f" "$art/windows/demo/$f"
done
# The .xlsx and .gpkg carry creation times. The Linux build reads the Windows build's
# .xlsx and must see what it sees in its own; the GeoPackages' SQL dumps must agree
# apart from the ISO timestamps and the separator in the source paths the project
# records (sample-data\x.shp on Windows).
f=问题台账.xlsx
(cd "$art/linux/demo" && "$linux_bin" inspect "$f") >"$art/linux/demo-inspect-$f.txt"
(cd "$art/windows/demo" && "$linux_bin" inspect "$f") >"$art/windows/demo-inspect-$f.txt"
compare "demo $f (as read back)" "$art/linux/demo-inspect-$f.txt" "$art/windows/demo-inspect-$f.txt"
for f in 问题台账.gpkg 清零示例项目.gpkg; do
  python3 .ci/wine/gpkg_dump.py "$art/linux/demo/$f" >"$art/linux/demo-$f.sql"
  python3 .ci/wine/gpkg_dump.py "$art/windows/demo/$f" --windows-paths sample-data >"$art/windows/demo-$f.sql"
  compare "demo $f (SQL dump, times masked)" "$art/linux/demo-$f.sql" "$art/windows/demo-$f.sql"
done

# ---------------------------------------------------------------------------------
step "Chinese paths with spaces on D:, CRLF text files, GBK (936) system code page"
# Wine takes the Windows code page from the Unix locale: with a generated zh_CN.UTF-8
# locale, LC_ALL=zh_CN.UTF-8 gives ACP=OEMCP=936 (GBK), as on a Chinese Windows, while
# Wine still maps file names and the command line to the host as UTF-8. (The registry's
# Nls\CodePage values do not change it; LC_ALL=zh_CN.GBK does, but then Wine also reads
# the host's file names and argv as GBK, which no real Windows does.) A tiny probe
# compiled with mingw checks GetACP().
if ! locale -a | grep -qix 'zh_CN.utf8'; then
  command -v localedef >/dev/null || { retry apt-get update -qq; retry apt-get install -y -qq locales >/dev/null; }
  localedef -i zh_CN -f UTF-8 zh_CN.UTF-8
fi
export LC_ALL=zh_CN.UTF-8
wineserver -k 2>/dev/null || true
probe="$scratch/acp.exe"
printf '#include <windows.h>\n#include <stdio.h>\nint main(void){printf("%%u %%u\\n",GetACP(),GetOEMCP());return 0;}\n' >"$scratch/acp.c"
x86_64-w64-mingw32-gcc -O1 -o "$probe" "$scratch/acp.c"
cp_now="$("$wine" "$probe" | tr -d '\r')"
echo "   system code page under Wine (ACP OEMCP): $cp_now"
[[ "$cp_now" == "936 936" ]] || fail "could not set the Windows code page to 936 (got $cp_now)"

dir="$scratch/数据/县区 2019"
mkdir -p "$dir"
for e in shp shx dbf prj cpg; do cp "sample-data/水源保护区.$e" "$dir/水源地.$e"; done
for e in shp shx dbf; do cp "sample-data/散乱污企业.$e" "$dir/散乱污 企业.$e"; done
cp sample-data/锅炉台账.xlsx "$dir/锅炉 台账.xlsx"
cp sample-data/入河排污口.csv "$dir/入河排污口.csv"
# CRLF text files, as a Windows checkout (git autocrlf) or Notepad leaves them.
# Also every sample file under its own name (layer names, which the findings
# carry, come from file names).
cp sample-data/*.shp sample-data/*.shx sample-data/*.dbf sample-data/*.prj sample-data/*.cpg \
  sample-data/*.xlsx sample-data/*.csv "$dir/"
for f in 水源地.prj 水源地.cpg 水源保护区.prj 水源保护区.cpg; do sed -i 's/\r\?$/\r/' "$dir/$f"; done
for f in 禁煤区 建成区; do sed 's/\r\?$/\r/' "sample-data/$f.geojson" >"$dir/$f.geojson"; done
grep -q $'\r' "$dir/禁煤区.geojson" || fail "CRLF copy"
D='D:\数据\县区 2019'

# inspect: the path and layer name as given, then the same report as for the original.
lin inspect sample-data/水源保护区.shp | tail -n +3 >"$art/linux/inspect-gbk.txt"
win inspect "$D\\水源地.shp" >"$art/windows/inspect-gbk-raw.txt"
printf 'file:      %s\nlayer:     %s\n' "$D\\水源地.shp" 水源地 >"$art/windows/inspect-gbk-head-expected.txt"
head -n 2 "$art/windows/inspect-gbk-raw.txt" >"$art/windows/inspect-gbk-head.txt"
compare "inspect D:\\数据\\县区 2019\\水源地.shp (path and layer name)" "$art/windows/inspect-gbk-head-expected.txt" "$art/windows/inspect-gbk-head.txt"
tail -n +3 "$art/windows/inspect-gbk-raw.txt" >"$art/windows/inspect-gbk.txt"
compare "inspect D:\\数据\\县区 2019\\水源地.shp" "$art/linux/inspect-gbk.txt" "$art/windows/inspect-gbk.txt"
win inspect "$D\\禁煤区.geojson" | tail -n +2 >"$art/windows/inspect-crlf-geojson.txt"
lin inspect sample-data/禁煤区.geojson | tail -n +2 >"$art/linux/inspect-crlf-geojson.txt"
compare "inspect CRLF geojson (after the path line)" "$art/linux/inspect-crlf-geojson.txt" "$art/windows/inspect-crlf-geojson.txt"

# join: pairs written to a Chinese path with a space, same bytes as on Linux.
lin join --zones sample-data/水源保护区.shp sample-data/禁煤区.geojson --sites sample-data/锅炉台账.xlsx \
  --out "$art/linux/join-gbk.csv" 2>/dev/null
win join --zones "$D\\水源地.shp" "$D\\禁煤区.geojson" --sites "$D\\锅炉 台账.xlsx" \
  --out "$D\\结果 配对.csv" 2>/dev/null
[[ -f "$dir/结果 配对.csv" ]] || fail "join did not write D:\\数据\\县区 2019\\结果 配对.csv (as UTF-8 name on the host)"
compare "join on D:\\数据\\县区 2019" "$art/linux/join-gbk.csv" "$dir/结果 配对.csv"

# check: findings written to a Chinese path with a space, project beside them.
lin check -q --water-zones sample-data/水源保护区.shp --coal-ban-zones sample-data/禁煤区.geojson \
  --built-up sample-data/建成区.geojson --boilers sample-data/锅炉台账.xlsx \
  --enterprises sample-data/散乱污企业.shp --outfalls sample-data/入河排污口.csv \
  --out "$art/linux/check-gbk.csv"
win check -q --water-zones "$D\\水源保护区.shp" --coal-ban-zones "$D\\禁煤区.geojson" \
  --built-up "$D\\建成区.geojson" --boilers "$D\\锅炉台账.xlsx" \
  --enterprises "$D\\散乱污企业.shp" --outfalls "$D\\入河排污口.csv" \
  --project "$D\\审核 项目.gpkg" --out "$D\\问题 台账.csv"
compare "check on D:\\数据\\县区 2019" "$art/linux/check-gbk.csv" "$dir/问题 台账.csv"
[[ -s "$dir/审核 项目.gpkg" ]] || fail "check did not write the project D:\\数据\\县区 2019\\审核 项目.gpkg"

# demo into a Chinese folder with a space.
win demo -q --data "$(winepath -w "$repo/sample-data")" --out "$D\\演示 输出"
compare "demo into D:\\数据\\县区 2019\\演示 输出" "$art/linux/demo/问题台账.csv" "$dir/演示 输出/问题台账.csv"
# A lone qingling.exe (as on a user's desktop, no sample-data/ beside it): `demo` uses
# the sample data built into it.
mkdir -p "$scratch/桌面"
cp "$exe" "$scratch/桌面/qingling.exe"
(cd "$scratch/桌面" && "$wine" qingling.exe demo -q --out 'D:\单独 演示')
[[ -f "$scratch/单独 演示/样例数据/水源保护区.shp" ]] || fail "demo of a lone qingling.exe did not use its built-in sample data"
compare "demo of a lone qingling.exe" "$art/linux/demo/问题台账.csv" "$scratch/单独 演示/问题台账.csv"
unset LC_ALL
wineserver -k 2>/dev/null || true

# ---------------------------------------------------------------------------------
step "desktop app under Wine on Xvfb: open the demo project and take a screenshot"
cp -r "$art/windows/demo" "$scratch/demo-gui"
scripts/windows-screenshot.sh "$art/qingling-wine.png" "$exe" "$scratch/demo-gui/清零示例项目.gpkg"

step "done"
echo "windows: all steps passed in $((SECONDS - t_start)) s; artifacts in $art"
