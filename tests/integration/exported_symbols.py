#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The shared library exports exactly the public API, and the version script lists it.

    exported_symbols.py CC LIBRARY MAPFILE INCLUDE_DIR...

The public API is every function the installed headers declare with IOMMUSIM_API; the
headers are run through the C preprocessor (so a declaration split over lines, or one in a
generated header, is found like any other). The library's exports are what `nm -D` lists as
defined, and the version script's are the names its nodes list. The three sets must be equal:
a function declared but not exported cannot be linked, one exported but not declared is an
accident of visibility, and one missing from the version script has no version.
"""
import re
import subprocess
import sys


def declared(cc, includes):
    args = [cc, "-E", "-P", "-std=c11", "-D_POSIX_C_SOURCE=200809L"]
    for inc in includes:
        args += ["-I", inc]
    args += ["-x", "c", "-"]
    out = subprocess.run(args, input="#include <iommusim/iommusim.h>\n", text=True,
                         capture_output=True, check=True).stdout
    names = set()
    # IOMMUSIM_API expands to the visibility attribute; the function's name is the last
    # identifier before the first parenthesis after it.
    for m in re.finditer(r'visibility\s*\(\s*"default"\s*\)\s*\)\s*\)', out):
        rest = out[m.end():m.end() + 600]
        decl = rest[:rest.index("(")]
        names.add(re.findall(r"[A-Za-z_]\w*", decl)[-1])
    return names


def exported(library):
    out = subprocess.run(["nm", "-D", "--defined-only", library], text=True,
                         capture_output=True, check=True).stdout
    names = set()
    for line in out.splitlines():
        fields = line.split()
        if len(fields) == 3 and fields[1] in "TDBRV":
            names.add(fields[2].split("@")[0])
    return names


def versioned(mapfile):
    text = re.sub(r"/\*.*?\*/", "", open(mapfile).read(), flags=re.S)
    names = set()
    for block in re.findall(r"global:(.*?)(?:local:|\})", text, flags=re.S):
        names.update(n.strip() for n in block.split(";") if n.strip())
    return names


def main():
    if len(sys.argv) < 5:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    cc, library, mapfile, includes = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
    api, so, vs = declared(cc, includes), exported(library), versioned(mapfile)
    problems = []
    problems += ["declared in the headers, not exported: " + n for n in sorted(api - so)]
    problems += ["exported, not declared with IOMMUSIM_API: " + n for n in sorted(so - api)]
    problems += ["declared, missing from " + mapfile + ": " + n for n in sorted(api - vs)]
    problems += ["in " + mapfile + ", not declared: " + n for n in sorted(vs - api)]
    if "*" in vs or any("*" in n for n in vs):
        problems.append(mapfile + ": a glob exports whatever happens to be visible")
    for p in problems:
        print("exported_symbols: " + p)
    print(f"exported_symbols: {len(api)} declared, {len(so)} exported, {len(vs)} versioned")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
