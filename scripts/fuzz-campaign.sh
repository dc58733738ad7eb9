#!/usr/bin/env bash
# A long fuzzing campaign, outside CI: every target (or the ones named)
# for FUZZ_SECONDS each (default 1800), FUZZ_PARALLEL targets at a time
# (default 1; each target is one libFuzzer process), at the niceness
# FUZZ_NICE (default 19, so it only takes idle CPU on a shared machine).
#
#   scripts/fuzz-campaign.sh [target ...]
#
# Each target runs on a working corpus in fuzz/campaign/<target>, seeded
# from the committed fuzz/corpus/<target>. Afterwards the working corpus
# is minimised (`cargo fuzz cmin`) and added to fuzz/corpus/<target>;
# what the corpus held before is always kept. One line per target goes to
# fuzz/campaign/results.tsv: target, wall seconds, executions, exec/s,
# load average at the end, corpus files before and after minimising,
# and whether it crashed (the artifact is left in fuzz/artifacts/).
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
seconds=${FUZZ_SECONDS:-1800}
parallel=${FUZZ_PARALLEL:-1}
niceness=${FUZZ_NICE:-19}

if [ "$#" -gt 0 ]; then
  targets="$*"
else
  targets=$(cargo +nightly fuzz list)
fi
nice -n "$niceness" cargo +nightly fuzz build -O 2>&1 | tail -n 2
mkdir -p campaign
results=campaign/results.tsv
[ -f "$results" ] || printf 'target\tseconds\texecutions\texec_per_s\tload\tcorpus_before\tcorpus_after\tresult\n' >"$results"

run_one() {
  local t=$1 work=campaign/$1 log=campaign/$1.log start end runs rate outcome
  mkdir -p "$work" "corpus/$t"
  cp -rn "corpus/$t/." "$work/" 2>/dev/null || true
  start=$(date +%s)
  outcome=ok
  if ! nice -n "$niceness" cargo +nightly fuzz run -O "$t" "$work" -- \
      -max_total_time="$seconds" -rss_limit_mb=2048 -malloc_limit_mb=512 \
      -print_final_stats=1 >"$log" 2>&1; then
    outcome=crash
  fi
  end=$(date +%s)
  runs=$(grep -Eo 'Done [0-9]+ runs' "$log" | grep -Eo '[0-9]+' | tail -n 1 || true)
  runs=${runs:-$(grep -Eo '^#[0-9]+' "$log" | tail -n 1 | tr -d '#' || echo 0)}
  rate=$(( runs / ( end - start > 0 ? end - start : 1 ) ))
  local before after minimised
  before=$(find "$work" -type f | wc -l)
  minimised=$(mktemp -d)
  nice -n "$niceness" cargo +nightly fuzz cmin -O "$t" "$work" >"campaign/$t.cmin.log" 2>&1 || true
  # cmin minimises $work in place; every file the corpus held before
  # (hand-made seeds, golden vectors, Java-written batches) stays beside it.
  cp -r "corpus/$t/." "$minimised/" 2>/dev/null || true
  cp -n "$work"/* "$minimised/" 2>/dev/null || true
  rm -rf "corpus/$t" && mv "$minimised" "corpus/$t"
  chmod 755 "corpus/$t"
  after=$(find "corpus/$t" -type f | wc -l)
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$t" "$((end - start))" "$runs" "$rate" \
    "$(cut -d' ' -f1 /proc/loadavg)" "$before" "$after" "$outcome" >>"$results"
  echo "fuzz campaign $t: $runs executions in $((end - start)) s ($outcome)"
}

running=0
for t in $targets; do
  run_one "$t" &
  running=$((running + 1))
  if [ "$running" -ge "$parallel" ]; then
    wait -n || true
    running=$((running - 1))
  fi
done
wait
column -t -s $'\t' "$results"
