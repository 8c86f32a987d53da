# SPDX-License-Identifier: BSD-3-Clause
"""A short run of scripts/bench.sh, so the benchmark does not rot between the
runs that produce doc/performance.md's figures. It measures nothing worth
quoting (one round of two seconds, sluice only): it checks that every step
runs and that the report and bench-results.json have their shape.

    bench_gen / dpdk-testpmd (generator) == memif == sluice (conf/bench.json)
"""
import json
import os
import re

from conftest import ROOT, run


# Test that one saturating and one fixed-rate round of sluice run end to end,
# with the per-round evidence (probe, mpstat, pidstat) and the JSON results.
def test_bench_smoke(tmp_path):
    results = ROOT / "bench-results.json"
    before = results.read_text() if results.exists() else None
    try:
        r = run(ROOT / "scripts" / "bench.sh", "--no-build", "--runs", "1", "--window", "2",
                "--warmup", "1", "--max-rounds", "1", "--duts", "sluice", "--rate", "1000000",
                check=False, timeout=300)
        out = r.stdout + r.stderr
        assert r.returncode == 0, out[-3000:]
        # The saturating round's line (eight figures), then the fixed-rate round's (ten).
        sat = re.findall(r"^sluice 1 " + r" ".join([r"(\d+)"] * 8) + "$", out, re.M)
        fixed = re.findall(r"^sluice 1 " + r" ".join([r"(\d+)"] * 10) + "$", out, re.M)
        assert len(sat) == 1 and len(fixed) == 1, out[-3000:]
        fwd, offered_sat, _, _, _, _, slowest, fastest = map(int, sat[0])
        assert 0 < slowest <= fwd <= fastest, sat[0]
        offered, received, cycles, packets = map(int, fixed[0][:4])
        loops_min, loops_max = map(int, fixed[0][8:])
        assert 0 < loops_min <= loops_max, fixed[0]
        assert abs(received - offered) <= offered * 0.01, (offered, received)
        assert packets > 0 and cycles > packets        # more than a cycle per packet
        entries = {e["name"]: e for e in json.loads(results.read_text())}
        assert entries["sluice/saturating"]["mpps"] > 0
        assert entries["sluice/fixed-1Mpps"]["cycles_per_packet"] > 0
        assert set(entries["sluice/fixed-1Mpps"]) == {"name", "mpps", "cycles_per_packet",
                                                       "spread"}
        logs = ROOT / "build" / "bench" / "logs"
        for name in ("sluice-1", "fixed-sluice-1"):
            probe = json.loads((logs / name / "probe-before.json").read_text())
            assert probe["line_rtt_ns"] > 0
            assert "Average" in (logs / name / "mpstat.txt").read_text()
    finally:
        if before is not None:
            results.write_text(before)
        elif results.exists():
            os.unlink(results)
