#!/usr/bin/env python3
"""The table of scripts/bench-rebalance.sh's results file: per protocol and
client, the medians over the quiet repeats (over all of them, marked
"busy", when none was quiet), in BENCHMARKS.md's markdown.

    scripts/bench-rebalance-table.py RESULTS.tsv
"""
import csv
import statistics
import sys


def median(rows, key):
    vals = [float(r[key]) for r in rows if r[key] != ""]
    return statistics.median(vals) if vals else None


def fmt(v):
    return "n/a" if v is None else f"{v:,.0f}"


def main(path):
    rows = list(csv.DictReader(open(path), delimiter="\t"))
    cells = {}
    for r in rows:
        cells.setdefault((r["protocol"], r["client"]), []).append(r)
    print("| protocol | client | runs | newcomer: made -> first record (ms) "
          "| newcomer: launched -> first record (ms) "
          "| longest pause of an existing member around the join (ms) "
          "| longest pause before the join (ms) |")
    print("|---|---|---|---|---|---|---|")
    names = {"classic": "classic, cooperative-sticky", "consumer": "consumer (KIP-848)"}
    clients = {"ferrokafka": "ferrokafka", "java": "Java KafkaConsumer"}
    for (protocol, client) in sorted(cells):
        all_rows = cells[(protocol, client)]
        quiet = [r for r in all_rows if r["busy"] == "0"]
        use = quiet or all_rows
        failed = sum(1 for r in use if r["max_pause_ms"] == "")
        runs = f"{len(use)}" + ("" if quiet else " (busy)") + (f", {failed} failed" if failed else "")
        print(f"| {names.get(protocol, protocol)} | {clients.get(client, client)} | {runs} "
              f"| {fmt(median(use, 'created_to_first_ms'))} "
              f"| {fmt(median(use, 'launch_to_first_ms'))} "
              f"| {fmt(median(use, 'max_pause_ms'))} "
              f"| {fmt(median(use, 'baseline_pause_ms'))} |")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
