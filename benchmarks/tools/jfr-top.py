#!/usr/bin/env python3
"""Aggregates `jfr print --events jdk.ExecutionSample` output: top frames (self) and inclusive
counts per method, optionally per thread-name prefix. Usage: jfr-top.py FILE.txt [N]"""
import re, sys, collections

text = open(sys.argv[1]).read()
n = int(sys.argv[2]) if len(sys.argv) > 2 else 25
self_c, incl_c, threads = collections.Counter(), collections.Counter(), collections.Counter()
total = 0
for ev in text.split("jdk.ExecutionSample")[1:]:
    m = re.search(r'sampledThread = "([^"]*)"', ev)
    thread = re.sub(r'[-0-9]+$', '', m.group(1)) if m else '?'
    frames = re.findall(r'^\s+([\w$.<>/]+)\(.*?line:', ev, re.M)
    if not frames:
        continue
    total += 1
    threads[thread] += 1
    self_c[frames[0]] += 1
    for f in set(frames):
        incl_c[f] += 1
print(f"samples: {total}")
print("\nby thread:")
for t, c in threads.most_common(12):
    print(f"  {100*c/total:5.1f}%  {t}")
print("\ntop frames (self):")
for f, c in self_c.most_common(n):
    print(f"  {100*c/total:5.1f}%  {f}")
print("\ninclusive (meterstream and hot library methods):")
for f, c in incl_c.most_common(400):
    if any(k in f for k in ("meterstream", "jackson", "hibernate", "kafka.clients", "activemq", "LockSupport", "ThreadPoolExecutor")):
        print(f"  {100*c/total:5.1f}%  {f}")
