"""SQL dump of a GeoPackage for comparing the Linux and Windows builds' files.

    python3 gpkg_dump.py FILE.gpkg [--windows-paths DIR]

ISO timestamps (creation and change times) become <time>, and imported layers' content
fingerprints <fingerprint> (they hash the source paths, whose separators differ). With
--windows-paths DIR, the Windows path separator after DIR (a source path the project
records, as written by qingling.exe: DIR\\file, JSON-escaped DIR\\\\file) becomes '/',
as on Linux.
"""
import re
import sqlite3
import sys

path = sys.argv[1]
prefix = sys.argv[3] if len(sys.argv) > 3 and sys.argv[2] == "--windows-paths" else None
time = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z")
fingerprint = re.compile(r"'v1:[0-9a-f]{32}'")
for line in sqlite3.connect(path).iterdump():
    line = time.sub("<time>", line)
    line = fingerprint.sub("'<fingerprint>'", line)
    if prefix:
        line = line.replace(prefix + "\\\\", prefix + "/").replace(prefix + "\\", prefix + "/")
    print(line)
