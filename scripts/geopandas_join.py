#!/usr/bin/python3
"""The same join as `qingling join` in GeoPandas, for the comparison the engine issue
asks for: sites x zones, predicate intersects, pairs sorted, written as CSV.

    /usr/bin/python3 scripts/geopandas_join.py scale-data/1000000x2000 [out.csv]

Needs Debian's python3-geopandas (apt-get install python3-geopandas). Prints the read,
join and total times; run it under /usr/bin/time -f %M for the peak memory. GeoPandas
reads the GBK DBF with encoding='gbk' (it would otherwise garble the text)."""
import sys
import time

import geopandas as gpd

t0 = time.perf_counter()
d = sys.argv[1]
zones = gpd.read_file(f"{d}/zones.shp", encoding="gbk")
sites = gpd.read_file(f"{d}/sites.shp", encoding="gbk")
t1 = time.perf_counter()
if sites.crs != zones.crs:
    sites = sites.to_crs(zones.crs)
pairs = gpd.sjoin(sites[["geometry"]], zones[["geometry"]], how="inner", predicate="intersects")
out = pairs.index.to_frame(name="site_fid")
out["zone_fid"] = pairs["index_right"].values
out = out.sort_values(["site_fid", "zone_fid"])
t2 = time.perf_counter()
if len(sys.argv) > 2:
    out.to_csv(sys.argv[2], index=False)
t3 = time.perf_counter()
print(
    f"geopandas {gpd.__version__}: read {t1 - t0:.2f} s, join {t2 - t1:.2f} s, "
    f"write {t3 - t2:.2f} s, total {t3 - t0:.2f} s, {len(out)} pairs"
)
