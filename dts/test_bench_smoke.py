# SPDX-License-Identifier: BSD-3-Clause
"""A short run of scripts/bench.sh, so the benchmark does not rot between the
runs that produce doc/performance.md's figures. It measures nothing worth
quoting (one round of two seconds, two sluice DUTs): it checks that every
step runs and that the report and bench-results.json have their shape.

    bench_gen / dpdk-testpmd (generator) == memif == sluice (conf/bench.json)
                                         == memif == sluice@conf/bench.json
                                                    (fixed rate: in turns)
"""
import json
import os
import re

from conftest import ROOT, run


# Test that one saturating and one fixed-rate round of two DUTs run end to
# end, the fixed-rate one with both DUTs alive and taking turns, with the
# per-round evidence (probe, mpstat, pidstat) and the JSON results.
def test_bench_smoke(tmp_path):
    results = ROOT / "bench-results.json"
    before = results.read_text() if results.exists() else None
    try:
        r = run(ROOT / "scripts" / "bench.sh", "--no-build", "--runs", "1", "--window", "2",
                "--warmup", "1", "--max-rounds", "1", "--duts", "sluice sluice@conf/bench.json",
                "--rate", "1000000",
                check=False, timeout=300)
        out = r.stdout + r.stderr
        assert r.returncode == 0, out[-3000:]
        for dut in ("sluice", "sluice@conf/bench.json"):
            # The saturating round's line (eight figures), then the fixed-rate round's (ten).
            head = "^" + re.escape(dut) + " 1 "
            sat = re.findall(head + r" ".join([r"(\d+)"] * 8) + "$", out, re.M)
            fixed = re.findall(head + r" ".join([r"(\d+)"] * 10) + "$", out, re.M)
            assert len(sat) == 1 and len(fixed) == 1, out[-3000:]
            fwd, offered_sat, _, _, _, _, slowest, fastest = map(int, sat[0])
            assert 0 < slowest <= fwd <= fastest, sat[0]
            offered, received, cycles, packets = map(int, fixed[0][:4])
            loops_min, loops_max = map(int, fixed[0][8:])
            assert 0 < loops_min <= loops_max, fixed[0]
            assert abs(received - offered) <= offered * 0.01, (offered, received)
            # More than a cycle per packet, and no stopped time counted as busy:
            # a turn's stop inside a busy iteration would add ~1e8 cycles.
            assert packets > 0 and packets < cycles < packets * 2000, (cycles, packets)
        entries = {e["name"]: e for e in json.loads(results.read_text())}
        assert entries["sluice/saturating"]["mpps"] > 0
        assert entries["sluice/fixed-1Mpps"]["cycles_per_packet"] > 0
        assert entries["sluice@conf/bench.json/fixed-1Mpps"]["cycles_per_packet"] > 0
        assert set(entries["sluice/fixed-1Mpps"]) == {"name", "mpps", "cycles_per_packet",
                                                       "spread"}
        logs = ROOT / "build" / "bench" / "logs"
        for name in ("sluice-1", "fixed-1"):
            probe = json.loads((logs / name / "probe-before.json").read_text())
            assert probe["line_rtt_ns"] > 0
            assert "Average" in (logs / name / "mpstat.txt").read_text()
        # Both DUTs of the fixed-rate round were alive together, each in its slot.
        for k in ("0", "1"):
            assert (logs / "fixed-1" / k / "metrics.txt").read_text().count("sluice_") > 10
    finally:
        if before is not None:
            results.write_text(before)
        elif results.exists():
            os.unlink(results)
