#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Set up, then run every test: cmocka unit tests, then the end-to-end suites
# (pytest + scapy, real hosts in network namespaces, real peers).
# Exits non-zero if anything fails.
#
# usage: scripts/test.sh [pytest args...]     e.g. scripts/test.sh -k api
set -uo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh || exit 1
echo "test: hugepages: $(scripts/hugepages.sh)"

status=0
echo "== unit tests (cmocka)"
meson test -C build --suite unit --print-errorlogs -v || status=1

echo "== clang build with ASan/UBSan: unit tests again, then bounded fuzzing (libFuzzer)"
if [ ! -f build-clang/build.ninja ]; then
    CC=clang meson setup build-clang -Dfuzz=true -Db_sanitize=address,undefined -Db_lto=false \
        -Db_lundef=false -Dc_args=-fsanitize=fuzzer-no-link \
        -Dc_link_args=-fsanitize=fuzzer-no-link >/dev/null || status=1
fi
if ninja -C build-clang >/dev/null; then
    meson test -C build-clang --suite unit --print-errorlogs || status=1
    for f in pkt mgmt_route config flow acl wg; do
        corpus=$(mktemp -d)
        cp -r "test/fuzz/corpus/$f/." "$corpus/"
        if build-clang/test/fuzz/fuzz_$f -max_total_time="${FUZZ_SECONDS:-20}" \
            -print_final_stats=0 "$corpus" >"$corpus.log" 2>&1; then
            echo "fuzz_$f: $(grep -o 'Done [0-9]* runs' "$corpus.log" | tail -1), no findings"
        else
            echo "fuzz_$f: FAILED"; tail -40 "$corpus.log"; status=1
        fi
        rm -rf "$corpus" "$corpus.log"
    done
else
    echo "clang build failed"; ninja -C build-clang | tail -20; status=1
fi

echo "== end-to-end suites (dts)"
# Debian's interpreter: it sees python3-pytest and python3-scapy.
/usr/bin/python3 -m pytest dts -q -p no:cacheprovider "$@" || status=1

if [ $status -eq 0 ]; then echo "test: all passed"; else echo "test: FAILED"; fi
exit $status
