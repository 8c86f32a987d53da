# SPDX-License-Identifier: BSD-3-Clause
"""Summarise one scripts/bench.sh run: a table on stdout and bench-results.json.

Inputs
  - the JSON of each perf_stages run (cycles per packet per stage);
  - the saturating harness's lines
      DUT ROUND FORWARDED_PPS OFFERED_PPS OTHER_% STEAL_% RTT_BEFORE RTT_AFTER SLOWEST FASTEST
  - the fixed-rate harness's lines
      DUT ROUND OFFERED_PPS RECEIVED_PPS BUSY_CYCLES BUSY_PACKETS OTHER_% STEAL_% RTT_BEFORE RTT_AFTER
          LOOPS_MIN LOOPS_MAX
  ("DUT ROUND fail WHY" for a round that produced nothing). OTHER is what
  processes other than the generator and the DUT used during the window and
  STEAL what the hypervisor took, in % of one CPU; RTT is the cache-line
  round trip between the generator's and the DUT's CPU (test/perf/cpu_probe)
  just before and just after the round, in ns; SLOWEST and FASTEST are the
  round's slowest and fastest second; LOOPS are the fixed-rate generator's
  loop iterations per second in the DUT's slowest and fastest turn (each
  polls a ring the DUT's CPU writes, so it runs slower while the vCPUs are
  far apart). The fixed-rate DUTs of one round ran at once, in turns.

What makes a figure a measurement
  Every round has a placement of the two vCPUs (Round.placement): "near" or
  "far" when the cache-line round trip was on the same side of FAR_NS before
  and after it and nothing moved inside it (saturating: no second more than
  AGREE from another; fixed rate: the generator's loop no more than
  LOOP_CHANGE faster in one of its turns than another), "mixed" otherwise, and none
  when others used more than BUSY_PCT of a CPU or the hypervisor stole more
  (the machine was not quiet). doc/performance.md shows the placement is what
  switches the harness between its two speeds. scripts/bench.sh runs rounds
  until MIN_ROUNDS had every DUT in one placement, asking this script
  (classify) so the rule lives here only.

  The headline is the fixed-rate comparison (the saturating one is printed by
  the same rules, for reference only: its rate follows the host's placement
  of the vCPUs). sluice against l3fwd is the median of their ratio within the
  rounds in which every DUT ran in one placement (near first, else far),
  printed only when no round was not quiet, there are MIN_ROUNDS such rounds
  and their ratios agree within AGREE (5 %); figures are medians over the
  same rounds. Otherwise the report says what was not quiet, how many rounds
  each placement had and what moved in the others, or that the ratio moved.

  The fixed-rate figure is the DUT's own cost: the cycles of its loop
  iterations that had packets, per packet, at a rate below every DUT's
  capacity, so it does not depend on how fast the generator could go (it
  still depends on where the host runs the vCPUs: memif's copies cross
  between them).
  sluice / l3fwd is given as l3fwd's cycles divided by sluice's (above 1:
  sluice needs fewer).

bench-results.json: a list of {"name", "mpps", "cycles_per_packet", "spread"}
(null where a figure does not apply; spread is the counted rounds' max / min
- 1; the counted rounds are the headline's, or all when there are none).

usage: report.py --harness FILE [--fixed FILE --rate PPS] [--min-rounds N] --out FILE STAGES_JSON...
       report.py classify saturating|fixed "RESULT LINE"    prints the round's placement
       report.py placements saturating|fixed FILE          prints the rounds with every
                                                          DUT near, and far
Exit status 1 if a DUT has no successful run, or perf_stages gave nothing.
"""
import argparse
import json
import statistics
import sys

# The references first, then sluice and any further sluice configurations
# ("sluice@conf/bench-nat.json"), in the order the run had them.
REFERENCES = ["testpmd-io", "l3fwd", "sluice"]
STAGES = ["parse", "input", "route", "neighbor"]
TARGET = 0.9     # sluice / l3fwd, the acceptance bar (saturating rate, and cost)
BUSY_PCT = 5     # % of one CPU used by others (or stolen) that disturbs a round
AGREE = 0.05     # rounds of one DUT agree when max / min - 1 is at most this
FAR_NS = 200     # cache-line round trip above which the vCPUs are far apart
MAX_LOSS = 0.001  # fixed rate: a DUT that lost more did not keep up
ABSORBING = set()  # DUTs whose work is to drop (--absorbing): no loss check or label
LOOP_CHANGE = 0.25  # fixed rate: generator loop speed change that marks a move
LOOP_LEVEL = 0.10   # fixed rate: a round's loop speed this far from its placement's level
MIN_ROUNDS = 3   # undisturbed rounds each DUT needs for a headline (bench.sh --runs)


def med(values):
    return statistics.median(values) if values else None


def spread(values):
    return max(values) / min(values) - 1 if values and min(values) > 0 else None


def fmt(v, spec):
    return "-" if v is None else format(v, spec)


def num(word):
    return None if word in ("-", "None", "null") else float(word)


class Round:
    """One round of one DUT: its figure and what the machine did meanwhile."""

    def __init__(self, number, value, other, steal, rtts, extra=None):
        self.number = number
        self.value = value
        self.other, self.steal = other, steal
        self.rtts = [r for r in rtts if r is not None]
        self.extra = extra or {}

    def noisy(self):
        """Other load or steal: the machine was not quiet during the round."""
        return ((self.other is not None and self.other > BUSY_PCT) or
                (self.steal is not None and self.steal > BUSY_PCT))

    def placement(self):
        """"near" or "far" (the cache-line round trip on the same side of
        FAR_NS before and after, nothing changing inside), "mixed", or None
        when the machine was not quiet."""
        if self.noisy():
            return None
        if self.disturbances():
            return "mixed"
        if self.rtts and all(r < FAR_NS for r in self.rtts):
            return "near"
        if self.rtts and all(r >= FAR_NS for r in self.rtts):
            return "far"
        return "mixed"

    def disturbances(self):
        """Why the round belongs to no placement: other load, steal, or a
        placement that changed between the probes or inside the round."""
        why = []
        if self.other is not None and self.other > BUSY_PCT:
            why.append("busy CPU (others used %d%% of a CPU)" % self.other)
        if self.steal is not None and self.steal > BUSY_PCT:
            why.append("steal %d%%" % self.steal)
        if self.rtts and min(self.rtts) < FAR_NS <= max(self.rtts):
            why.append("vCPUs moved (cache-line round trip %s ns)" %
                       "/".join("%.0f" % r for r in self.rtts))
        loops = self.extra.get("loops")
        if loops and min(loops) > 0 and max(loops) / min(loops) - 1 > LOOP_CHANGE:
            why.append("placement changed inside the round (the generator's loop ran %d to %d"
                       " times a second)" % (min(loops), max(loops)))
        if self.extra.get("level_moved"):
            why.append(self.extra["level_moved"])
        secs = self.extra.get("seconds")
        if secs and min(secs) > 0 and max(secs) / min(secs) - 1 > AGREE:
            why.append("rate changed inside the round (%.2f to %.2f Mpps from one second to"
                       " another)" % (min(secs) / 1e6, max(secs) / 1e6))
        return why


def duts(runs):
    return [d for d in REFERENCES if d in runs] + [d for d in runs if d not in REFERENCES]


def parse_round(w, kind):
    """A Round from the words of one result line (not a "fail" line)."""
    if kind == "saturating":
        fwd, off = int(w[2]), int(w[3])
        other, steal = (int(w[4]), int(w[5])) if len(w) > 5 else (None, None)
        return Round(w[1], fwd, other, steal, [num(x) for x in w[6:8]],
                     {"offered": off, "seconds": [int(x) for x in w[8:10]]})
    off, rcv, cyc, pkts = int(w[2]), int(w[3]), int(w[4]), int(w[5])
    return Round(w[1], cyc / pkts if pkts else None, int(w[6]), int(w[7]),
                 [num(x) for x in w[8:10]],
                 {"offered": off, "received": rcv, "loops": [int(x) for x in w[10:12]]})


def read_rounds(path, kind):
    """{dut: {"rounds": [Round], "failed": [why]}} from a harness file."""
    out = {}
    if not path:
        return out
    with open(path) as f:
        for line in f:
            w = line.split()
            if len(w) < 3:
                continue
            d = out.setdefault(w[0], {"rounds": [], "failed": []})
            if w[2] == "fail":
                d["failed"].append(w[3] if len(w) > 3 else "unknown")
            else:
                d["rounds"].append(parse_round(w, kind))
    if kind == "fixed":
        check_levels(out)
    return out


def check_levels(runs):
    """Fixed rate: the probes run only before and after a round, and the host
    may move the vCPUs apart and back in between; the generator's loop speed
    shows it (each iteration polls a ring the DUT's CPU writes). A round whose
    probes say near but whose slowest turn ran more than LOOP_LEVEL below the
    fastest near round's, or that the probes call far but ran more than
    LOOP_LEVEL above the slowest far round, was not where the probes say: it
    is marked, and counts as mixed."""
    by_round = {}
    for d in runs:
        for r in runs[d]["rounds"]:
            by_round.setdefault(r.number, []).append(r)
    levels = {}
    for n, rs in by_round.items():
        cls = {r.placement() for r in rs}
        loops = [r.extra["loops"][0] for r in rs if r.extra.get("loops")]
        if len(cls) == 1 and loops and min(loops) > 0:
            levels.setdefault(cls.pop(), []).append((n, min(loops)))
    for cls, found in levels.items():
        if cls == "near":
            ref = max(v for _, v in found)
            bad = [(n, v) for n, v in found if v < (1 - LOOP_LEVEL) * ref]
            what = "the generator ran at another placement's speed (%.1f million loops/s at" \
                   " its slowest against %.1f in the fastest near round)"
        elif cls == "far":
            ref = min(v for _, v in found)
            bad = [(n, v) for n, v in found if v > (1 + LOOP_LEVEL) * ref]
            what = "the generator ran at another placement's speed (%.1f million loops/s at" \
                   " its slowest against %.1f in the slowest far round)"
        else:
            continue
        for n, v in bad:
            for r in by_round[n]:
                r.extra["level_moved"] = what % (v / 1e6, ref / 1e6)


def classify(kind, line):
    """The placement of one result line, for scripts/bench.sh to decide
    whether to run another round: near, far, mixed, noisy or failed."""
    w = line.split()
    if len(w) < 3 or w[2] == "fail":
        return "failed"
    return parse_round(w, kind).placement() or "noisy"


def read_stages(paths):
    """{scenario: {"frame": bytes, stage: [cycles...], "pipeline": [...], "p90": [...]}}"""
    out, tsc, stamps = {}, None, []
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


def good(rounds, cls):
    """The rounds that count in placement @p cls."""
    return [r for r in rounds if r.value is not None and r.placement() == cls]


def complete_rounds(runs, cls):
    """Round numbers in which every DUT had a round in placement @p cls."""
    numbers = None
    for d in duts(runs):
        mine = {r.number for r in good(runs[d]["rounds"], cls)}
        numbers = mine if numbers is None else numbers & mine
    return sorted(numbers or [], key=int)


def chosen_class(runs):
    """The placement with MIN_ROUNDS complete rounds, near first; None if neither."""
    for cls in ("near", "far"):
        if len(complete_rounds(runs, cls)) >= MIN_ROUNDS:
            return cls
    return None


def pair_ratios(runs, what, numbers):
    """sluice against l3fwd within each round (saturating: sluice's rate over
    l3fwd's; fixed: l3fwd's cycles over sluice's; above 1 favours sluice)."""
    if "sluice" not in runs or "l3fwd" not in runs:
        return []
    sl = {r.number: r.value for r in runs["sluice"]["rounds"]}
    l3 = {r.number: r.value for r in runs["l3fwd"]["rounds"]}
    return [(sl[k] / l3[k]) if what == "saturating" else (l3[k] / sl[k]) for k in numbers]


def verdict(runs, what):
    """(headline, [reasons], [notes], placement, round numbers). The headline,
    sluice against l3fwd, is the median of their ratio within each round in
    which every DUT ran in the same placement of the vCPUs (near first, else
    far: the two give different figures, doc/performance.md). It needs a quiet
    machine in every round (other load and steal are not selected away: they
    make the run suspect), MIN_ROUNDS such rounds, and their ratios agreeing
    within AGREE. A DUT's own spread over them is reported beside it."""
    reasons, notes = [], []
    noisy = ["%s round %s: %s" % (d, r.number, ", ".join(r.disturbances()))
             for d in duts(runs) for r in runs[d]["rounds"] if r.noisy()]
    if noisy:
        reasons.append("the machine was not quiet (%d round(s)): %s" % (len(noisy),
                                                                     "; ".join(noisy)))
    cls = chosen_class(runs)
    numbers = complete_rounds(runs, cls) if cls else []
    if cls is None:
        mixed = "; ".join("%s round %s: %s" % (d, r.number, ", ".join(r.disturbances()))
                          for d in duts(runs) for r in runs[d]["rounds"]
                          if r.placement() == "mixed")
        reasons.append("no placement had %d rounds with every DUT in it (near: %d, far: %d)%s"
                       % (MIN_ROUNDS, len(complete_rounds(runs, "near")),
                          len(complete_rounds(runs, "far")), " - " + mixed if mixed else ""))
    ratios = pair_ratios(runs, what, numbers)
    sp = spread(ratios)
    if ratios and cls and sp > AGREE:
        reasons.append("sluice / l3fwd disagrees between the %s rounds (%s: spread %.1f%%) with"
                       " no disturbance seen" % (cls, ", ".join("%.2f" % x for x in ratios),
                                                 100 * sp))
    for d in duts(runs):
        vals = [r.value for r in runs[d]["rounds"] if r.number in numbers]
        if vals and spread(vals) > AGREE:
            notes.append("%s's own rounds spread %.1f%% (%s to %s %s): the host's level drifts"
                         " between rounds; within a round the DUTs compare steadily" % (
                             d, 100 * spread(vals), fmt_value(min(vals), what),
                             fmt_value(max(vals), what), unit(what)))
    head = statistics.median(ratios) if ratios and not reasons else None
    return head, reasons, notes, cls, numbers


def fmt_value(v, what):
    return "%.2f" % (v / 1e6) if what == "saturating" else "%.1f" % v


def unit(what):
    return "Mpps" if what == "saturating" else "cycles/packet"


def print_rounds(runs, what, rate=None):
    title = ("saturating harness, forwarded Mpps per round" if what == "saturating" else
             "fixed-rate harness at %.1f Mpps offered, DUT busy cycles per packet per round"
             % (rate / 1e6))
    print("\n%s [others %%CPU, steal %%, cache-line round trip before/after ns]:" % title)
    for d in duts(runs):
        r = runs[d]
        each = []
        for x in r["rounds"]:
            pl = x.placement()
            mark = " " + ("NOT QUIET" if pl is None else pl.upper() if pl == "mixed" else pl)
            lost = ""
            if what == "fixed" and x.extra["offered"] and d not in ABSORBING:
                loss = 1 - x.extra["received"] / x.extra["offered"]
                lost = " loss %.2f%%" % (100 * loss) if loss > MAX_LOSS else ""
            each.append("%s [%s,%s,%s]%s%s" % (
                fmt(x.value / 1e6 if what == "saturating" and x.value else x.value,
                    ".2f" if what == "saturating" else ".1f"),
                x.other, x.steal, "/".join("%.0f" % t for t in x.rtts) or "-", mark, lost))
        counts = []
        for cls in ("near", "far"):
            g = [x.value for x in good(r["rounds"], cls)]
            if g:
                counts.append("%d %s (median %s, spread %.1f%%)" % (
                    len(g), cls, fmt_value(med(g), what), 100 * spread(g)))
        fails = "; failed: %s" % ", ".join(r["failed"]) if r["failed"] else ""
        print("  %-11s %s\n  %-11s %s%s" % (d, ", ".join(each) or "none", "",
                                          ", ".join(counts) or "no round in one placement",
                                          fails))
    # Rounds interleave the DUTs: a round's pair shares the machine's state.
    sl = {x.number: x.value for x in runs.get("sluice", {}).get("rounds", []) if x.value}
    l3 = {x.number: x.value for x in runs.get("l3fwd", {}).get("rounds", []) if x.value}
    if what == "saturating":
        pairs = ["%.2f" % (sl[k] / l3[k]) for k in sl if k in l3]
    else:
        pairs = ["%.2f" % (l3[k] / sl[k]) for k in sl if k in l3]
    if pairs:
        print("  sluice / l3fwd round by round: %s" % ", ".join(pairs))


def harness_rows(runs, what, numbers, rate=None):
    """Medians over the rounds the headline uses (every DUT in one placement;
    over every round with a figure when there are none)."""
    rows = []
    numbers = set(numbers)

    def counted(rounds):
        return ([r for r in rounds if r.number in numbers] or
                [r for r in rounds if r.value is not None])
    l3 = runs.get("l3fwd")
    l3v = med([x.value for x in counted(l3["rounds"])]) if l3 else None
    for d in duts(runs):
        rounds = counted(runs[d]["rounds"])
        vals = [x.value for x in rounds]
        m = med(vals)
        if what == "saturating":
            offered = med([x.extra["offered"] for x in rounds])
            rows.append({"name": "%s/saturating" % d, "mpps": None if m is None else m / 1e6,
                         "offered": None if offered is None else offered / 1e6,
                         "cycles_per_packet": None, "spread": spread(vals),
                         "ratio": None if m is None or not l3v else m / l3v})
        else:
            rcv = med([x.extra["received"] for x in rounds])
            off = med([x.extra["offered"] for x in rounds])
            # A DUT that absorbs a flood: its rate is what it took in.
            took = off if d in ABSORBING else rcv
            rows.append({"name": "%s/fixed-%gMpps%s" % (d, rate / 1e6,
                                                        "/absorbed" if d in ABSORBING else ""),
                         "mpps": None if took is None else took / 1e6,
                         "offered": None if off is None else off / 1e6,
                         "cycles_per_packet": m, "spread": spread(vals),
                         "ratio": None if m is None or not l3v else l3v / m})
    return rows


def stage_rows(stages):
    rows = []
    for name, s in stages.items():
        for st in STAGES + ["pipeline"]:
            vals = s[st]
            rows.append({"name": "stages/%s/%s" % (name, st), "mpps": None, "offered": None,
                         "cycles_per_packet": med(vals), "spread": spread(vals), "ratio": None})
    return rows


def print_table(rows):
    print("%-28s %8s %8s %11s %7s %9s" % ("name", "Mpps", "offered", "cycles/pkt", "spread",
                                          "vs l3fwd"))
    for r in rows:
        print("%-28s %8s %8s %11s %7s %9s" % (
            r["name"], fmt(r["mpps"], ".3f"), fmt(r["offered"], ".3f"),
            fmt(r["cycles_per_packet"], ".1f"),
            "-" if r["spread"] is None else "%.1f%%" % (100 * r["spread"]),
            "-" if r["ratio"] is None else "%.2fx" % r["ratio"]))


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


def headline(kind, head, reasons, notes, cls, n_rounds):
    """The fixed-rate comparison is the run's headline. The saturating one is
    printed by the same rules for reference only: its rate follows where the
    host places the two vCPUs (doc/performance.md), which nothing inside the
    machine controls, while the fixed-rate rounds compare the DUTs in turns
    within the same seconds."""
    if kind == "saturating":
        label = "forwarding rate, saturating harness (for reference, not the headline)"
        none = "no figure"
    else:
        label = "HEADLINE: cost per packet at a fixed rate (l3fwd's cycles / sluice's)"
        none = "no headline"
    if head is None:
        print("\nsluice / l3fwd, %s: %s - the rounds are not a measurement:" % (label, none))
        for r in reasons:
            print("  " + r)
        return
    print("\nsluice / l3fwd, %s = %.2f (median of %d rounds, vCPUs %s; target >= %.2f): %s" %
          (label, head, n_rounds, cls, TARGET, "met" if head >= TARGET else "NOT met"))
    for n in notes:
        print("  note: " + n)


def main():
    global MIN_ROUNDS
    if len(sys.argv) == 4 and sys.argv[1] == "classify":
        print(classify(sys.argv[2], sys.argv[3]))
        return 0
    if len(sys.argv) == 4 and sys.argv[1] == "placements":
        runs = read_rounds(sys.argv[3], sys.argv[2])
        print(len(complete_rounds(runs, "near")), len(complete_rounds(runs, "far")))
        return 0
    ap = argparse.ArgumentParser()
    ap.add_argument("--harness", required=True)
    ap.add_argument("--fixed")
    ap.add_argument("--rate", type=float, default=0)
    ap.add_argument("--min-rounds", type=int, default=3,
                    help="rounds in one placement a headline needs (bench.sh --runs)")
    ap.add_argument("--absorbing", default="",
                    help="DUTs that drop what they get (a shield): no loss check")
    ap.add_argument("--out", required=True)
    ap.add_argument("stages", nargs="+")
    a = ap.parse_args()
    MIN_ROUNDS = max(1, a.min_rounds)

    sat = read_rounds(a.harness, "saturating")
    fixed = read_rounds(a.fixed, "fixed") if a.fixed and a.rate else {}
    # A fixed-rate round counts only if the DUT carried the offered rate
    # (a DUT that absorbs a flood is measured by what it took in, not out).
    ABSORBING.update(a.absorbing.split())
    for d in fixed:
        if d in ABSORBING:
            continue
        for x in fixed[d]["rounds"]:
            if x.extra["offered"] and 1 - x.extra["received"] / x.extra["offered"] > MAX_LOSS:
                x.value = None
                fixed[d]["failed"].append("round %s lost %.2f%%" % (
                    x.number, 100 * (1 - x.extra["received"] / x.extra["offered"])))
    stages, tsc, stamps = read_stages(a.stages)
    verdicts = {}
    rows = []
    if sat:
        verdicts["saturating"] = verdict(sat, "saturating")
        rows += harness_rows(sat, "saturating", verdicts["saturating"][4])
    if fixed:
        verdicts["fixed"] = verdict(fixed, "fixed")
        rows += harness_rows(fixed, "fixed", verdicts["fixed"][4], a.rate)
    rows += stage_rows(stages)
    print_table(rows)
    if sat:
        print_rounds(sat, "saturating")
    if fixed:
        print_rounds(fixed, "fixed", a.rate)
    print_stages(stages, tsc, stamps)
    with open(a.out, "w") as f:
        json.dump([{k: r[k] for k in ("name", "mpps", "cycles_per_packet", "spread")}
                   for r in rows], f, indent=2)
        f.write("\n")

    status = 0 if stages else 1
    for runs in (sat, fixed):
        missing = [d for d in runs if not any(x.value for x in runs[d]["rounds"])]
        if missing:
            print("\nno successful round for: %s (see the logs)" % ", ".join(missing))
            status = 1
    for kind in ("saturating", "fixed"):
        if kind in verdicts:
            head, reasons, notes, cls, numbers = verdicts[kind]
            headline(kind, head, reasons, notes, cls, len(numbers))
    return status


if __name__ == "__main__":
    sys.exit(main())
