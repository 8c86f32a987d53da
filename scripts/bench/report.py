# SPDX-License-Identifier: BSD-3-Clause
"""Summarise one scripts/bench.sh run: a table on stdout and bench-results.json.

Inputs: the JSON of each perf_stages run, and the harness's lines
"DUT ROUND FORWARDED_PPS OFFERED_PPS OTHER_CPU_% STEAL_%" (or "DUT ROUND
fail WHY"). OTHER_CPU is what processes other than the generator and the
DUT used during the window, STEAL what the hypervisor took, both in percent
of one CPU: a run with either above BUSY_PCT is flagged, because on a
2-CPU machine anything else running takes cycles from the harness.

Principles: every figure is the median of the runs that produced one; a run
that failed is counted and named, never averaged in as zero; the ratio to
l3fwd is computed from the medians. bench-results.json is a list of
{"name", "mpps", "cycles_per_packet"}, null where a figure does not apply
(a stage has no rate of its own; the harness does not measure cycles).
Harness entries are named DUT/MODE: the harness is "saturating" (the
generator sends as fast as it can, uncapped, and its rate depends on how
much work the DUT does per packet), not "generator-bound" at a fixed rate;
the name says so wherever the figure is quoted.

usage: report.py --harness FILE --out FILE STAGES_JSON...
Exit status 1 if a DUT has no successful run, or perf_stages gave nothing.
"""
import argparse
import json
import statistics
import sys

DUTS = ["testpmd-io", "l3fwd", "sluice"]
STAGES = ["parse", "input", "route", "neighbor"]
MODE = "saturating"  # one-way flowgen, uncapped
TARGET = 0.9  # sluice / l3fwd, the acceptance bar
BUSY_PCT = 5  # % of one CPU used by others (or stolen) that flags a run


def read_harness(path):
    """{dut: {"fwd": [pps...], "offered": [...], "noise": [(other, steal)...], "failed": [...],
    "round": {round: pps}}}"""
    def new():
        return {"fwd": [], "offered": [], "noise": [], "failed": [], "round": {}}
    runs = {d: new() for d in DUTS}
    with open(path) as f:
        for line in f:
            w = line.split()
            if len(w) < 3:
                continue
            r = runs.setdefault(w[0], new())
            if w[2] == "fail":
                r["failed"].append(w[3] if len(w) > 3 else "unknown")
            else:
                r["fwd"].append(int(w[2]))
                r["round"][w[1]] = int(w[2])
                r["offered"].append(int(w[3]))
                r["noise"].append((int(w[4]), int(w[5])) if len(w) > 5 else (None, None))
    return runs


def read_stages(paths):
    """{scenario: {"frame": bytes, stage: [cycles...], "pipeline": [...], "p90": [...]}}"""
    out, tsc = {}, None
    stamps = []
    for p in paths:
        with open(p) as f:
            doc = json.load(f)
        tsc = doc["tsc_hz"]
        stamps.append(doc["stamp_cost_cycles"])
        for sc in doc["scenarios"]:
            s = out.setdefault(sc["name"], {"frame": sc["frame_bytes"], "pipeline": [], "p90": []})
            for st in STAGES:
                s.setdefault(st, []).append(sc["stages_cycles_per_packet"][st])
            s["pipeline"].append(sc["pipeline_cycles_per_packet"])
            s["p90"].append(sc["pipeline_p90_cycles_per_packet"])
    return out, tsc, stamps


def med(values):
    return statistics.median(values) if values else None


def fmt(v, spec):
    return "-" if v is None else format(v, spec)


def ran(runs):
    return [d for d in DUTS if runs[d]["fwd"] or runs[d]["failed"]]


def harness_rows(runs):
    """Median forwarded and offered rate per DUT; loss is computed from the
    medians (with memif's back-pressure the generator counts only what the
    DUT's RX ring accepted, so loss is what the DUT dropped after taking it)."""
    rows, l3 = [], med(runs["l3fwd"]["fwd"])
    for d in ran(runs):
        fwd, off = med(runs[d]["fwd"]), med(runs[d]["offered"])
        loss = None if fwd is None or not off else max(0.0, 100.0 * (off - fwd) / off)
        rows.append({"name": "%s/%s" % (d, MODE),
                     "mpps": None if fwd is None else fwd / 1e6,
                     "offered": None if off is None else off / 1e6, "loss": loss,
                     "cycles_per_packet": None,
                     "ratio": None if fwd is None or not l3 else fwd / l3})
    return rows


def stage_rows(stages):
    rows = []
    for name, s in stages.items():
        for st in STAGES + ["pipeline"]:
            rows.append({"name": "stages/%s/%s" % (name, st), "mpps": None,
                         "offered": None, "loss": None,
                         "cycles_per_packet": med(s[st]), "ratio": None})
    return rows


def print_table(rows):
    print("%-28s %8s %8s %6s %11s %9s" % ("name", "Mpps", "offered", "loss%", "cycles/pkt",
                                          "vs l3fwd"))
    for r in rows:
        print("%-28s %8s %8s %6s %11s %9s" % (
            r["name"], fmt(r["mpps"], ".3f"), fmt(r["offered"], ".3f"), fmt(r["loss"], ".2f"),
            fmt(r["cycles_per_packet"], ".1f"),
            "-" if r["ratio"] is None else "%.2fx" % r["ratio"]))


def print_harness(runs):
    print("\n%s harness runs: forwarded/offered Mpps [CPU %% used by others, %% stolen]:" % MODE)
    busy = 0
    for d in ran(runs):
        r = runs[d]
        each = []
        for f, o, (other, steal) in zip(r["fwd"], r["offered"], r["noise"]):
            flag = other is not None and (other > BUSY_PCT or steal > BUSY_PCT)
            busy += flag
            each.append("%.3f/%.3f [%s,%s]%s" % (f / 1e6, o / 1e6, other, steal, " BUSY" if flag else ""))
        fails = " failed: %s" % ", ".join(r["failed"]) if r["failed"] else ""
        print("  %-11s %s%s" % (d, ", ".join(each) or "none", fails))
    # Rounds interleave the DUTs, so a round's pair shares the machine's state:
    # their ratios show how far one disturbed round moves the medians.
    sl, l3 = runs.get("sluice", {}).get("round", {}), runs.get("l3fwd", {}).get("round", {})
    pairs = ["%.2f" % (sl[k] / l3[k]) for k in sl if k in l3 and l3[k]]
    if pairs:
        print("  sluice / l3fwd round by round: %s" % ", ".join(pairs))
    if busy:
        print("  %d run(s) marked BUSY: other processes or the hypervisor took more than %d%% of"
              " a CPU;\n  rerun on a quiet machine before quoting these numbers." % (busy, BUSY_PCT))


def print_stages(stages, tsc, stamps):
    print("\nstage costs (median TSC cycles per packet, TSC %.3f GHz):" % (tsc / 1e9))
    print("  %-9s %5s %7s %7s %7s %9s %9s %8s" % ("scenario", "frame", *STAGES, "pipeline", "p90"))
    for name, s in stages.items():
        print("  %-9s %5d %7.1f %7.1f %7.1f %9.1f %9.1f %8.1f" % (
            name, s["frame"], *(med(s[st]) for st in STAGES), med(s["pipeline"]), med(s["p90"])))
    # Two serialising TSC reads cost a fixed number of core cycles: in TSC
    # cycles the figure grows when the host runs this vCPU at a lower clock.
    print("  timestamp pair: %s TSC cycles per run (higher = the vCPU ran slower)" %
          ", ".join(str(x) for x in stamps))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--harness", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("stages", nargs="+")
    a = ap.parse_args()

    runs = read_harness(a.harness)
    stages, tsc, stamps = read_stages(a.stages)
    measured = bool(ran(runs))
    rows = (harness_rows(runs) if measured else []) + stage_rows(stages)
    print_table(rows)
    if measured:
        print_harness(runs)
    print_stages(stages, tsc, stamps)
    with open(a.out, "w") as f:
        json.dump([{k: r[k] for k in ("name", "mpps", "cycles_per_packet")} for r in rows],
                  f, indent=2)
        f.write("\n")

    status = 0 if stages else 1
    if measured:
        missing = [d for d in ran(runs) if not runs[d]["fwd"]]
        if missing:
            print("\nno successful run for: %s (see the logs)" % ", ".join(missing))
            status = 1
        ratio = {r["name"]: r["ratio"] for r in harness_rows(runs)}.get("sluice/" + MODE)
        if ratio is not None:
            print("\nsluice / l3fwd, %s harness = %.2f (target >= %.2f): %s" %
                  (MODE, ratio, TARGET, "met" if ratio >= TARGET else "NOT met"))
    return status


if __name__ == "__main__":
    sys.exit(main())
