#!/usr/bin/env python3
# Part of the callgrind harness: see README.md (Benchmarks).
# L1i set pressure of the code lines a run executes (callgrind --dump-instr=yes).
import sys, re, collections
out=sys.argv[1]; sets=int(sys.argv[2]) if len(sys.argv)>2 else 64
addr=0; incall=False; lines=set()
for line in open(out):
    line=line.rstrip('\n')
    if line.startswith('calls='): incall=True; continue
    if not line or line[0] not in '0123456789+-*': continue
    parts=line.split(); a=parts[0]
    if a.startswith('0x'): addr=int(a,16)
    elif a.startswith('+'): addr+=int(a[1:])
    elif a.startswith('-'): addr-=int(a[1:])
    if incall: incall=False; continue
    if len(parts)>=3 and int(parts[2])>0: lines.add(addr//64)
c=collections.Counter(l%sets for l in lines)
hist=collections.Counter(c.values())
print(len(lines),"lines; lines per set:",sorted(hist.items()),"sets over 8:",sum(1 for v in c.values() if v>8), "excess:", sum(max(0,v-8) for v in c.values()))
