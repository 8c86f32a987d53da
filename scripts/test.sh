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

echo "== end-to-end suites (dts)"
# Debian's interpreter: it sees python3-pytest and python3-scapy.
/usr/bin/python3 -m pytest dts -q -p no:cacheprovider "$@" || status=1

if [ $status -eq 0 ]; then echo "test: all passed"; else echo "test: FAILED"; fi
exit $status
