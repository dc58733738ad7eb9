#!/usr/bin/env python3
"""Prints the record-batch bench as a table of ratios, from criterion's
estimates (target/criterion), so BENCHMARKS.md quotes the same run."""
import json, pathlib
root = pathlib.Path(__file__).resolve().parent.parent / "target/criterion"
def mean(group, who, codec):
    p = root / group / who / codec / "new/estimates.json"
    return json.loads(p.read_text())["mean"]["point_estimate"] / 1000.0  # us
print("| op | codec | ferrokafka (µs) | kafka-protocol (µs) | kafka-protocol / ferrokafka |")
print("|---|---|---|---|---|")
for group, who in (("decode", "ferrokafka"), ("decode", "ferrokafka-owned"), ("encode", "ferrokafka")):
    for codec in ("none", "gzip", "snappy", "lz4", "zstd"):
        ours, theirs = mean(group, who, codec), mean(group, "kafka-protocol", codec)
        label = group if who == "ferrokafka" else group + " + owned records"
        print(f"| {label} | {codec} | {ours:.1f} | {theirs:.1f} | {theirs/ours:.2f}x |")
crc = mean("decode", "crc32c-floor", "none")
print(f"\nCRC32C alone over the uncompressed batch: {crc:.1f} µs; "
      f"ferrokafka's uncompressed decode is {mean('decode','ferrokafka','none')/crc:.1f}x that.")
