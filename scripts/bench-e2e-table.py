#!/usr/bin/env python3
"""Prints the end-to-end benchmark (scripts/bench-e2e.sh) as markdown: per
load and client the median over the repeats of msgs/s, MB/s (MiB, as the
Java tools print it), the client process's CPU seconds (user + system,
startup included) per million messages and its peak RSS, with
ferrokafka's ratios against librdkafka and Java from the same run: against
the faster of each peer's configurations (librdkafka's consumer with and
without fetch.queue.backoff.ms=0, Java's producer with its 16 KiB and 1 MB
batches).

When the run has SSL loads beside their plaintext ones (--security both),
a second table gives per client the CPU per message over SSL minus over
plaintext. The run's load record (RESULTS.meta.tsv, beside the results)
decides whether the figures are publishable: the 1-minute load before the
run under the threshold, and the calibration loop timed before each repeat
within 1.25x of its fastest. --raw adds every run's figures.

    python3 scripts/bench-e2e-table.py [--raw] target/bench-e2e/results-*.tsv
"""
import csv, os, statistics, sys
from collections import defaultdict

raw = "--raw" in sys.argv[1:]
paths = [a for a in sys.argv[1:] if a != "--raw"]

rows = defaultdict(list)
order = []
runs = []
for path in paths:
    with open(path) as f:
        for r in csv.DictReader(f, delimiter="\t"):
            runs.append(r)
            if r["client"] == "java-producer":  # the consumer topic's fill
                continue
            key = (r["load"], r["client"])
            if key not in rows:
                order.append(key)
            records = int(r["records"])
            rss = r.get("max_rss_kb") or ""
            rows[key].append({
                "msgs": float(r["msgs_per_sec"]),
                "mb": float(r["mb_per_sec"]),
                "cpu": (float(r["user"]) + float(r["sys"])) / records * 1e6,
                "wall": float(r["wall"]),
                "rss": float(rss) / 1024 if rss else None,
                "rep": r["rep"],
            })

# The load record: publishable or not, and Java's transaction durations.
CALIBRATION_SPREAD = 1.25
status = []
java_txn = defaultdict(list)  # (load, client) -> [(rep, ms)]
txn_records = 10000
for path in paths:
    meta = path[:-4] + ".meta.tsv" if path.endswith(".tsv") else path + ".meta.tsv"
    if not os.path.exists(meta):
        status.append(f"No load record ({os.path.basename(meta)}): publishability unknown.")
        continue
    with open(meta) as f:
        m = list(csv.DictReader(f, delimiter="\t"))
    threshold = next((float(x["value"]) for x in m if x["what"] == "max_load"), None)
    before = next((float(x["value"]) for x in m if x["what"] == "load" and x["when"] == "before the run"), None)
    loads = [float(x["value"]) for x in m if x["what"] == "load" and x["when"] != "before the run"]
    calib = [float(x["value"]) for x in m if x["what"] == "calibration"]
    for x in m:
        if x["what"] == "txn_records":
            txn_records = int(x["value"])
        if x["what"] == "java_txn_ms":
            load, client, _, rep = x["when"].rsplit(" ", 3)
            java_txn[(load, client)].append((rep, float(x["value"])))
    problems = []
    if before is not None and threshold is not None and before >= threshold:
        problems.append(f"the 1-minute load before the run was {before:.2f}, "
                        f"not below {threshold:.2f}")
    if calib and max(calib) > CALIBRATION_SPREAD * min(calib):
        problems.append(f"the calibration loop took {min(calib):.2f}-{max(calib):.2f} s "
                        f"before the repeats (over {CALIBRATION_SPREAD}x its fastest): "
                        "something else took the CPU")
    facts = (f"1-minute load before the run {before:.2f} (threshold {threshold:.2f})"
             if before is not None and threshold is not None else "no load before the run")
    if loads:
        facts += f"; before the repeats {min(loads):.2f}-{max(loads):.2f} (the broker's own load decays)"
    if calib:
        facts += f"; calibration loop {min(calib):.2f}-{max(calib):.2f} s"
    if problems:
        status.append(f"**NOT PUBLISHABLE** ({os.path.basename(path)}): " + "; ".join(problems)
                      + f". ({facts}.)")
    else:
        status.append(f"Publishable ({os.path.basename(path)}): {facts}.")


def med(key, field):
    values = [x[field] for x in rows[key] if x[field] is not None]
    return statistics.median(values) if values else None


def producing(load):
    return load.startswith("produce") or load.startswith("txn")


def name(load, client):
    p = producing(load)
    return {
        "ferrokafka": "ferrokafka (produce + poll)" if p else "ferrokafka",
        "ferrokafka-send": "ferrokafka (send futures)",
        "librdkafka": "librdkafka (rdkafka " + ("BaseProducer)" if p else "BaseConsumer)"),
        "librdkafka-nobackoff": "librdkafka (BaseConsumer, fetch.queue.backoff.ms=0)",
        "java": "Java (ProducerPerformance)" if p else "Java (ConsumerPerformance)",
        "java-1mb": "Java (ProducerPerformance, batch.size=1000000)",
    }.get(client, client)


def best(load, peers):
    """The peer configuration with the highest median msgs/s in LOAD."""
    return max(((load, p) for p in peers if (load, p) in rows),
               key=lambda k: med(k, "msgs"), default=(load, peers[0]))


LIBRDKAFKA = ("librdkafka", "librdkafka-nobackoff")
JAVA = ("java", "java-1mb")

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
        lib, java = best(load, LIBRDKAFKA), best(load, JAVA)
        if lib in rows:
            ratios[0] = f"**{med(k, 'msgs') / med(lib, 'msgs'):.2f}x**"
            # /usr/bin/time counts in 10 ms steps: a tiny run may show 0.
            lib_cpu = med(lib, "cpu")
            ratios[2] = f"**{med(k, 'cpu') / lib_cpu:.2f}x**" if lib_cpu > 0 else "n/a"
        if java in rows:
            ratios[1] = f"**{med(k, 'msgs') / med(java, 'msgs'):.2f}x**"
    rss = med(k, "rss")
    rss = f"{rss:.0f}" if rss is not None else ""
    # ± is half the range of the repeats, against the median.
    return (f"| {load} | {name(load, c)} | {len(msgs)} | {med(k, 'msgs'):,.0f} (±{spread / 2:.0f}%) "
            f"| {med(k, 'mb'):.1f} | {med(k, 'cpu'):.2f} | {rss} | {med(k, 'wall'):.2f} | "
            + " | ".join(ratios) + " |")


for line in status:
    print(line)
    print()

header = ("| load | client | runs | msgs/s | MB/s | CPU s / 1M msgs | peak RSS MB | process wall s "
          "| msgs/s vs best librdkafka | msgs/s vs best Java | CPU/msg vs that librdkafka |\n"
          "|---|---|---|---|---|---|---|---|---|---|---|")
for kind in ("produce", "txn", "consume", "group"):
    kind_loads = [l for l in loads if l.startswith(kind)]
    if not kind_loads:
        continue
    print(header)
    for load in kind_loads:
        for c in [c for l, c in order if l == load]:
            print(row(load, c))
    print()
    if kind == "txn":
        for load in kind_loads:
            for c in JAVA:
                runs_ms = java_txn.get((load, c))
                if not runs_ms or (load, c) not in rows:
                    continue
                per_txn = [ms / 1000 * x["msgs"] for (rep, ms) in runs_ms
                           for x in rows[(load, c)] if x["rep"] == rep]
                print(f"{name(load, c)} on {load} commits by time, not by count: "
                      f"--transaction-duration-ms {', '.join(f'{ms:.0f}' for _, ms in runs_ms)} "
                      "(set from its previous run's rate), about "
                      + ", ".join(f"{n:,.0f}" for n in per_txn)
                      + " records per transaction at the rate each run reached; "
                      f"ferrokafka and librdkafka commit every {txn_records:,} records.")
                print()
    if kind == "group":
        print("A group of three processes: msgs/s from the first record any member read to the "
              "last; CPU is the three processes' sum, peak RSS the largest member's. Java's "
              "ConsumerPerformance has no such clock: not in this row.")
        print()

# SSL against plaintext, per client: what TLS adds.
pairs = [(l[: -len(" ssl")], l) for l in loads if l.endswith(" ssl") and l[: -len(" ssl")] in loads]
if pairs:
    print("| load | client | CPU s / 1M msgs plaintext | SSL | SSL - plaintext "
          "| that / librdkafka's (its) | msgs/s SSL / plaintext | SSL msgs/s vs best librdkafka |\n"
          "|---|---|---|---|---|---|---|---|")
    for plain, ssl in pairs:
        lib = best(ssl, LIBRDKAFKA)
        lib_delta = (med(lib, "cpu") - med((plain, lib[1]), "cpu")
                     if lib in rows and (plain, lib[1]) in rows else None)
        for c in [c for l, c in order if l == ssl]:
            if (plain, c) not in rows:
                continue
            p_cpu, s_cpu = med((plain, c), "cpu"), med((ssl, c), "cpu")
            delta = s_cpu - p_cpu
            vs = ""
            if c.startswith("ferrokafka") and lib_delta is not None:
                vs = (f"**{delta / lib_delta:.2f}x** ({lib_delta:+.2f})" if lib_delta > 0
                      else f"librdkafka's {lib_delta:+.2f}")
            thr = med((ssl, c), "msgs") / med((plain, c), "msgs")
            lead = (f"**{med((ssl, c), 'msgs') / med(lib, 'msgs'):.2f}x**"
                    if c.startswith("ferrokafka") and lib in rows else "")
            print(f"| {plain} | {name(plain, c)} | {p_cpu:.2f} | {s_cpu:.2f} | {delta:+.2f} "
                  f"| {vs} | {thr:.2f} | {lead} |")
    print()

if raw:
    print("Raw per-run figures:")
    print()
    print("| load | client | rep | records | seconds | msgs/s | wall s | user s | sys s | peak RSS MB |\n"
          "|---|---|---|---|---|---|---|---|---|---|")
    for r in runs:
        rss = r.get("max_rss_kb") or ""
        rss = f"{float(rss) / 1024:.0f}" if rss else ""
        print(f"| {r['load']} | {r['client']} | {r['rep']} | {r['records']} | {r['seconds']} "
              f"| {float(r['msgs_per_sec']):,.0f} | {r['wall']} | {r['user']} | {r['sys']} | {rss} |")
