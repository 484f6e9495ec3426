#!/usr/bin/env bash
# Soak of checkpoints and recovery: builds (Release) and runs the crash tests (tests/crash:
# SIGKILL at random moments, inside every checkpoint phase and the metadata commit, then
# recovery checked key by key) with many iterations, then the in-process fault tests
# (tests/conformance/checkpoint_fault_test.cc: power loss, corruption, failure modes) with a
# series of seeds. Prints the seed; exits non-zero on the first failure.
#
#   bash scripts/soak.sh                           50 crash iterations, 5 fault-test seeds
#   RSKV_CRASH_ITERATIONS=500 bash scripts/soak.sh
#   RSKV_SEED=123 bash scripts/soak.sh             replay a run (the seed it printed)
#   RSKV_SOAK_TSAN=1 bash scripts/soak.sh          then the checkpoint, fault and crash tests
#                                                  under ThreadSanitizer (build-tsan/)
#   RSKV_BUILD_DIR=build-x bash scripts/soak.sh    build elsewhere (default: build/)
#
# One crash iteration runs every crash test once more with fresh seeds derived from the
# seed: every bundle (chained/cuckoo x file/io_uring), about 150 writer processes killed and
# recovered. A failure prints the writer command lines of its campaign.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

iterations="${RSKV_CRASH_ITERATIONS:-50}"
fault_seeds="${RSKV_FAULT_SEEDS:-5}"
seed="${RSKV_SEED:-$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}"
dir="${RSKV_BUILD_DIR:-build}"
echo "soak: seed $seed, $iterations crash iterations, $fault_seeds fault-test seeds"
echo "soak: replay with RSKV_SEED=$seed RSKV_CRASH_ITERATIONS=$iterations bash scripts/soak.sh"

cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$dir" -j2 --target crash_test crash_writer checkpoint_fault_test checkpoint_test

start=$(date +%s)
RSKV_SEED="$seed" RSKV_CRASH_ITERATIONS="$iterations" "$dir/tests/crash/crash_test"
for i in $(seq 0 $((fault_seeds - 1))); do
  RSKV_SEED=$((seed + i)) "$dir/tests/conformance/checkpoint_fault_test"
done
echo "soak: Release runs passed in $(($(date +%s) - start)) s (seed $seed)"

if [ "${RSKV_SOAK_TSAN:-0}" = 1 ]; then
  export TSAN_OPTIONS="suppressions=$PWD/scripts/tsan.supp halt_on_error=1 ${TSAN_OPTIONS:-}"
  cmake -S . -B build-tsan -DRSKV_SANITIZE=thread -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  cmake --build build-tsan -j2 --target crash_test crash_writer checkpoint_fault_test \
    checkpoint_test
  RSKV_SEED="$seed" ctest --test-dir build-tsan --output-on-failure -j2 \
    -R '^(CheckpointTest|CheckpointPowerLoss|CheckpointCorruption|CheckpointFailureModes|CrashTest)'
  echo "soak: TSan runs passed (seed $seed)"
fi
