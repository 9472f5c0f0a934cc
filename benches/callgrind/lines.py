#!/usr/bin/env python3
# Part of the callgrind harness: see README.md (Benchmarks).
# Distinct 64-byte code lines executed, per function, from callgrind --dump-instr=yes.
# usage: lines.py OUT [N]
import sys, re, collections
out = sys.argv[1]; n = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
names = {}; lines = collections.defaultdict(set); cost = collections.Counter()
curfn = None; addr = 0; incall = False
def resolve(kind, s):
    m = re.match(r'\((\d+)\)(?: (.*))?', s)
    if not m: return s
    k = (kind, m.group(1))
    if m.group(2): names[k] = m.group(2)
    return names.get(k, s)
for line in open(out):
    line = line.rstrip('\n')
    if line.startswith('fn='): curfn = resolve('fn', line[3:]); continue
    if line.startswith(('fl=','fi=','fe=')): resolve('fl', line[3:]); continue
    if line.startswith(('cfn=', 'cfi=', 'cfl=', 'cob=', 'ob=')):
        if line.startswith('cfn='): resolve('fn', line[4:])
        continue
    if line.startswith('calls='): incall = True; continue
    if not line or not (line[0] in '0123456789+-*'): continue
    parts = line.split(); a = parts[0]
    if a.startswith('0x'): addr = int(a, 16)
    elif a.startswith('+'): addr += int(a[1:])
    elif a.startswith('-'): addr -= int(a[1:])
    if incall: incall = False; continue
    if len(parts) >= 3 and int(parts[2]) > 0:
        lines[curfn].add(addr // 64); cost[curfn] += int(parts[2])
allset = set()
for f in lines: allset |= lines[f]
print("total distinct lines %d (%d KB), instr %d" % (len(allset), len(allset)*64//1024, sum(cost.values())//n))
for f in sorted(lines, key=lambda f: -len(lines[f]))[:40]:
    print("%5d lines %7d instr  %s" % (len(lines[f]), cost[f]//n, f[:110]))
