#!/usr/bin/env python3
"""Prints the end-to-end benchmark (scripts/bench-e2e.sh) as markdown: per
load and client the median over the repeats of msgs/s, MB/s (MiB, as the
Java tools print it) and the client process's CPU seconds (user + system,
startup included) per million messages, with ferrokafka's ratios against
librdkafka and Java from the same run: against the faster of each peer's
configurations (librdkafka's consumer with and without
fetch.queue.backoff.ms=0, Java's producer with its 16 KiB and 1 MB
batches).

    python3 scripts/bench-e2e-table.py target/bench-e2e/results-*.tsv
"""
import csv, statistics, sys
from collections import defaultdict

rows = defaultdict(list)
order = []
for path in sys.argv[1:]:
    with open(path) as f:
        for r in csv.DictReader(f, delimiter="\t"):
            if r["client"] == "java-producer":  # the consumer topic's fill
                continue
            key = (r["load"], r["client"])
            if key not in rows:
                order.append(key)
            records = int(r["records"])
            rows[key].append({
                "msgs": float(r["msgs_per_sec"]),
                "mb": float(r["mb_per_sec"]),
                "cpu": (float(r["user"]) + float(r["sys"])) / records * 1e6,
                "wall": float(r["wall"]),
            })

def med(key, field):
    return statistics.median(x[field] for x in rows[key])

def name(load, client):
    producing = load.startswith("produce")
    return {
        "ferrokafka": "ferrokafka (produce + poll)" if producing else "ferrokafka",
        "ferrokafka-send": "ferrokafka (send futures)",
        "librdkafka": "librdkafka (rdkafka " + ("BaseProducer)" if producing else "BaseConsumer)"),
        "librdkafka-nobackoff": "librdkafka (BaseConsumer, fetch.queue.backoff.ms=0)",
        "java": "Java (ProducerPerformance)" if producing else "Java (ConsumerPerformance)",
        "java-1mb": "Java (ProducerPerformance, batch.size=1000000)",
    }.get(client, client)

loads = []
for load, _ in order:
    if load not in loads:
        loads.append(load)
def row(load, c):
    k = (load, c)
    msgs = [x["msgs"] for x in rows[k]]
    spread = (max(msgs) - min(msgs)) / med(k, "msgs") * 100
    ratios = ["", "", ""]
    if c.startswith("ferrokafka"):
        # Against the faster configuration of each peer run.
        lib = max(((load, p) for p in ("librdkafka", "librdkafka-nobackoff") if (load, p) in rows),
                  key=lambda k: med(k, "msgs"), default=(load, "librdkafka"))
        java = max(((load, p) for p in ("java", "java-1mb") if (load, p) in rows),
                   key=lambda k: med(k, "msgs"), default=(load, "java"))
        if lib in rows:
            ratios[0] = f"**{med(k, 'msgs') / med(lib, 'msgs'):.2f}x**"
            # /usr/bin/time counts in 10 ms steps: a tiny run may show 0.
            lib_cpu = med(lib, "cpu")
            ratios[2] = f"**{med(k, 'cpu') / lib_cpu:.2f}x**" if lib_cpu > 0 else "n/a"
        if java in rows:
            ratios[1] = f"**{med(k, 'msgs') / med(java, 'msgs'):.2f}x**"
    # ± is half the range of the repeats, against the median.
    return (f"| {load} | {name(load, c)} | {len(msgs)} | {med(k, 'msgs'):,.0f} (±{spread / 2:.0f}%) "
            f"| {med(k, 'mb'):.1f} | {med(k, 'cpu'):.2f} | {med(k, 'wall'):.2f} | "
            + " | ".join(ratios) + " |")


header = ("| load | client | runs | msgs/s | MB/s | CPU s / 1M msgs | process wall s "
          "| msgs/s vs best librdkafka | msgs/s vs best Java | CPU/msg vs that librdkafka |\n"
          "|---|---|---|---|---|---|---|---|---|---|")
for kind in ("produce", "consume"):
    kind_loads = [l for l in loads if l.startswith(kind)]
    if not kind_loads:
        continue
    print(header)
    for load in kind_loads:
        for c in [c for l, c in order if l == load]:
            print(row(load, c))
    print()
