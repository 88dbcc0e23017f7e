#!/usr/bin/env python3
"""Summarises ab-overhead.sh output: for each broker and side, every round's meterstream / raw-work
ratio of the rate and of the CPU per message (paired within the round), their medians over all
runs, and the same without each run's round 1 (the JIT still compiling: its CPU shows in round 1
of every variant). Usage: ab-summary.py DIR"""
import collections, glob, os, re, statistics, sys

rows = collections.defaultdict(list)  # (broker, side) -> [(run, round, rate_ratio, cpu_ratio, load)]
for path in sorted(glob.glob(os.path.join(sys.argv[1], "*-*-[0-9]*.txt"))):
    broker, side, run = re.match(r"([a-z]+)-(.+)-(\d+)\.txt$", os.path.basename(path)).groups()
    rates, cpus, loads, rnd = collections.defaultdict(dict), collections.defaultdict(dict), {}, 1
    for line in open(path):
        m = re.match(r"\s+(\S+)\s+([\d,.]+) (msg/s|CPU us/msg)\s+\(load ([\d.]+)", line)
        if m:
            (rates if m.group(3) == "msg/s" else cpus)[rnd][m.group(1)] = float(m.group(2).replace(",", ""))
            loads[rnd] = m.group(4)
        m = re.match(r"\s+-- round (\d+) done", line)
        if m:
            rnd = int(m.group(1)) + 1
    for r in sorted(rates):
        if "meterstream" in rates[r] and "raw-work" in rates[r]:
            rows[(broker, side)].append((int(run), r, rates[r]["meterstream"] / rates[r]["raw-work"],
                                         cpus[r]["meterstream"] / cpus[r]["raw-work"] if r in cpus and len(cpus[r]) == 2 else float("nan"),
                                         loads.get(r, "?")))

def med(xs):
    xs = [x for x in xs if x == x]
    return statistics.median(xs) if xs else float("nan")

print("| broker | side | rounds | rate ratio, median (all rounds) | without round 1 | CPU/msg ratio, median (all) | without round 1 | load (1 min) |")
print("|---|---|---:|---:|---:|---:|---:|---|")
for (broker, side), rs in sorted(rows.items()):
    later = [x for x in rs if x[1] > 1]
    loads = [float(x[4]) for x in rs if x[4] != "?"]
    print(f"| {broker} | {side} | {len(rs)} | {med([x[2] for x in rs]):.3f} | {med([x[2] for x in later]):.3f} | "
          f"{med([x[3] for x in rs]):.2f} | {med([x[3] for x in later]):.2f} | {min(loads):.1f}-{max(loads):.1f} |")
print()
print("Per round (run, round: rate ratio / CPU ratio, load):")
for (broker, side), rs in sorted(rows.items()):
    print(f"- {broker} {side}: " + "; ".join(f"{a}.{b}: {c:.2f} / {d:.2f} ({e})" for a, b, c, d, e in sorted(rs)))
