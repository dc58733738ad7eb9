# Sourced by the benchmark scripts: how busy the machine is.

# The share of the last second the CPUs were busy, in percent (/proc/stat).
busy_pct() {
  local a b
  a=$(head -1 /proc/stat)
  sleep 1
  b=$(head -1 /proc/stat)
  python3 - "$a" "$b" <<'PY'
import sys
a = [int(x) for x in sys.argv[1].split()[1:]]
b = [int(x) for x in sys.argv[2].split()[1:]]
d = [y - x for x, y in zip(a, b)]
total = sum(d) or 1
idle = d[3] + d[4]  # idle + iowait
print(round(100 * (total - idle) / total))
PY
}

# Waits up to 30 s for the CPUs to fall below 10% busy (what the previous
# run left behind: the broker's log flushes, its garbage collector); sets
# SETTLE_WAITED (seconds) and SETTLE_BUSY (percent, at the end).
settle() {
  SETTLE_WAITED=0
  SETTLE_BUSY=$(busy_pct)
  while [ "$SETTLE_BUSY" -gt 10 ] && [ "$SETTLE_WAITED" -lt 30 ]; do
    SETTLE_BUSY=$(busy_pct)
    SETTLE_WAITED=$((SETTLE_WAITED + 1))
  done
}
