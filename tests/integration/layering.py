#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The build keeps the guest kernel (lib/) from reaching the simulated machine (sim/).

Reads the compile commands Meson wrote and checks, for every lib/ source, that no include
path points into sim/ (in the source tree or the build tree); then compiles, with the exact
flags of one lib/ file, a probe that includes a sim/ header, and expects the compiler to
refuse it. The same probe compiled with a sim/ file's flags must succeed, so the check cannot
pass because the probe is broken.

usage: layering.py SOURCE_ROOT BUILD_ROOT
"""
import json
import os
import shlex
import subprocess
import sys
import tempfile

PROBE = '#include "workload/nvme.h"\nint isim_layering_probe(void);\n'


def include_dirs(argv, cwd):
    dirs = []
    for i, a in enumerate(argv):
        if a.startswith('-I') and len(a) > 2:
            dirs.append(a[2:])
        elif a in ('-I', '-isystem', '-iquote') and i + 1 < len(argv):
            dirs.append(argv[i + 1])
    return [os.path.realpath(os.path.join(cwd, d)) for d in dirs]


def probe_compiles(entry, probe_path):
    argv = shlex.split(entry['command']) if 'command' in entry else list(entry['arguments'])
    out = []
    skip = False
    for a in argv:
        if skip:
            skip = False
            continue
        if a in ('-o', '-MF', '-MQ', '-MT'):
            skip = True
            continue
        if a in ('-c', '-MD') or a == entry['file'] or os.path.basename(a) == os.path.basename(
                entry['file']):
            continue
        out.append(a)
    out += ['-fsyntax-only', probe_path]
    r = subprocess.run(out, cwd=entry['directory'], capture_output=True, text=True)
    return r.returncode == 0, r.stderr


def main():
    src, build = (os.path.realpath(p) for p in sys.argv[1:3])
    with open(os.path.join(build, 'compile_commands.json')) as f:
        entries = json.load(f)

    def under(entry, folder):
        path = os.path.realpath(os.path.join(entry['directory'], entry['file']))
        return path.startswith(os.path.join(src, folder) + os.sep)

    lib_entries = [e for e in entries if under(e, 'lib')]
    sim_entries = [e for e in entries if under(e, 'sim')]
    if not lib_entries or not sim_entries:
        print('no lib/ or sim/ compile commands in %s' % build)
        return 1
    forbidden = [os.path.join(src, 'sim'), os.path.join(build, 'sim')]
    bad = 0
    for e in lib_entries:
        argv = shlex.split(e['command']) if 'command' in e else e['arguments']
        for d in include_dirs(argv, e['directory']):
            if any(d == f or d.startswith(f + os.sep) for f in forbidden):
                print('%s is compiled with the include path %s' % (e['file'], d))
                bad += 1
    with tempfile.TemporaryDirectory() as tmp:
        probe = os.path.join(tmp, 'probe.c')
        with open(probe, 'w') as f:
            f.write(PROBE)
        ok, err = probe_compiles(sim_entries[0], probe)
        if not ok:
            print('the probe does not compile even as a sim/ file:\n' + err)
            return 1
        for e in lib_entries:
            ok, _ = probe_compiles(e, probe)
            if ok:
                print('%s: a sim/ header compiles with its flags' % e['file'])
                bad += 1
    print('%d lib/ files checked, %d problems' % (len(lib_entries), bad))
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main())
