#!/usr/bin/env python3
"""Seeds the fuzz corpus from the golden vectors: each Kafka-written
request/response becomes an input of the `request`/`response` target,
prefixed with the two bytes those targets read (API index in
SUPPORTED_APIS order, version offset). Run by scripts/golden/generate.sh."""
import os, re, pathlib

root = pathlib.Path(__file__).resolve().parent.parent
mod = (root / "protocol/src/messages/mod.rs").read_text()
table = re.search(r"apis! \{(.*?)\n\}", mod, re.S).group(1)
order = re.findall(r"^\s*(\w+) =>", table, re.M)
golden = root / "protocol/tests/data/golden"
for kind, target in (("request", "request"), ("response", "response")):
    out = root / "fuzz/corpus" / target
    out.mkdir(parents=True, exist_ok=True)
    for api_dir in sorted(golden.iterdir()):
        versions = sorted(int(p.stem.split("-v")[1]) for p in api_dir.glob(f"{kind}-v*.bin"))
        lo = versions[0]
        for v in versions:
            body = (api_dir / f"{kind}-v{v}.bin").read_bytes()
            seed = bytes([order.index(api_dir.name), v - lo]) + body
            (out / f"golden-{api_dir.name}-v{v}").write_bytes(seed)
print("seeded from", golden)
