#!/usr/bin/env python3
"""COMPATIBILITY.md's version table from scripts/compat.sh's reports.

    scripts/compat-table.py [REPORT_DIR]   (default .cache/compat-report)

Reads <version>.tsv (API, broker range, client range, version used) of
every version there and prints one Markdown table: a row per API, a
column per broker version with "used (broker min-max)"; then each
version's notes (<version>.notes).
"""
import pathlib
import sys


def version_key(name):
    return tuple(int(p) for p in name.split("."))


def main():
    d = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else ".cache/compat-report")
    versions = sorted((p.stem for p in d.glob("*.tsv")), key=version_key)
    rows, client, features = {}, {}, {}
    for v in versions:
        for line in (d / f"{v}.tsv").read_text().splitlines():
            if line.startswith("#"):
                features[v] = line.split("\t", 1)[1]
                continue
            api, broker, ours, used = line.split("\t")
            rows.setdefault(api, {})[v] = (broker, used)
            client[api] = ours
    print("| API | client | " + " | ".join(f"Kafka {v}" for v in versions) + " |")
    print("|---|---|" + "---|" * len(versions))
    for api, per in rows.items():
        cells = []
        for v in versions:
            broker, used = per.get(v, ("-", "-"))
            cells.append("not offered" if broker == "-" else
                         f"{used} ({broker})" if used != "-" else f"- ({broker})")
        print(f"| {api} | {client[api]} | " + " | ".join(cells) + " |")
    print("| features | | " + " | ".join(features.get(v, "") for v in versions) + " |")
    for v in versions:
        notes = d / f"{v}.notes"
        if notes.exists():
            print(f"\nKafka {v}:")
            for line in sorted(set(notes.read_text().splitlines())):
                print(f"- {line}")


main()
