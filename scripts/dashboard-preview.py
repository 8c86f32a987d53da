#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Render a Grafana dashboard's panels from a live Prometheus into one PNG.

A preview of doc/grafana/sluice.json without a Grafana: every panel is drawn
where its gridPos puts it on the 24-column grid, rows as header bands, from
the same PromQL run against Prometheus over the last --range. It shows what
an operator would see, and which panels come up empty ("No data" in red).
Run with Debian's /usr/bin/python3: the standard library and matplotlib.

usage: dashboard-preview.py --prometheus URL --dashboard JSON --out PNG
           [--instance REGEX] [--instance-metric METRIC] [--range 5m]
           [--step 2s] [--rate-interval 10s] [--title TEXT]
           [--var NAME=VALUE]... [--width PX] [--timeout S] [--require-data]

e.g. scripts/dashboard-preview.py --prometheus http://127.0.0.1:9091 \
         --dashboard doc/grafana/sluice.json --out /tmp/sluice.png

Handles the Grafana JSON model (schemaVersion >= 39; an API export with a
"dashboard" key too): rows expanded or collapsed (a collapsed row's panels are
drawn expanded, under its title), "timeseries" (lines, points, steps, fill,
stacking normal and percent, legend list/table at the bottom or right with
calcs), "stat", "gauge" and "bargauge" (reduceOptions.calcs, textMode,
colorMode, thresholds, value mappings, sparkline), "text"; other types are
named, not drawn. Variables: $instance (--instance, else the first instance
that has --instance-metric in the window), $__rate_interval (--rate-interval,
else Grafana's rule max(step + scrape interval, 4 x scrape interval) with the
instance's scrape interval from /api/v1/targets, 15s when unknown),
$__interval, $__range, the dashboard's constant/custom variables, --var.
Units: Grafana unit ids (pps, bps, Bps, bytes, decbytes, percent,
percentunit, s, ms, short, none, reqps, hertz, dateTimeAsIso, ...). A query
Prometheus refuses is shown in red in its panel ("query error" in the corner
when the panel's other queries answered).

Prints "PNG: N panels, M with data" (N counts the panels that query
Prometheus) and names each empty panel on stderr. Exit status 0 written,
1 on an error (Prometheus unreachable, dashboard unreadable, no instance),
2 with --require-data when a panel has no data.
"""
import argparse
import io
import json
import math
import re
import sys
import textwrap
import time
import urllib.error
import urllib.parse
import urllib.request

PROG = "dashboard-preview"

# Layout, in pixels (the figure is drawn at 72 dpi: one point is one pixel).
DPI = 72
PAD = 8            # figure margin
GAP = 6            # between panels
HEADER_H = 54      # dashboard title band
TITLE_H = 24       # panel title line
TITLE_FS = 11
TICK_FS = 8.5
LEGEND_FS = 8.5
LEGEND_ROW = 13
ROW_FS = 13
XTICK_H = 14

BG = "#F4F5F5"
PANEL_BG = "#FFFFFF"
BORDER = "#D5D7DB"
TEXT = "#24292E"
MUTED = "#6A6F76"
GRID = "#E7E8EA"
RED = "#E02F44"

# Grafana's classic palette, in its order.
PALETTE = ["#7EB26D", "#EAB839", "#6ED0E0", "#EF843C", "#E24D42", "#1F78C1",
           "#BA43A9", "#705DA0", "#508642", "#CCA300", "#447EBC", "#C15C17",
           "#890F02", "#0A437C", "#6D1F62", "#584477", "#B7DBAB", "#F4D598",
           "#70DBED", "#F9BA8F", "#F29191", "#82B5D8", "#E5A8E2", "#AEA2E0"]

NAMED_COLORS = {}
for _hue, _shades in {
        "green": ("#37872D", "#56A64B", "#73BF69", "#96D98D", "#C8F2C2"),
        "red": ("#C4162A", "#E02F44", "#F2495C", "#FF7383", "#FFA6B0"),
        "yellow": ("#E0B400", "#F2CC0C", "#FADE2A", "#FFEE52", "#FFF899"),
        "orange": ("#FA6400", "#FF780A", "#FF9830", "#FFB357", "#FFCB7D"),
        "blue": ("#1F60C4", "#3274D9", "#5794F2", "#8AB8FF", "#C0D8FF"),
        "purple": ("#8F3BB8", "#A352CC", "#B877D9", "#CA95E5", "#DEB6F2")}.items():
    for _prefix, _hex in zip(("dark-", "semi-dark-", "", "light-", "super-light-"), _shades):
        NAMED_COLORS[_prefix + _hue] = _hex
NAMED_COLORS.update({"text": TEXT, "white": "#FFFFFF", "black": "#000000",
                     "transparent": "#FFFFFF", "gray": "#8E8E8E", "grey": "#8E8E8E"})

DEFAULT_THRESHOLDS = {"mode": "absolute",
                      "steps": [{"color": "green", "value": None}, {"color": "red", "value": 80}]}
CALC_NAMES = {"lastNotNull": "Last *", "last": "Last", "firstNotNull": "First *",
              "first": "First", "mean": "Mean", "max": "Max", "min": "Min",
              "sum": "Total", "count": "Count", "range": "Range", "delta": "Delta",
              "diff": "Difference", "median": "Median"}
QUERY_TYPES = {"timeseries", "stat", "gauge", "bargauge"}
MAX_SERIES = 100


class Fatal(Exception):
    """An error that ends the run with exit status 1."""


class QueryError(Exception):
    """Prometheus answered, but refused the query."""


# ---------------------------------------------------------------- durations

DUR_RE = re.compile(r"(\d+)(ms|s|m|h|d|w|y)")
DUR_S = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "y": 31536000}


def parse_duration(text):
    """'5m', '1h30m', '500ms' or plain seconds -> seconds (float > 0)."""
    t = text.strip()
    if re.fullmatch(r"\d+(\.\d+)?", t):
        total = float(t)
    else:
        total, pos = 0.0, 0
        for m in DUR_RE.finditer(t):
            if m.start() != pos:
                break
            total += int(m.group(1)) * DUR_S[m.group(2)]
            pos = m.end()
        if pos != len(t) or not t:
            raise argparse.ArgumentTypeError(f"not a duration: {text!r} (e.g. 30s, 5m, 1h)")
    if total <= 0:
        raise argparse.ArgumentTypeError(f"duration must be positive: {text!r}")
    return total


def prom_duration(seconds):
    """Seconds -> a duration PromQL accepts ('90s', '1500ms')."""
    ms = int(round(seconds * 1000))
    if ms % 1000:
        return f"{ms}ms"
    s = ms // 1000
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if s % size == 0:
            return f"{s // size}{unit}"
    return f"{s}s"


def nice_step(seconds):
    for s in (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 21600, 86400):
        if s >= seconds:
            return float(s)
    return float(math.ceil(seconds / 86400) * 86400)


# ---------------------------------------------------------------- units

def _si(suffix, space=" "):
    table = [(1.0, space + suffix)]
    for i, p in enumerate("kMGTPE"):
        table.append((1000.0 ** (i + 1), space + p + suffix))
    return table


def _iec(suffix):
    table = [(1.0, " " + suffix)]
    for i, p in enumerate("KMGTPE"):
        table.append((1024.0 ** (i + 1), f" {p}i{suffix}"))
    return table


def _count(suffix):
    # "1.2k req/s": the prefix goes on the number, the unit stays readable.
    return [(1.0, " " + suffix)] + [(1000.0 ** (i + 1), f"{p} {suffix}") for i, p in enumerate("kMGT")]


TIME_TABLE = [(1e-9, " ns"), (1e-6, " µs"), (1e-3, " ms"), (1.0, " s"), (60.0, " min"),
              (3600.0, " hour"), (86400.0, " day"), (604800.0, " week"), (31536000.0, " year")]
SHORT_TABLE = [(1.0, ""), (1e3, " K"), (1e6, " Mil"), (1e9, " Bil"), (1e12, " Tri")]
TIME_UNITS = {"s": 1.0, "ms": 1e-3, "µs": 1e-6, "us": 1e-6, "ns": 1e-9, "m": 60.0,
              "h": 3600.0, "d": 86400.0}
UNITS = {
    "pps": (1.0, _si("pps")), "bps": (1.0, _si("b/s")), "Bps": (1.0, _si("B/s")),
    "binbps": (1.0, _iec("b/s")), "binBps": (1.0, _iec("B/s")),
    "bytes": (1.0, _iec("B")), "decbytes": (1.0, _si("B")),
    "bits": (1.0, _iec("b")), "decbits": (1.0, _si("b")),
    "kbytes": (1024.0, _iec("B")), "mbytes": (1024.0 ** 2, _iec("B")),
    "gbytes": (1024.0 ** 3, _iec("B")), "deckbytes": (1e3, _si("B")),
    "decmbytes": (1e6, _si("B")), "decgbytes": (1e9, _si("B")),
    "KBs": (1e3, _si("B/s")), "MBs": (1e6, _si("B/s")), "Kbits": (1e3, _si("b/s")),
    "Mbits": (1e6, _si("b/s")), "Gbits": (1e9, _si("b/s")),
    "percent": (1.0, [(1.0, "%")]), "percentunit": (100.0, [(1.0, "%")]),
    "short": (1.0, SHORT_TABLE), "none": (1.0, [(1.0, "")]), "": (1.0, [(1.0, "")]),
    "reqps": (1.0, _count("req/s")), "rps": (1.0, _count("rd/s")),
    "wps": (1.0, _count("wr/s")), "iops": (1.0, _count("io/s")),
    "ops": (1.0, _count("ops/s")), "cps": (1.0, _count("c/s")),
    "hertz": (1.0, _si("Hz")), "watt": (1.0, _si("W")), "volt": (1.0, _si("V")),
    "celsius": (1.0, [(1.0, "°C")]),
}
DATE_UNITS = {"dateTimeAsIso", "dateTimeAsIsoNoDateIfToday", "dateTimeAsLocal",
              "dateTimeAsLocalNoDateIfToday", "dateTimeAsUS", "dateTimeAsUSNoDateIfToday",
              "dateTimeAsSystem", "dateTimeFromNow"}


def unit_table(unit):
    """-> (multiplier, [(factor, suffix)] ascending, prefix)."""
    unit = unit or ""
    if unit in UNITS:
        mult, table = UNITS[unit]
        return mult, table, ""
    if unit in TIME_UNITS:
        return TIME_UNITS[unit], TIME_TABLE, ""
    kind, _, arg = unit.partition(":")
    if kind == "suffix" and arg:
        return 1.0, [(1.0, arg)], ""
    if kind == "prefix" and arg:
        return 1.0, [(1.0, "")], arg
    if kind == "si" and arg:
        return 1.0, _si(arg), ""
    if kind == "count" and arg:
        return 1.0, _count(arg), ""
    if unit in ("locale", "dtdurations", "dtdhms", "dtdurationms") or unit in DATE_UNITS:
        return 1.0, [(1.0, "")], ""
    return 1.0, [(1.0, " " + unit)], ""


def pick_factor(table, ref):
    ref = abs(ref)
    chosen = table[0]
    if ref == 0 or not math.isfinite(ref):
        return next((t for t in table if t[0] == 1.0), table[0])
    for f, s in table:
        if f <= ref * (1 + 1e-9):
            chosen = (f, s)
    return chosen


def auto_decimals(v):
    v = abs(v)
    if v == 0 or v >= 100:
        return 0
    if v >= 10:
        return 1
    if v >= 1:
        return 2
    return min(6, 2 - math.floor(math.log10(v)))


def special(v):
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "+Inf" if v > 0 else "-Inf"
    return None


def fmt_duration_words(seconds):
    s = int(abs(seconds))
    parts = []
    for name, size in (("year", 31536000), ("day", 86400), ("hour", 3600), ("minute", 60), ("second", 1)):
        if s >= size and len(parts) < 2:
            n, s = divmod(s, size)
            parts.append(f"{n} {name}{'s' if n != 1 else ''}")
    return ", ".join(parts) or "0 seconds"


def fmt_date(v, unit, now):
    secs = v / 1000.0 if abs(v) > 1e11 else v       # Grafana wants ms; accept seconds too
    if unit == "dateTimeFromNow":
        d = now - secs
        return ("in " if d < 0 else "") + fmt_duration_words(d) + ("" if d < 0 else " ago")
    lt = time.localtime(secs)
    if unit.endswith("NoDateIfToday") and lt[:3] == time.localtime(now)[:3]:
        return time.strftime("%H:%M:%S", lt)
    if unit.startswith("dateTimeAsUS"):
        return time.strftime("%m/%d/%Y %I:%M:%S %p", lt)
    return time.strftime("%Y-%m-%d %H:%M:%S", lt)


def format_value(v, unit, decimals=None, now=None):
    """One value as Grafana would show it in a stat or a legend."""
    sp = special(v)
    if sp:
        return sp
    unit = unit or ""
    if unit in DATE_UNITS:
        return fmt_date(v, unit, now if now is not None else time.time())
    if unit in ("dtdurations", "dtdurationms"):
        return fmt_duration_words(v / 1000.0 if unit == "dtdurationms" else v)
    if unit == "dtdhms":
        d, r = divmod(int(abs(v)), 86400)
        h, r = divmod(r, 3600)
        return (f"{d}d " if d else "") + f"{h:02d}:{r // 60:02d}:{r % 60:02d}"
    if unit == "locale":
        return f"{v:,.{decimals if decimals is not None else 0}f}"
    mult, table, prefix = unit_table(unit)
    x = v * mult
    f, suffix = pick_factor(table, x)
    y = x / f
    if decimals is None:
        d = auto_decimals(y)
        if f == 1.0 and y == int(y):
            d = 0
        text = f"{y:.{d}f}"
        if "." in text:
            text = text.rstrip("0").rstrip(".")
    else:
        text = f"{y:.{int(decimals)}f}"
    if text in ("-0",):
        text = "0"
    return prefix + text + suffix


def axis_ticks(lo, hi, unit, decimals, nbins):
    """Y ticks in raw units and their labels: round numbers in the unit's scale
    (10 MiB, not 10485760 B), one scale for the axis, enough decimals to tell
    the ticks apart."""
    from matplotlib.ticker import MaxNLocator
    if unit in DATE_UNITS or unit in ("dtdurations", "dtdhms", "dtdurationms", "locale"):
        unit = "none"
    mult, table, prefix = unit_table(unit)
    f, suffix = pick_factor(table, max(abs(lo), abs(hi)) * mult)
    k = mult / f                                   # raw -> scaled
    slo, shi = lo * k, hi * k
    ticks = [t for t in MaxNLocator(nbins=nbins, steps=[1, 2, 2.5, 5, 10]).tick_values(slo, shi)
             if slo - 1e-9 * abs(shi - slo) <= t <= shi + 1e-9 * abs(shi - slo)]
    if decimals is None:
        d = 0
        while d < 6 and any(abs(round(t, d) - t) > 1e-9 * max(1.0, abs(t)) for t in ticks):
            d += 1
    else:
        d = int(decimals)
    labels = []
    for t in ticks:
        text = f"{t:.{d}f}"
        labels.append("0" if float(text) == 0 else prefix + text + suffix)
    return [t / k for t in ticks], labels


# ---------------------------------------------------------------- colors

def parse_color(c, fallback=TEXT):
    if not isinstance(c, str) or not c:
        return fallback
    c = c.strip()
    if c in NAMED_COLORS:
        return NAMED_COLORS[c]
    m = re.fullmatch(r"rgba?\(\s*(\d+)\s*,\s*(\d+)\s*,\s*(\d+)\s*(?:,\s*[\d.]+\s*)?\)", c)
    if m:
        return "#%02X%02X%02X" % tuple(min(255, int(g)) for g in m.groups())
    if re.fullmatch(r"#[0-9a-fA-F]{6}([0-9a-fA-F]{2})?|#[0-9a-fA-F]{3}", c):
        return c[:7] if len(c) == 9 else c
    try:
        import matplotlib.colors as mcolors
        return mcolors.to_hex(c)
    except ValueError:
        return fallback


def readable(hexcolor):
    """Darken a light color until it reads on a white panel."""
    import matplotlib.colors as mcolors
    r, g, b = mcolors.to_rgb(hexcolor)
    for _ in range(10):
        lum = 0.2126 * r + 0.7152 * g + 0.0722 * b
        if lum <= 0.55:
            break
        r, g, b = r * 0.88, g * 0.88, b * 0.88
    return mcolors.to_hex((r, g, b))


def threshold_color(v, fc, lo=None, hi=None):
    th = fc.get("thresholds") or DEFAULT_THRESHOLDS
    steps = [s for s in (th.get("steps") or []) if isinstance(s, dict)]
    if not steps or not math.isfinite(v):
        return parse_color(steps[0].get("color") if steps else "green")
    x = v
    if th.get("mode") == "percentage":
        lo = fc.get("min", lo if lo is not None else 0)
        hi = fc.get("max", hi if hi is not None else 100)
        x = (v - lo) / (hi - lo) * 100 if hi != lo else 0
    color = steps[0].get("color")
    for s in steps:
        val = s.get("value")
        if val is None or (isinstance(val, (int, float)) and x >= val):
            color = s.get("color", color)
    return parse_color(color)


# ---------------------------------------------------------------- Prometheus

def api(base, path, params, timeout, post=False):
    url = base.rstrip("/") + path
    data = urllib.parse.urlencode(params, doseq=True)
    if post:
        req = urllib.request.Request(url, data=data.encode(),
                                     headers={"Content-Type": "application/x-www-form-urlencoded"})
    else:
        req = urllib.request.Request(url + ("?" + data if data else ""))
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            body = r.read()
    except urllib.error.HTTPError as e:
        body = e.read()
        try:
            msg = json.loads(body)["error"]
        except (ValueError, KeyError, TypeError):
            msg = f"HTTP {e.code} {e.reason} from {url}"
        raise QueryError(msg) from None
    except (urllib.error.URLError, OSError) as e:
        why = getattr(e, "reason", e)
        why = getattr(why, "strerror", None) or why
        raise Fatal(f"cannot reach Prometheus at {base}: {why}") from None
    try:
        doc = json.loads(body)
    except ValueError:
        raise Fatal(f"{url} did not answer with JSON: is {base} a Prometheus?") from None
    if not isinstance(doc, dict) or doc.get("status") != "success":
        raise QueryError(doc.get("error", "unknown error") if isinstance(doc, dict) else "bad answer")
    return doc.get("data")


class Series:
    def __init__(self, name, labels, points):
        self.name = name
        self.labels = labels
        self.points = points          # [(t, v)]
        self.color = None

    def values(self):
        return [v for _, v in self.points]


LEGEND_RE = re.compile(r"\{\{\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\}\}")


def series_name(labels, legend, expr):
    if legend and legend != "__auto":
        return LEGEND_RE.sub(lambda m: str(labels.get(m.group(1), "")), legend)
    name = labels.get("__name__", "")
    rest = [f'{k}="{v}"' for k, v in sorted(labels.items()) if k != "__name__"]
    if not rest:
        return name or expr
    return name + "{" + ", ".join(rest) + "}"


VAR_RE = re.compile(r"\$\{(\w+)(?::[^}]*)?\}|\[\[(\w+)(?::[^\]]*)?\]\]|\$(\w+)")


def substitute(expr, variables, missing):
    def repl(m):
        name = m.group(1) or m.group(2) or m.group(3)
        if name in variables:
            return variables[name]
        missing.add(name)
        return m.group(0)
    return VAR_RE.sub(repl, expr)


def query_panel(ctx, panel):
    """-> (series list, error strings, notes)."""
    out, errors, notes = [], [], []
    pds = panel.get("datasource")
    for t in panel.get("targets") or []:
        if not isinstance(t, dict) or t.get("hide"):
            continue
        ds = t.get("datasource") if isinstance(t.get("datasource"), dict) else pds
        if isinstance(ds, dict) and ds.get("type") not in (None, "prometheus"):
            notes.append(f"{t.get('refId', '?')}: datasource type {ds.get('type')!r} not queried")
            continue
        expr = (t.get("expr") or "").strip()
        if not expr:
            continue
        q = substitute(expr, ctx["vars"], ctx["missing"])
        try:
            data = api(ctx["prom"], "/api/v1/query_range",
                       {"query": q, "start": f"{ctx['start']:.3f}", "end": f"{ctx['end']:.3f}",
                        "step": f"{ctx['step']:g}"}, ctx["timeout"], post=True)
        except QueryError as e:
            errors.append(f"{t.get('refId', '?')}: {e}")
            continue
        for s in (data or {}).get("result") or []:
            labels = s.get("metric") or {}
            pts = []
            for ts, v in s.get("values") or []:
                try:
                    pts.append((float(ts), float(v)))
                except (TypeError, ValueError):
                    pass
            out.append(Series(series_name(labels, t.get("legendFormat"), q), labels, pts))
    return out, errors, notes


def discover_instance(ctx, metric):
    try:
        values = api(ctx["prom"], "/api/v1/label/instance/values",
                     {"match[]": metric, "start": f"{ctx['start']:.3f}", "end": f"{ctx['end']:.3f}"},
                     ctx["timeout"])
    except QueryError as e:
        raise Fatal(f"cannot list instances of {metric}: {e}") from None
    values = sorted(values or [])
    if not values:
        raise Fatal(f"no instance has {metric} in the last {prom_duration(ctx['range'])} "
                    f"at {ctx['prom']}: is it scraping? (or pass --instance)")
    if len(values) > 1:
        print(f"{PROG}: {len(values)} instances have {metric}; using {values[0]} "
              f"(--instance '{'|'.join(values)}' for all)", file=sys.stderr)
    return values[0]


def scrape_interval(ctx, instance):
    try:
        data = api(ctx["prom"], "/api/v1/targets", {"state": "active"}, ctx["timeout"])
    except QueryError:
        return None
    for t in (data or {}).get("activeTargets") or []:
        if (t.get("labels") or {}).get("instance") == instance:
            text = t.get("scrapeInterval") or (t.get("discoveredLabels") or {}).get("__scrape_interval__")
            try:
                return parse_duration(text) if text else None
            except argparse.ArgumentTypeError:
                return None
    return None


# ---------------------------------------------------------------- dashboard

def load_dashboard(path):
    try:
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
    except OSError as e:
        raise Fatal(f"cannot read dashboard {path}: {e.strerror}") from None
    except ValueError as e:
        raise Fatal(f"dashboard {path} is not valid JSON: {e}") from None
    if isinstance(doc, dict) and "panels" not in doc and isinstance(doc.get("dashboard"), dict):
        doc = doc["dashboard"]
    if not isinstance(doc, dict) or not isinstance(doc.get("panels"), list):
        raise Fatal(f"{path} is not a Grafana dashboard (no top-level \"panels\" list)")
    return doc


def grid_of(p):
    gp = p.get("gridPos") if isinstance(p.get("gridPos"), dict) else {}

    def num(k, d):
        v = gp.get(k, d)
        return int(v) if isinstance(v, (int, float)) else d
    x = min(max(num("x", 0), 0), 23)
    w = min(max(num("w", 12), 1), 24 - x)
    return x, max(num("y", 0), 0), w, max(num("h", 8), 1)


def flow(panels):
    """Rows and panels with positions; collapsed rows drawn expanded.

    Grafana keeps a collapsed row's panels inside the row with their
    expanded gridPos while the next row starts right below, so sections are
    laid out one after another, each keeping its panels' relative positions.
    """
    sections = [[None, []]]
    for p in panels:
        if not isinstance(p, dict):
            continue
        if p.get("type") == "row":
            sections.append([p, [q for q in (p.get("panels") or []) if isinstance(q, dict)]])
        else:
            sections[-1][1].append(p)
    items, cursor = [], 0
    for row, members in sections:
        if row is not None:
            items.append(("row", row, (0, cursor, 24, 1)))
            cursor += 1
        placed = [p for p in members if isinstance(p.get("gridPos"), dict)]
        if placed:
            grids = [grid_of(p) for p in placed]
            top = min(g[1] for g in grids)
            bottom = 0
            for p, (x, y, w, h) in zip(placed, grids):
                items.append(("panel", p, (x, cursor + y - top, w, h)))
                bottom = max(bottom, y - top + h)
            cursor += bottom
        for p in members:                  # no gridPos: Grafana's default size, below the rest
            if not isinstance(p.get("gridPos"), dict):
                items.append(("panel", p, (0, cursor, 12, 8)))
                cursor += 8
    return items, cursor


def template_vars(doc):
    out = {}
    for v in ((doc.get("templating") or {}).get("list") or []):
        if not isinstance(v, dict) or not v.get("name") or v.get("type") in ("datasource", "adhoc"):
            continue
        cur = (v.get("current") or {}).get("value")
        if isinstance(cur, list):
            cur = "|".join(str(c) for c in cur)
        if cur in (None, ""):
            if v.get("type") == "constant" and isinstance(v.get("query"), str):
                cur = v["query"]
            else:
                continue
        if cur == "$__all":
            cur = v.get("allValue") or ".*"
        out[v["name"]] = str(cur)
    return out


# ---------------------------------------------------------------- reduce

def reduce_values(vals, calc):
    nn = [v for v in vals if not math.isnan(v)]
    nan = float("nan")
    if calc == "last":
        return vals[-1] if vals else nan
    if calc == "first":
        return vals[0] if vals else nan
    if calc == "firstNotNull":
        return nn[0] if nn else nan
    if calc == "count":
        return float(len(vals))
    if not nn:
        return nan
    if calc == "mean":
        return sum(nn) / len(nn)
    if calc == "max":
        return max(nn)
    if calc == "min":
        return min(nn)
    if calc == "sum":
        return sum(nn)
    if calc == "range":
        return max(nn) - min(nn)
    if calc == "diff":
        return nn[-1] - nn[0]
    if calc == "median":
        s = sorted(nn)
        n = len(s)
        return s[n // 2] if n % 2 else (s[n // 2 - 1] + s[n // 2]) / 2
    if calc == "delta":          # a counter's increase, resets counted from 0
        total = 0.0
        for a, b in zip(nn, nn[1:]):
            total += b - a if b >= a else b
        return total
    return nn[-1]                # lastNotNull and anything unknown


def mapped(v, mappings):
    """A value mapping's result {text, color} for v, or None."""
    for m in mappings or []:
        if not isinstance(m, dict):
            continue
        o = m.get("options") or {}
        kind = m.get("type")
        if kind == "value" and isinstance(o, dict):
            for key, res in o.items():
                try:
                    if float(key) == v:
                        return res
                except ValueError:
                    pass
        elif kind == "range":
            lo, hi = o.get("from"), o.get("to")
            if math.isfinite(v) and (lo is None or v >= lo) and (hi is None or v <= hi):
                return o.get("result")
        elif kind == "special":
            match = o.get("match")
            if (match in ("nan", "null+nan", "null") and math.isnan(v)) or \
               (match == "true" and v == 1) or (match == "false" and v == 0):
                return o.get("result")
    return None


# ---------------------------------------------------------------- drawing

class Canvas:
    """The figure, with a pixel coordinate system (origin top left)."""

    def __init__(self, width, height):
        import matplotlib.pyplot as plt
        from matplotlib.font_manager import FontProperties
        self.W, self.H = width, height
        self.fig = plt.figure(figsize=(width / DPI, height / DPI), dpi=DPI, facecolor=BG)
        self.bg = self._overlay(-10)
        self.fg = self._overlay(10)
        self.renderer = self.fig.canvas.get_renderer()
        self._fp = FontProperties
        self._cache = {}

    def _overlay(self, z):
        ax = self.fig.add_axes([0, 0, 1, 1], zorder=z)
        ax.set_xlim(0, self.W)
        ax.set_ylim(self.H, 0)
        ax.axis("off")
        ax.patch.set_visible(False)
        return ax

    def text_w(self, s, size, weight="normal"):
        key = (s, size, weight)
        if key not in self._cache:
            w, _, _ = self.renderer.get_text_width_height_descent(
                s, self._fp(size=size, weight=weight), ismath=False)
            self._cache[key] = w
        return self._cache[key]

    def fit(self, s, size, maxw, weight="normal"):
        if self.text_w(s, size, weight) <= maxw:
            return s
        lo, hi = 0, len(s)
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if self.text_w(s[:mid] + "…", size, weight) <= maxw:
                lo = mid
            else:
                hi = mid - 1
        return s[:lo] + "…" if lo else ""

    def rect(self, x, y, w, h, face, edge=None, layer=None, lw=1, alpha=1.0):
        from matplotlib.patches import Rectangle
        (layer or self.bg).add_patch(Rectangle((x, y), w, h, facecolor=face, alpha=alpha,
                                               edgecolor=edge or "none", linewidth=lw))

    def text(self, x, y, s, size, color=TEXT, weight="normal", ha="left", va="top", layer=None, **kw):
        (layer or self.fg).text(x, y, s, fontsize=size, color=color, fontweight=weight,
                                ha=ha, va=va, **kw)

    def axes(self, x, y, w, h, z=0):
        return self.fig.add_axes(self._frac(x, y, w, h), zorder=z)

    def place(self, ax, x, y, w, h):
        ax.set_position(self._frac(x, y, w, h))

    def _frac(self, x, y, w, h):
        return [x / self.W, 1 - (y + h) / self.H, max(w, 1) / self.W, max(h, 1) / self.H]


def time_ticks(start, end, width_px):
    span = end - start
    maxn = max(2, int(width_px / 70))
    steps = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800,
             21600, 43200, 86400, 172800, 604800]
    step = next((s for s in steps if span / s <= maxn), steps[-1])
    off = time.localtime(end).tm_gmtoff
    t = math.ceil((start + off) / step) * step - off
    ticks = []
    while t <= end + 1e-6:
        ticks.append(t)
        t += step
    if span > 86400:
        fmt = "%m-%d %H:%M"
    elif step % 60 == 0:
        fmt = "%H:%M"
    else:
        fmt = "%H:%M:%S"
    return ticks, [time.strftime(fmt, time.localtime(t)) for t in ticks]


def legend_layout(cv, entries, avail_w, max_rows, one_per_row):
    """Flow legend entries into rows; the last slot says '+K more' when they do not fit."""
    def width(label):
        return 16 + cv.text_w(label, LEGEND_FS) + 14

    def place(reserve):
        rows, cur, curw = [], [], 0.0
        for i, (label, color) in enumerate(entries):
            label = cv.fit(label, LEGEND_FS, avail_w - 30)
            ew = width(label)
            last_row = len(rows) == max_rows - 1
            limit = avail_w - (reserve if last_row else 0)
            if cur and (one_per_row or curw + ew > limit):
                rows.append(cur)
                cur, curw = [], 0.0
                last_row = len(rows) == max_rows - 1
                limit = avail_w - (reserve if last_row else 0)
            if len(rows) >= max_rows or (reserve and last_row and curw + ew > limit):
                return rows + ([cur] if cur else []), len(entries) - i
            cur.append((label, color, ew))
            curw += ew
        if cur:
            rows.append(cur)
        return rows, 0

    rows, left = place(0)
    if left or len(rows) > max_rows:
        rows, left = place(cv.text_w("+9999 more", LEGEND_FS) + 6)
        rows = rows[:max_rows]
        if one_per_row and left and rows:
            left += 1
            rows[-1] = []
            rows = [r for r in rows if r] or rows
    return rows, left


def draw_legend(cv, rows, left, x, y):
    for r, row in enumerate(rows):
        cx = x
        yy = y + r * LEGEND_ROW + LEGEND_ROW / 2
        for label, color, ew in row:
            cv.rect(cx, yy - 1.5, 12, 3, color)
            cv.text(cx + 16, yy, label, LEGEND_FS, color=TEXT, va="center_baseline", layer=cv.bg)
            cx += ew
        if r == len(rows) - 1 and left:
            cv.text(cx + 2, yy, f"+{left} more", LEGEND_FS, color=MUTED, va="center_baseline",
                    layer=cv.bg, style="italic")


def style_axes(ax):
    ax.set_facecolor(PANEL_BG)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    for side in ("left", "bottom"):
        ax.spines[side].set_color(BORDER)
    ax.tick_params(labelsize=TICK_FS, colors=MUTED, length=0, pad=3)
    ax.grid(True, color=GRID, linewidth=0.8)
    ax.set_axisbelow(True)


def series_colors(series, fc):
    color = fc.get("color") or {}
    mode = color.get("mode", "palette-classic")
    for i, s in enumerate(series):
        if mode in ("fixed", "shades"):
            c = parse_color(color.get("fixedColor"), PALETTE[i % len(PALETTE)])
        elif mode == "thresholds":
            c = threshold_color(reduce_values(s.values(), "lastNotNull"), fc)
        else:
            c = PALETTE[i % len(PALETTE)]
        s.color = c


def apply_overrides(series, panel):
    """byName / byRegexp overrides of color, displayName and hideFrom.viz."""
    hidden = set()
    for ov in ((panel.get("fieldConfig") or {}).get("overrides") or []):
        if not isinstance(ov, dict):
            continue
        m = ov.get("matcher") or {}
        mid, opt = m.get("id"), m.get("options")
        if mid == "byName":
            match = [s for s in series if s.name == opt]
        elif mid == "byRegexp" and isinstance(opt, str):
            try:
                rx = re.compile(opt)
            except re.error:
                continue
            match = [s for s in series if rx.fullmatch(s.name) or rx.search(s.name)]
        else:
            continue
        for prop in ov.get("properties") or []:
            pid, val = prop.get("id"), prop.get("value")
            for s in match:
                if pid == "color" and isinstance(val, dict):
                    s.color = parse_color(val.get("fixedColor"), s.color)
                elif pid == "displayName" and isinstance(val, str):
                    s.name = val
                elif pid == "custom.hideFrom" and isinstance(val, dict) and val.get("viz"):
                    hidden.add(id(s))
    return [s for s in series if id(s) not in hidden]


def draw_timeseries(cv, ctx, panel, series, box):
    x, y, w, h = box
    fc = (panel.get("fieldConfig") or {}).get("defaults") or {}
    custom = fc.get("custom") or {}
    unit = fc.get("unit") or ""
    decimals = fc.get("decimals")
    opts = panel.get("options") or {}
    lg = opts.get("legend") or {}
    show_legend = lg.get("showLegend", True) and lg.get("displayMode", "list") != "hidden"
    placement = lg.get("placement", "bottom")
    calcs = [c for c in (lg.get("calcs") or []) if isinstance(c, str)]
    stacking = (custom.get("stacking") or {}).get("mode", "none")
    start, end, step = ctx["start"], ctx["end"], ctx["step"]

    series_colors(series, fc)
    series = apply_overrides(series, panel)
    extra = max(0, len(series) - MAX_SERIES)
    series = series[:MAX_SERIES]

    # One value per grid step; a missing sample is a gap.
    n = int(round((end - start) / step)) + 1
    grid = [start + i * step for i in range(n)]
    nan = float("nan")
    ys = []
    for s in series:
        d = {int(round((t - start) / step)): v for t, v in s.points}
        ys.append([d.get(i, nan) for i in range(n)])

    left_x, right_x = x + 8, x + w - 10
    top = y + TITLE_H + 6
    bottom = y + h - 6 - XTICK_H
    legend_rows, more, legend_w = [], 0, 0
    entries = []
    if show_legend and series:
        for s in series:
            label = s.name
            if calcs:
                label += "".join(f"  {CALC_NAMES.get(c, c)} "
                                 + format_value(reduce_values(s.values(), c), unit, decimals, ctx["now"])
                                 for c in calcs)
            entries.append((label, readable(s.color)))
        if extra:
            entries.append((f"(+{extra} series not drawn)", MUTED))
    if entries and placement == "right":
        legend_w = min(max(16 + cv.text_w(e[0], LEGEND_FS) + 14 for e in entries), 0.42 * (right_x - left_x))
        max_rows = max(1, int((y + h - 6 - top) / LEGEND_ROW))
        legend_rows, more = legend_layout(cv, entries, legend_w, max_rows, True)
        right_x -= legend_w + 8
    elif entries:
        min_plot = max(28, 0.6 * (bottom - top))
        max_rows = int((bottom - top - min_plot) / LEGEND_ROW)
        if max_rows > 0:
            legend_rows, more = legend_layout(cv, entries, right_x - left_x, max_rows,
                                              lg.get("displayMode") == "table")
            bottom -= len(legend_rows) * LEGEND_ROW + 4
    bare = bottom - top < 24 or right_x - left_x < 120     # too small for axis labels
    if bare:
        bottom = y + h - 6

    ax = cv.axes(left_x + 40, top, right_x - left_x - 40, bottom - top)
    style_axes(ax)
    lw = float(custom.get("lineWidth", 1) or 1) + 0.3
    fill = float(custom.get("fillOpacity", 0) or 0) / 100.0
    draw = custom.get("drawStyle", "line")
    interp = custom.get("lineInterpolation", "linear")
    dstyle = {"stepAfter": "steps-post", "stepBefore": "steps-pre"}.get(interp, "default")

    finite = []
    if stacking in ("normal", "percent") and ys:
        vals = [[0.0 if math.isnan(v) else v for v in row] for row in ys]
        present = [any(not math.isnan(row[i]) for row in ys) for i in range(n)]
        if stacking == "percent":
            totals = [sum(row[i] for row in vals) for i in range(n)]
            vals = [[row[i] / totals[i] if totals[i] else 0.0 for i in range(n)] for row in vals]
            unit, decimals = "percentunit", None
        base = [0.0] * n
        alpha = fill if fill > 0 else 0.25
        for s, row in zip(series, vals):
            top_line = [b + v for b, v in zip(base, row)]
            lower = [b if p else nan for b, p in zip(base, present)]
            upper = [t if p else nan for t, p in zip(top_line, present)]
            c = readable(s.color)
            ax.fill_between(grid, lower, upper, color=s.color, alpha=alpha, linewidth=0,
                            step={"steps-post": "post", "steps-pre": "pre"}.get(dstyle))
            ax.plot(grid, upper, color=c, linewidth=lw, drawstyle=dstyle)
            finite += [v for v in upper if math.isfinite(v)]
            base = top_line
        finite.append(0.0)
    else:
        for s, row in zip(series, ys):
            c = readable(s.color)
            if draw == "points":
                ax.plot(grid, row, linestyle="none", marker="o", markersize=2.5, color=c)
            elif draw == "bars":
                ax.bar(grid, [0 if math.isnan(v) else v for v in row], width=step * 0.8, color=c, alpha=0.8)
            else:
                ax.plot(grid, row, color=c, linewidth=lw, drawstyle=dstyle)
                if fill > 0:
                    ax.fill_between(grid, 0, row, color=s.color, alpha=fill, linewidth=0)
            finite += [v for v in row if math.isfinite(v)]

    lo = min(finite) if finite else 0.0
    hi = max(finite) if finite else 1.0
    for key, op in (("axisSoftMin", min), ("axisSoftMax", max)):
        if isinstance(custom.get(key), (int, float)):
            lo, hi = (op(lo, custom[key]), hi) if key.endswith("Min") else (lo, op(hi, custom[key]))
    if hi - lo <= 1e-9 * max(abs(hi), abs(lo)):     # a flat line: show it against 0
        lo, hi = (0.0, 1.0) if lo == 0 else ((0.0, lo * 1.25) if lo > 0 else (lo * 1.25, 0.0))
    else:
        pad = (hi - lo) * 0.06
        lo = 0.0 if 0 <= lo < pad * 3 else lo - pad
        hi = hi + pad
    if stacking == "percent":
        lo, hi = 0.0, 1.0
    if isinstance(fc.get("min"), (int, float)):
        lo = fc["min"]
    if isinstance(fc.get("max"), (int, float)):
        hi = fc["max"]
    if hi <= lo:
        hi = lo + 1
    ax.set_ylim(lo, hi)
    ax.set_xlim(start, end)

    from matplotlib.ticker import FixedLocator, NullLocator
    if bare:
        ax.xaxis.set_major_locator(NullLocator())
        ax.yaxis.set_major_locator(NullLocator())
        cv.place(ax, left_x, top, right_x - left_x, bottom - top)
        return
    yt, ylabels = axis_ticks(lo, hi, unit, decimals, max(2, int((bottom - top) / 26)))
    ax.yaxis.set_major_locator(FixedLocator(yt))
    ax.set_yticklabels(ylabels)
    yw = max((cv.text_w(s, TICK_FS) for s in ylabels), default=10)
    plot_left = left_x + yw + 6
    cv.place(ax, plot_left, top, right_x - plot_left, bottom - top)
    xt, xl = time_ticks(start, end, right_x - plot_left)
    keep = [(t, l) for t, l in zip(xt, xl)
            if (t - start) / (end - start) * (right_x - plot_left) >= cv.text_w(l, TICK_FS) / 2 - 4
            and (end - t) / (end - start) * (right_x - plot_left) >= cv.text_w(l, TICK_FS) / 2 - 8]
    ax.xaxis.set_major_locator(FixedLocator([t for t, _ in keep]))
    ax.set_xticklabels([l for _, l in keep])

    if legend_rows:
        if placement == "right":
            draw_legend(cv, legend_rows, more, right_x + 8, top - 2)
        else:
            draw_legend(cv, legend_rows, more, left_x + 2, bottom + XTICK_H + 2)


def stat_layout(cv, texts, w, h, caption, sparkline):
    """Columns, rows and the value font size for the stat texts in a w x h
    area: the layout where the values come out biggest (one size for all, as
    Grafana does)."""
    best = None
    n = max(1, len(texts))
    for cols in range(1, n + 1):
        rows = math.ceil(n / cols)
        cw, ch = w / cols, h / rows
        small = max(8.0, min(12.0, ch * 0.16)) if caption else 0.0
        value_h = ch - (small + 4 if caption else 0)
        fs = min(42.0, value_h * (0.55 if sparkline else 0.7))
        for t in texts:
            need = cv.text_w(t, 20, "bold") / 20 if t else 0
            if need:
                fs = min(fs, (cw - 10) / need)
        if best is None or fs > best[2] + 0.01:
            best = (cols, rows, fs, small, value_h)
    return best


def draw_stat(cv, ctx, panel, series, box, legend_set):
    x, y, w, h = box
    ptype = panel.get("type")
    fc = (panel.get("fieldConfig") or {}).get("defaults") or {}
    unit = fc.get("unit") or ""
    decimals = fc.get("decimals")
    opts = panel.get("options") or {}
    calc = ((opts.get("reduceOptions") or {}).get("calcs") or ["lastNotNull"])[0]
    text_mode = opts.get("textMode", "auto")
    color_mode = opts.get("colorMode", "value")
    graph = opts.get("graphMode", "area") if ptype == "stat" else "none"
    color_cfg = (fc.get("color") or {})
    series_colors(series, fc)
    series = apply_overrides(series, panel)
    more = max(0, len(series) - 24)
    series = series[:24]

    cells = []
    for i, s in enumerate(series):
        v = reduce_values(s.values(), calc)
        m = mapped(v, fc.get("mappings"))
        text = (m or {}).get("text") or format_value(v, unit, decimals, ctx["now"])
        if m and m.get("color"):
            color = parse_color(m["color"])
        elif color_cfg.get("mode", "thresholds") == "thresholds":
            color = threshold_color(v, fc)
        else:
            color = s.color
        name = s.name
        if text_mode == "name":
            big, small = name, None
        elif text_mode == "value":
            big, small = text, None
        elif text_mode == "none":
            big, small = "", None
        elif text_mode == "value_and_name" or len(series) > 1 or legend_set:
            big, small = text, name
        else:
            big, small = text, None
        cells.append((s, v, big, small, color))

    area_x, area_y = x + 6, y + TITLE_H
    area_w, area_h = w - 12, h - TITLE_H - 6 - (12 if more else 0)
    cols, rows, fs, small_fs, value_h = stat_layout(
        cv, [c[2] for c in cells], area_w, area_h, any(c[3] for c in cells), graph == "area")
    cw, ch = area_w / cols, area_h / rows
    fs = max(fs, 7.0)

    for i, (s, v, big, small, color) in enumerate(cells):
        cx = area_x + (i % cols) * cw
        cy = area_y + (i // cols) * ch
        text_color = readable(color)
        if color_mode == "background":
            cv.rect(cx + 2, cy + 2, cw - 4, ch - 4, color, layer=cv.bg)
            text_color = "#FFFFFF"
        elif color_mode == "none":
            text_color = TEXT
        if graph == "area" and len(s.points) > 1 and ptype == "stat":
            sa = cv.axes(cx + 2, cy + ch * 0.55, cw - 4, ch * 0.45 - 2, z=1)
            sa.axis("off")
            ts = [t for t, _ in s.points]
            vs = [val for _, val in s.points]
            fin = [val for val in vs if math.isfinite(val)]
            sc = "#FFFFFF" if color_mode == "background" else color
            sa.plot(ts, vs, color=sc, linewidth=1.2, alpha=0.6)
            if fin:
                lo, hi = min(fin), max(fin)
                base = min(lo, 0) if lo >= 0 else lo
                sa.fill_between(ts, base, vs, color=sc, alpha=0.12, linewidth=0)
                sa.set_ylim(base, hi + (hi - base) * 0.1 or 1)
            sa.set_xlim(ctx["start"], ctx["end"])
        ty = cy + (small_fs + 4 if small else 0)
        if small:
            cv.text(cx + cw / 2, cy + 2, cv.fit(small, small_fs, cw - 8), small_fs,
                    color="#FFFFFF" if color_mode == "background" else MUTED, ha="center")
        vy = ty + (value_h * (0.42 if graph == "area" else 0.5))
        big = cv.fit(big, fs, cw - 8, "bold")
        cv.text(cx + cw / 2, vy, big, fs, color=text_color, weight="bold", ha="center", va="center")
        if ptype in ("gauge", "bargauge") and math.isfinite(v):
            lo = fc.get("min", 0)
            hi = fc.get("max", 1 if unit == "percentunit" else 100)
            frac = min(max((v - lo) / (hi - lo), 0), 1) if hi != lo else 0
            by = min(cy + ch - 8, vy + fs * 0.7 + 4)
            cv.rect(cx + 10, by, cw - 20, 4, GRID)
            cv.rect(cx + 10, by, (cw - 20) * frac, 4, color)
    if more:
        cv.text(x + w - 8, y + h - 4, f"+{more} more", LEGEND_FS, color=MUTED, ha="right", va="bottom")


def draw_text_panel(cv, panel, box):
    x, y, w, h = box
    content = (panel.get("options") or {}).get("content") or panel.get("content") or ""
    content = re.sub(r"<[^>]+>", "", content)
    lines = []
    avg = cv.text_w("abcdefghijklmnopqrstuvwxyz", 9) / 26
    for para in content.splitlines():
        para = re.sub(r"^\s*#+\s*|\*\*|`", "", para)
        lines += textwrap.wrap(para, max(10, int((w - 16) / avg))) or [""]
    fit = max(0, int((h - TITLE_H - 6) / 12))
    if len(lines) > fit:
        lines = lines[:max(0, fit - 1)] + ["…"]
    cv.text(x + 8, y + TITLE_H + 2, "\n".join(lines), 9, color=TEXT, linespacing=1.2)


def draw_message(cv, box, head, detail=None, color=RED):
    x, y, w, h = box
    cy = y + TITLE_H + (h - TITLE_H) / 2
    cv.text(x + w / 2, cy - (6 if detail else 0), head, 13, color=color, weight="bold",
            ha="center", va="center")
    if detail:
        wrapped = []
        avg = cv.text_w("abcdefghijklmnopqrstuvwxyz", 8) / 26
        for line in textwrap.wrap(detail, max(10, int((w - 16) / avg)))[:3]:
            wrapped.append(cv.fit(line, 8, w - 16))
        cv.text(x + w / 2, cy + 8, "\n".join(wrapped), 8, color=color, ha="center", va="top")


# ---------------------------------------------------------------- main

class Parser(argparse.ArgumentParser):
    def error(self, message):        # status 1, not argparse's 2: 2 means "a panel has no data"
        self.print_usage(sys.stderr)
        self.exit(1, f"{self.prog}: error: {message}\n")


def parse_args(argv):
    ap = Parser(prog="dashboard-preview.py",
                                 description="Render a Grafana dashboard from Prometheus into one PNG.")
    ap.add_argument("--prometheus", required=True, metavar="URL", help="e.g. http://127.0.0.1:9091")
    ap.add_argument("--dashboard", required=True, metavar="JSON", help="Grafana dashboard JSON model")
    ap.add_argument("--out", required=True, metavar="PNG")
    ap.add_argument("--instance", metavar="REGEX", help="value of $instance (default: discovered)")
    ap.add_argument("--instance-metric", default="sluice_build_info", metavar="METRIC",
                    help="metric whose instances are discovered (default %(default)s)")
    ap.add_argument("--range", type=parse_duration, default=parse_duration("5m"), metavar="DUR",
                    help="time range ending now (default 5m)")
    ap.add_argument("--step", type=parse_duration, metavar="DUR", help="query step (default range/150)")
    ap.add_argument("--rate-interval", type=parse_duration, metavar="DUR",
                    help="$__rate_interval (default: Grafana's rule from the scrape interval)")
    ap.add_argument("--title", metavar="TEXT", help="title instead of the dashboard's")
    ap.add_argument("--var", action="append", default=[], metavar="NAME=VALUE",
                    help="set a dashboard variable (repeatable)")
    ap.add_argument("--width", type=int, default=1600, metavar="PX", help="image width (default 1600)")
    ap.add_argument("--timeout", type=float, default=10.0, metavar="S", help="per request (default 10)")
    ap.add_argument("--require-data", action="store_true", help="exit 2 when a panel has no data")
    args = ap.parse_args(argv)
    for v in args.var:
        if not re.fullmatch(r"\w+=.*", v):
            ap.error(f"--var wants NAME=VALUE, not {v!r}")
    if not 600 <= args.width <= 4000:
        ap.error("--width must be between 600 and 4000")
    return args


def run(args):
    doc = load_dashboard(args.dashboard)
    try:
        import matplotlib
        matplotlib.use("Agg")
        matplotlib.rcParams["text.parse_math"] = False
        matplotlib.rcParams["font.family"] = "DejaVu Sans"
        matplotlib.rcParams["axes.unicode_minus"] = False
    except ImportError as e:
        raise Fatal(f"matplotlib is needed (apt install python3-matplotlib): {e}") from None

    rng = args.range
    step = args.step or nice_step(rng / 150)
    step = max(step, rng / 10000)                  # Prometheus refuses > 11000 points
    now = time.time()
    end = math.floor(now / step) * step
    ctx = {"prom": args.prometheus, "timeout": args.timeout, "range": rng, "step": step,
           "start": end - rng, "end": end, "now": now, "missing": set()}

    api(ctx["prom"], "/api/v1/query", {"query": "1"}, ctx["timeout"])   # reachable, and a Prometheus
    instance = args.instance if args.instance is not None else discover_instance(ctx, args.instance_metric)
    if args.rate_interval:
        rate = args.rate_interval
    else:
        scrape = scrape_interval(ctx, instance) or 15.0
        rate = max(step + scrape, 4 * scrape)
    variables = template_vars(doc)
    variables.update({"instance": instance, "__rate_interval": prom_duration(rate),
                      "__interval": prom_duration(step), "__interval_ms": str(int(step * 1000)),
                      "__range": prom_duration(rng), "__range_s": str(int(rng)),
                      "__range_ms": str(int(rng * 1000))})
    for v in args.var:
        name, _, value = v.partition("=")
        variables[name] = value
    ctx["vars"] = variables

    items, grid_h = flow(doc["panels"])
    W = args.width
    colw = (W - 2 * PAD + GAP) / 24
    unit_h = round(colw * 0.58)
    H = int(HEADER_H + grid_h * unit_h + PAD)
    cv = Canvas(W, H)

    title = args.title or doc.get("title") or "dashboard"
    cv.text(PAD + 2, 10, cv.fit(title, 17, W - 2 * PAD, "bold"), 17, weight="bold", layer=cv.bg)
    sub = (f"instance {instance}   ·   {time.strftime('%Y-%m-%d %H:%M:%S', time.localtime(ctx['start']))}"
           f" – {time.strftime('%H:%M:%S %Z', time.localtime(end))}   ·   last {prom_duration(rng)}, "
           f"step {prom_duration(step)}, rate interval {prom_duration(rate)}   ·   {args.prometheus}")
    cv.text(PAD + 2, 33, cv.fit(sub, 10, W - 2 * PAD), 10, color=MUTED, layer=cv.bg)

    counted = with_data = 0
    empty, failed = [], []
    for kind, p, (gx, gy, gw, gh) in items:
        px = PAD + gx * colw
        py = HEADER_H + gy * unit_h
        pw = gw * colw - GAP
        ph = gh * unit_h - GAP
        ptitle = str(p.get("title") or "")
        if kind == "row":
            label = ptitle or "(row)"
            cv.text(px + 2, py + ph / 2 + 1, cv.fit(label, ROW_FS, pw - 120, "bold"), ROW_FS,
                    weight="bold", va="center", layer=cv.bg)
            if p.get("collapsed"):
                cv.text(px + 10 + cv.text_w(label, ROW_FS, "bold"), py + ph / 2 + 1,
                        "(collapsed in the dashboard)", 9, color=MUTED, va="center", layer=cv.bg)
            cv.bg.plot([px, px + pw], [py + ph, py + ph], color=BORDER, linewidth=1)
            continue
        box = (px, py, pw, ph)
        cv.rect(px, py, pw, ph, PANEL_BG, BORDER)
        ptype = p.get("type") or "?"
        queried = bool(p.get("targets")) or (ptype in QUERY_TYPES and "libraryPanel" not in p)
        series, errors, notes = query_panel(ctx, p) if queried else ([], [], [])
        label = f"{ptitle or '(untitled)'!r} (id {p.get('id', '?')})"
        for e in errors + notes:
            print(f"{PROG}: {label}: {e}", file=sys.stderr)
        title_w = pw - 16
        if errors and series:           # some queries failed, others answered: say so, as Grafana does
            cv.text(px + pw - 8, py + 7, "query error", 9, color=RED, weight="bold", ha="right", layer=cv.bg)
            title_w -= cv.text_w("query error", 9, "bold") + 8
        if ptitle:
            cv.text(px + 8, py + 6, cv.fit(ptitle, TITLE_FS, title_w, "semibold"), TITLE_FS,
                    weight="semibold", layer=cv.bg)
        if ptype == "text":
            draw_text_panel(cv, p, box)
            continue
        if "libraryPanel" in p and not queried:
            draw_message(cv, box, "library panel", str((p["libraryPanel"] or {}).get("name", "")), MUTED)
            continue
        if not queried:
            draw_message(cv, box, f"({ptype} panel)", None, MUTED)
            continue
        counted += 1
        if errors:
            failed.append(label)
        if not series:
            empty.append(label)
            if errors:
                draw_message(cv, box, "Query error", "; ".join(errors))
            else:
                draw_message(cv, box, "No data", "; ".join(notes) or None)
            continue
        with_data += 1
        if ptype == "timeseries":
            draw_timeseries(cv, ctx, p, series, box)
        elif ptype in ("stat", "gauge", "bargauge"):
            legend_set = any(isinstance(t, dict) and t.get("legendFormat") not in (None, "", "__auto")
                             and not t.get("hide") for t in p.get("targets") or [])
            draw_stat(cv, ctx, p, series, box, legend_set)
        else:
            draw_message(cv, box, f"({ptype} panel: {len(series)} series, not drawn)", None, MUTED)

    for name in sorted(ctx["missing"]):
        print(f"{PROG}: ${name} is not set (--var {name}=VALUE); left in the query as is",
              file=sys.stderr)

    size = save_png(cv.fig, args.out)
    summary = f"{args.out}: {counted} panels, {with_data} with data"
    if failed:
        summary += f", {len(failed)} with query errors"
    print(f"{summary} ({W}x{H} px, {size // 1024} KiB)")
    for label in empty:
        print(f"{PROG}: no data: {label}", file=sys.stderr)
    if args.require_data and empty:
        return 2
    return 0


def save_png(fig, path):
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, facecolor=BG, metadata={"Software": None})
    data = buf.getvalue()
    try:                        # a 256-color palette: a third of the size, same look
        from PIL import Image
        img = Image.open(io.BytesIO(data)).convert("RGB")
        out = io.BytesIO()
        img.quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE).save(
            out, format="PNG", optimize=True)
        if len(out.getvalue()) < len(data):
            data = out.getvalue()
    except Exception:           # noqa: BLE001 - the unquantized PNG is fine too
        pass
    try:
        with open(path, "wb") as f:
            f.write(data)
    except OSError as e:
        raise Fatal(f"cannot write {path}: {e.strerror}") from None
    return len(data)


def main(argv=None):
    args = parse_args(argv)
    try:
        return run(args)
    except Fatal as e:
        print(f"{PROG}: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
