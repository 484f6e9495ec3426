#!/usr/bin/env bash
# Sets up (Debian packages), builds (Release, -j2) and runs the default test suite.
#   scripts/test.sh              default run: unit, conformance, stress (small), cli, experiments
#   RSKV_SANITIZE=thread scripts/test.sh    the same under ThreadSanitizer (build-tsan/)
#   RSKV_SANITIZE=address scripts/test.sh   under ASan+UBSan (build-asan/)
#   RSKV_TEST_LABEL=soak scripts/test.sh    only the tests carrying that ctest label
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

san="${RSKV_SANITIZE:-}"
case "$san" in
  "") dir=build; extra=() ;;
  thread) dir=build-tsan; extra=(-DRSKV_SANITIZE=thread -DCMAKE_BUILD_TYPE=RelWithDebInfo)
          export TSAN_OPTIONS="suppressions=$PWD/scripts/tsan.supp ${TSAN_OPTIONS:-}" ;;
  address) dir=build-asan; extra=(-DRSKV_SANITIZE=address -DCMAKE_BUILD_TYPE=RelWithDebInfo) ;;
  undefined) dir=build-ubsan; extra=(-DRSKV_SANITIZE=undefined -DCMAKE_BUILD_TYPE=RelWithDebInfo) ;;
  *) echo "RSKV_SANITIZE must be thread, address or undefined (got '$san')" >&2; exit 2 ;;
esac

cmake -S . -B "$dir" "${extra[@]}" >/dev/null
cmake --build "$dir" -j2
label="${RSKV_TEST_LABEL:-}"
if [ -n "$label" ]; then
  ctest --test-dir "$dir" --output-on-failure -j2 -L "$label"
else
  # soak and long tests have their own commands (see README)
  ctest --test-dir "$dir" --output-on-failure -j2 -LE 'soak|long'
fi
