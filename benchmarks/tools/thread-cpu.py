#!/usr/bin/env python3
"""Runs one benchmark JVM and samples every thread's CPU (user, sys) and context switches from /proc
every 50 ms (the last value seen per thread counts: pipelines' threads end before the JVM); prints totals
per thread name. Usage: thread-cpu.py CLASSPATH_FILE TAG BENCH [k=v ...]; the JVM's output goes to
/tmp/ctx-TAG-out.txt. Thread names are cut to 15 characters by Linux (meterstream-ben = the
pipeline's worker, timer and lease threads; meterstream-kaf = the Kafka source's poll thread)."""
import os, re, subprocess, sys, time, collections
cp, tag = sys.argv[1], sys.argv[2]
out = open(f'/tmp/ctx-{tag}-out.txt', 'w')
p = subprocess.Popen(['java', '-Xms1g', '-Xmx1g', '-XX:+UseG1GC', '-cp', open(cp).read().strip(),
                      'io.github.meterstream.bench.Bench'] + sys.argv[3:], stdout=out, stderr=subprocess.STDOUT)
last = {}
while p.poll() is None:
    try:
        tids = os.listdir(f'/proc/{p.pid}/task')
    except FileNotFoundError:
        break
    for t in tids:
        try:
            base = f'/proc/{p.pid}/task/{t}/'
            st = open(base + 'stat').read()
            comm = st[st.index('(') + 1:st.rindex(')')]
            f = st[st.rindex(')') + 2:].split()
            status = open(base + 'status').read()
            v = int(re.search(r'^voluntary_ctxt_switches:\s+(\d+)', status, re.M).group(1))
            nv = int(re.search(r'^nonvoluntary_ctxt_switches:\s+(\d+)', status, re.M).group(1))
            last[t] = (comm, int(f[11]), int(f[12]), v, nv)
        except (FileNotFoundError, ProcessLookupError, ValueError, AttributeError):
            pass
    time.sleep(0.05)
agg = collections.defaultdict(lambda: [0, 0, 0, 0, 0])
for comm, u, s, v, nv in last.values():
    a = agg[re.sub(r'[-0-9]+$', '', comm)]
    a[0] += u; a[1] += s; a[2] += v; a[3] += nv; a[4] += 1
for k, a in sorted(agg.items(), key=lambda kv: -(kv[1][0] + kv[1][1]))[:10]:
    print(f"{tag} {k:18s} threads {a[4]:3d} user {a[0]/100:6.2f}s sys {a[1]/100:6.2f}s vol-cs {a[2]:8d} invol-cs {a[3]:7d}")
