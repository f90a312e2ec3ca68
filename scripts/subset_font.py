#!/usr/bin/env python3
"""Subset a CJK font to ASCII, CJK punctuation and every character of GBK.

qingling embeds the result (assets/fonts/qingling-cjk.ttf) so that every Chinese
character an office file in GBK can hold renders on a machine without CJK fonts.

Usage: scripts/subset_font.py [SOURCE.ttf] [OUT.ttf]
Default source: WenQuanYi Micro Hei (Debian package fonts-wqy-microhei, face 0 of
wqy-microhei.ttc, Apache-2.0 or GPL-3+ with font exception; used under Apache-2.0).
It is Droid Sans Fallback extended, and unlike Droid it has the eight characters
U+9FB4..U+9FBB that GBK codes such as 0xFE59 decode to in the WHATWG/GB18030 tables
(which encoding_rs, and so qingling, uses).
Needs fonttools (`pip install fonttools`).
"""
import subprocess
import sys
import tempfile

SOURCE = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"
OUT = "assets/fonts/qingling-cjk.ttf"


def gbk_codepoints():
    """Every code point that a GBK double-byte code decodes to (by the GBK table and
    by the GB18030 table, which maps some codes to Unicode characters instead of the
    private use area), plus printable ASCII."""
    cps = set(range(0x20, 0x7F))
    for lead in range(0x81, 0xFF):
        for trail in range(0x40, 0xFF):
            if trail == 0x7F:
                continue
            for codec in ("gbk", "gb18030"):
                try:
                    ch = bytes([lead, trail]).decode(codec)
                except UnicodeDecodeError:
                    continue
                cps.update(ord(c) for c in ch if not 0xE000 <= ord(c) <= 0xF8FF)
    # Where the WHATWG/GB18030-2005 table (encoding_rs) maps a GBK code to a real
    # character but Python's tables give private use: 0xFE59.. and the vertical forms.
    cps.update(range(0x9FB4, 0x9FBC))
    cps.update(range(0xFE10, 0xFE1A))
    # CJK symbols and punctuation, full-width forms, general punctuation.
    cps.update(range(0x3000, 0x3040))
    cps.update(range(0xFF00, 0xFFF0))
    cps.update(range(0x2000, 0x2070))
    cps.update([0x00B0, 0x00B7, 0x00D7, 0x00F7, 0x2103, 0x2116, 0x2192, 0x2190, 0x2191, 0x2193, 0x25B2, 0x25BC, 0x25CF, 0x25CB, 0x2715, 0x2713])
    return sorted(cps)


def main():
    source = sys.argv[1] if len(sys.argv) > 1 else SOURCE
    out = sys.argv[2] if len(sys.argv) > 2 else OUT
    cps = gbk_codepoints()
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
        f.write(",".join(f"U+{cp:04X}" for cp in cps))
        unicodes = f.name
    subprocess.run(
        [
            "pyftsubset",
            source,
            f"--unicodes-file={unicodes}",
            f"--output-file={out}",
            "--layout-features=*",
            "--no-hinting",
            "--desubroutinize",
            "--name-IDs=*",
            "--notdef-outline",
            "--font-number=0",
        ],
        check=True,
    )
    print(f"{out}: {len(cps)} code points requested")


if __name__ == "__main__":
    main()
