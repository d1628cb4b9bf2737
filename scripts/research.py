#!/usr/bin/env python3
"""Fills docs/research.md from the outputs of scripts/research.sh (standard library only).

    research.py report  --out out/research --bin target/release/xrcsim --doc docs/research.md --img docs/img
    research.py runinfo --doc docs/research.md --wall SECONDS --out out/research

`report` reads out/research/{mm1.json, validation.log, <sweep>/results.csv}, runs the traced
copy-mode runs it needs (acknowledged writes lost), copies the figures `xrcsim sweep` drew
(out/research/<sweep>/<plot>.svg, each plot named in a `[[plot]]` of
scenarios/sweeps/research-<sweep>.toml) into docs/img, and replaces every block between
`<!-- research:NAME -->` and `<!-- /research:NAME -->` in the doc with tables and numbers.
It draws nothing itself. `runinfo` fills the run-information block (date, machine, wall time).
"""

import argparse
import csv
import datetime
import glob
import json
import math
import os
import platform
import re
import shutil
import subprocess
import tomllib
from collections import OrderedDict

HEADER_LEN = 41  # bytes of a message's M0 header (models/src/copy/codec.rs HEADER_LEN)
JOBS_NOTE = "--jobs 2"
LINKS = {1.544: "T1", 44.736: "T3", 155.52: "OC-3", 1000.0: "1 Gbit/s", 10000.0: "10 Gbit/s"}
STAGES = {
    "primary_write": "primary write",
    "mover_queue": "mover queue",
    "mover_read": "mover read",
    "batching": "batching",
    "link_queue": "link queue",
    "transmission": "transmission",
    "propagation": "propagation",
    "link_outage": "link outage",
}

# ------------------------------------------------------------------------------------------
# Data


class Sweep:
    """One research sweep: its file (grid, set, seeds) and its results.csv rows."""

    def __init__(self, out, name):
        self.name = name
        self.file = "scenarios/sweeps/research-%s.toml" % name
        with open(self.file, "rb") as f:
            self.spec = tomllib.load(f)
        seeds = self.spec.get("seeds", 1)
        self.seeds = list(range(1, seeds + 1)) if isinstance(seeds, int) else list(seeds)
        path = os.path.join(out, name, "results.csv")
        with open(path, newline="") as f:
            self.rows = list(csv.DictReader(f))
        if not self.rows:
            raise SystemExit("%s: no rows" % path)

    def cmd(self):
        return "xrcsim sweep %s --out out/research/%s %s" % (self.file, self.name, JOBS_NOTE)

    def seeds_text(self):
        s = self.seeds
        if s == list(range(1, len(s) + 1)):
            return "1-%d, %d per point" % (len(s), len(s)) if len(s) > 1 else "1"
        return ", ".join(map(str, s))

    def groups(self, keys, where=None):
        g = OrderedDict()
        for r in self.rows:
            if where and any(r[k] != v for k, v in where.items()):
                continue
            g.setdefault(tuple(r[k] for k in keys), []).append(r)
        return g


def val(r, c):
    v = r.get(c, "")
    if v in ("", None):
        return None
    if v in ("true", "false"):
        return 1.0 if v == "true" else 0.0
    return float(v)


class Stat:
    """Mean, sample standard deviation, min, max of one column over rows (the seeds)."""

    def __init__(self, rows, col, scale=1.0, fn=None):
        xs = []
        for r in rows:
            v = fn(r) if fn else val(r, col)
            if v is not None:
                xs.append(v / scale)
        self.xs = xs
        self.n = len(xs)
        self.mean = sum(xs) / len(xs) if xs else None
        self.sd = (
            math.sqrt(sum((x - self.mean) ** 2 for x in xs) / (len(xs) - 1)) if len(xs) > 1 else 0.0
        )
        self.min = min(xs) if xs else None
        self.max = max(xs) if xs else None


def ms(rows, col):
    return Stat(rows, col, 1e6)


def g3(x):
    """Three significant digits, thousands separated."""
    if x is None:
        return "-"
    a = abs(x)
    if a >= 999.5:
        return "{:,.0f}".format(x)
    if a >= 100:
        return "%.0f" % x
    if a >= 10:
        return "%.1f" % x
    if a >= 1:
        return "%.2f" % x
    if a == 0:
        return "0"
    return "%.3g" % x


def pm(s):
    """mean +- sd (max) for a Stat."""
    if s.mean is None:
        return "-"
    return "%s ± %s (max %s)" % (g3(s.mean), g3(s.sd), g3(s.max))


def table(headers, rows):
    out = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    for r in rows:
        out.append("| " + " | ".join(str(c) for c in r) + " |")
    return "\n".join(out)


def attribution(rows, top=2):
    """The largest shares of the sampled lag by pipeline stage, mean over rows."""
    shares = []
    for k, name in STAGES.items():
        s = Stat(rows, "sites.0.delay_attribution." + k)
        if s.mean:
            shares.append((s.mean, name))
    shares.sort(reverse=True)
    return ", ".join("%s %d%%" % (n, round(100 * v)) for v, n in shares[:top])


def study_plots():
    """{plot name: (study, title)} from the `[[plot]]` tables of the research sweep files."""
    plots = {}
    for f in sorted(glob.glob("scenarios/sweeps/research-*.toml")):
        study = os.path.basename(f)[len("research-") : -len(".toml")]
        with open(f, "rb") as fh:
            spec = tomllib.load(fh)
        ps = spec.get("plot", [])
        for p in [ps] if isinstance(ps, dict) else ps:
            if "name" in p:
                plots[p["name"]] = (study, p.get("title", p["name"]))
    return plots


PLOTS = {}
OUT = "out/research"
BIN = "target/release/xrcsim"


def fig(img_dir, name):
    """The figure `name` as xrcsim drew it (`xrcsim sweep` of the study that names it):
    copied into img_dir, returned as markdown with the one command that draws it."""
    if name not in PLOTS:
        raise SystemExit("no research study (scenarios/sweeps/research-*.toml) has a plot named %s" % name)
    study, title = PLOTS[name]
    src = os.path.join(OUT, study, name + ".svg")
    if not os.path.exists(src):
        raise SystemExit("%s: missing; `xrcsim sweep scenarios/sweeps/research-%s.toml` draws it" % (src, study))
    shutil.copyfile(src, os.path.join(img_dir, name + ".svg"))
    return "![%s](img/%s.svg)\n\nDrawn by `xrcsim sweep scenarios/sweeps/research-%s.toml --out out/research/%s` (as `%s.svg` and `.png` there)." % (
        title,
        name,
        study,
        study,
        name,
    )


def block(figs, shows, sweep, tbl, extra=""):
    parts = list(figs)
    parts.append("**What it shows.** " + shows)
    parts.append(
        "**Command:** `%s` (seeds %s; each point is the mean over the seeds, error bars ± one "
        "standard deviation). Base scenario `%s`, overrides %s."
        % (sweep.cmd(), sweep.seeds_text(), sweep.spec["base"].replace("../", "scenarios/"), overrides(sweep))
    )
    if extra:
        parts.append(extra)
    parts.append(tbl)
    return "\n\n".join(parts)


def overrides(sweep):
    items = ["`%s` = %s" % (k, json.dumps(v)) for k, v in sweep.spec.get("grid", {}).items()]
    items += ["`%s=%s`" % (k, v if not isinstance(v, bool) else str(v).lower()) for k, v in sweep.spec.get("set", {}).items()]
    return ", ".join(items)


# ------------------------------------------------------------------------------------------
# Validation


def parse_validation(log):
    text = open(log).read()
    v = {"tables": {}, "delay": [], "md1": []}
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        m = re.search(r"# table: (\w+)", line)
        if m:
            name = m.group(1)
            header = lines[i + 1].split(",")
            rows = []
            i += 2
            while i < len(lines) and not lines[i].startswith("# end"):
                rows.append(dict(zip(header, map(float, lines[i].split(",")))))
                i += 1
            v["tables"][name] = rows
        elif line.endswith("distance_km,bound_ms,simulated_ms,ratio"):
            i += 1
            while i < len(lines) and re.match(r"^[0-9.]+,[0-9.]+,[0-9.]+,[0-9.]+$", lines[i]):
                km, b, s, r = map(float, lines[i].split(","))
                v["delay"].append((km, b, s, r))
                i += 1
            continue
        else:
            m = re.search(r"rho ([0-9.]+): mean wait ([0-9.]+) us, P-K ([0-9.]+) us, (\d+) tokens", line)
            if m:
                v["md1"].append(tuple(float(x) for x in m.groups()))
        i += 1
    m = re.search(r"test result: (\w+)\. (\d+) passed; (\d+) failed", text)
    v["result"] = m.groups() if m else ("unknown", "?", "?")
    return v


def sec_validation(out, img, docs):
    mm1 = json.loads(open(os.path.join(out, "mm1.json")).read().strip().splitlines()[-1])
    v = parse_validation(os.path.join(out, "validation.log"))
    res = {}
    # M/M/1
    so, wa = mm1["mean_sojourn"], mm1["mean_wait"]
    res["mm1"] = "\n\n".join(
        [
            table(
                ["quantity", "theory (λ = 0.9, μ = 1)", "simulated", "error"],
                [
                    ["mean sojourn time W = 1/(μ-λ)", "10", "%.4f" % so, "%+.2f%%" % (100 * (so / 10 - 1))],
                    ["mean wait Wq = λ/(μ(μ-λ))", "9", "%.4f" % wa, "%+.2f%%" % (100 * (wa / 9 - 1))],
                ],
            ),
            "%s customers, %s events, %.2f s of wall time (%.1f million events per second)."
            % ("{:,}".format(mm1["customers"]), "{:,}".format(mm1["events"]), mm1["wall_s"], mm1["events_per_s"] / 1e6),
        ]
    )
    # M/D/1
    rows = []
    for rho, meas, pk, n in v["md1"]:
        rows.append(["%.3f" % rho, "{:,.0f}".format(n), "%.1f" % pk, "%.1f" % meas, "%+.1f%%" % (100 * (meas / pk - 1))])
    res["md1"] = table(["utilisation ρ", "tokens", "P-K mean wait (µs)", "simulated (µs)", "difference"], rows)
    # Light-load replication delay
    d = v["delay"]
    res["light-delay"] = "\n\n".join(
        [
            fig(img, "light-load-delay"),
            table(
                ["distance (km)", "one-way propagation (ms)", "bound (ms)", "simulated (ms)", "ratio"],
                [["{:,.0f}".format(km), g3(km * 5e-3), "%.3f" % b, "%.3f" % s, "%.3f" % r] for km, b, s, r in d],
            ),
        ]
    )
    res["light-delay-summary"] = "ratio %.3f-%.3f" % (min(r[3] for r in d), max(r[3] for r in d))
    # Light-load window
    lw = v["tables"]["light_load_window"]
    res["light-window"] = "\n\n".join(
        [
            fig(img, "light-load-window"),
            table(
                [
                    "distance (km)",
                    "propagation (ms)",
                    "message tx (ms)",
                    "message cycle C (ms)",
                    "analytic (ms)",
                    "sampled RPO mean (ms)",
                    "cut-link windows, mean ± SE (ms)",
                    "RPO / analytic",
                ],
                [
                    [
                        "{:,.0f}".format(r["distance_km"]),
                        g3(r["propagation_ms"]),
                        "%.3f" % r["tx_ms"],
                        "%.2f" % r["cycle_ms"],
                        "%.2f" % r["analytic_ms"],
                        "%.2f" % r["rpo_mean_ms"],
                        "%.1f ± %.1f" % (r["cut_link_window_mean_ms"], r["cut_link_window_se_ms"]),
                        "%.3f" % r["ratio"],
                    ]
                    for r in lw
                ],
            ),
        ]
    )
    res["light-window-summary"] = "RPO/analytic %.3f-%.3f" % (min(r["ratio"] for r in lw), max(r["ratio"] for r in lw))
    # Overload (test tables)
    on, op, osu = v["tables"]["overload_none"][0], v["tables"]["overload_pacing"][0], v["tables"]["overload_suspend"][0]
    res["overload-test"] = table(
        ["policy", "what the report shows", "expected", "measured"],
        [
            [
                "`none`",
                "window growth (s per s), mean of seeds 1-4",
                "1 - C/L = %.3f (C = %.2f writes/s from the codec sizes)" % (on["expected_growth_s_per_s"], on["capacity_writes_per_s"]),
                "%.3f; A advances %.2f writes/s; link %.1f%% busy; window %.1f s at 30 s, %.1f s at 60 s"
                % (
                    on["measured_growth_s_per_s"],
                    on["delivered_writes_per_s"],
                    100 * on["min_utilization"],
                    on["window_30s_s"],
                    on["window_60s_s"],
                ),
            ],
            [
                "`pacing` (threshold 20, level 14, mover buffer 200)",
                "bounded window, writers slowed, response time grows",
                "window bounded; writes/s near C; host response up",
                "window %.1f s at 30 s, %.1f s at 60 s; %.1f writes/s completed; %d writes paced; mean response %.0f ms at 30 s, %.0f ms at 60 s"
                % (
                    op["window_30s_s"],
                    op["window_60s_s"],
                    op["writes_per_s"],
                    op["paced_writes"],
                    op["response_mean_30s_ms"],
                    op["response_mean_60s_ms"],
                ),
            ],
            [
                "`suspend` (threshold 200, timeout 2 s)",
                "suspension, then the window counts from it",
                "window at 20 s = 20 s - suspension instant = %.2f s" % osu["since_suspension_s"],
                "suspended at %.2f s; window %.2f s; host response p99 %.2f ms"
                % (osu["suspended_at_s"], osu["window_20s_s"], osu["response_p99_ms"]),
            ],
        ],
    )
    res["overload-growth"] = on["expected_growth_s_per_s"]
    res["result"] = v["result"]
    res["md1_max_err"] = max(abs(m / p - 1) for _, m, p, _ in v["md1"]) if v["md1"] else None
    res["mm1"] = res["mm1"]
    res["mm1_vals"] = (so, wa)
    return res


# ------------------------------------------------------------------------------------------
# Research sections


def sec_flow(out, img, val_res):
    s = Sweep(out, "flow")
    pol = lambda r: re.search(r'policy = "(\w+)"', r["copy.flow"]).group(1)
    g = OrderedDict()
    for r in s.rows:
        g.setdefault((pol(r), r["copy.mover_buffer"], r["disaster.at"]), []).append(r)
    times = []
    for (_, _, t) in g:
        x = float(t.rstrip("s"))
        if x not in times:
            times.append(x)
    growth = val_res["overload-growth"]
    f1 = fig(img, "flow-window")
    f2 = fig(img, "flow-response")
    rows = []
    for (p, buf, t), rs in g.items():
        # `model.suspensions` is a list of [time, reason] pairs: the sweep writes the
        # first as `model.suspensions.0` (an empty list leaves `model.suspensions` empty).
        susp = sum(1 for r in rs if r.get("model.suspensions.0", "") not in ("", "[]"))
        rows.append(
            [
                p,
                "{:,}".format(int(buf)),
                t.replace("s", " s"),
                g3(Stat(rs, "sites.0.data_loss_window_ns", 1e9).mean),
                g3(Stat(rs, "sites.0.lost_writes").mean),
                g3(Stat(rs, "primary.writes").mean / float(t.rstrip("s"))),
                g3(Stat(rs, "primary.write_response_ns.mean", 1e6).mean),
                g3(Stat(rs, "model.paced_writes").mean),
                g3(Stat(rs, "model.blocked_writes").mean),
                "%d/%d" % (susp, len(rs)),
                g3(Stat(rs, "model.sidefile_peak").mean),
            ]
        )
    tbl = table(
        [
            "policy",
            "mover buffer",
            "disaster at",
            "window (s)",
            "lost writes",
            "host writes/s",
            "mean response (ms)",
            "paced writes",
            "blocked writes",
            "runs suspended",
            "sidefile peak",
        ],
        rows,
    )
    w = lambda p, b, t: Stat(g[(p, b, t)], "sites.0.data_loss_window_ns", 1e9).mean
    resp = lambda p, b, t: Stat(g[(p, b, t)], "primary.write_response_ns.mean", 1e6).mean
    last = "%gs" % times[-1]
    last_txt = "%g s" % times[-1]
    shows = (
        "Without flow control the window grows linearly, %.1f s at %s (theory %.1f s); with a 200-record-set mover buffer it is "
        "%.1f s (the movers read the oldest ready record set first, so the buffer stays securable); pacing and blocking hold it near "
        "%.0f-%.0f s, but only by slowing the writers to the link's rate, so with this open workload the host's mean response "
        "grows without bound (%.0f ms by %s with pacing). Suspension keeps the host at %.2f ms and stops the copy: the window then "
        "grows a second per second from the suspension until a resynchronisation completes."
        % (
            w("none", "20000", last),
            last_txt,
            growth * times[-1],
            w("none", "200", last),
            min(w("pacing", "200", last), w("blocking", "200", last)),
            max(w("pacing", "200", last), w("blocking", "200", last)),
            resp("pacing", "200", last),
            last_txt,
            resp("suspend", "200", last),
        )
    )
    return block([f1, f2], shows, s, tbl)


def sec_distance(out, img):
    s = Sweep(out, "distance")
    g = s.groups(["link.distance_km", "disaster.cut_link"])
    kms = []
    for (km, _) in g:
        if float(km) not in kms:
            kms.append(float(km))
    key = lambda km, cut: ("%g" % km, cut)
    cut = [g[key(k, "true")] for k in kms]
    nocut = [g[key(k, "false")] for k in kms]
    W = "sites.0.data_loss_window_ns"
    f1 = fig(img, "distance-window")
    f3 = fig(img, "distance-rpo")
    f2 = fig(img, "distance-lost")
    rows = []
    for k, c, n in zip(kms, cut, nocut):
        rows.append(
            [
                "{:,.0f}".format(k),
                g3(k * 5e-3),
                pm(ms(c, W)),
                g3(Stat(c, "sites.0.lost_writes").mean),
                g3(ms(n, W).mean),
                g3(Stat(n, "sites.0.lost_writes").mean),
                "%s / %s" % (g3(ms(c, "sites.0.rpo_ns.mean").mean), g3(ms(c, "sites.0.rpo_ns.p99").mean)),
                g3(ms(c, "sites.0.replication_delay_ns.mean").mean),
                attribution(c),
            ]
        )
    tbl = table(
        [
            "distance (km)",
            "one-way propagation (ms)",
            "window, link cut (ms)",
            "lost writes, link cut",
            "window, not cut (ms)",
            "lost writes, not cut",
            "RPO over run mean / p99 (ms)",
            "replication delay mean (ms)",
            "lag owed to (sampled)",
        ],
        rows,
    )
    w0, w1 = ms(cut[0], W).mean, ms(cut[-1], W).mean
    r0, r1 = ms(cut[0], "sites.0.rpo_ns.mean").mean, ms(cut[-1], "sites.0.rpo_ns.mean").mean
    p0, p1 = ms(cut[0], "sites.0.rpo_ns.p99").mean, ms(cut[-1], "sites.0.rpo_ns.p99").mean
    nc = [ms(n, W).mean for n in nocut]
    shows = (
        "With the link cut at the disaster, the window grows from %s ms at 1 km to %s ms at 5,000 km and the lost writes from %s to %s; "
        "over the run the mean RPO rises by %s ms (%s to %s ms), about the 25 ms one-way propagation, and its p99 from %s to %s ms. "
        "If the messages already on the wire still arrive, the window at the disaster hardly depends on distance (%s ms): "
        "distance costs recovery point only to the extent that the link is lost with the primary."
        % (
            g3(w0),
            g3(w1),
            g3(Stat(cut[0], "sites.0.lost_writes").mean),
            g3(Stat(cut[-1], "sites.0.lost_writes").mean),
            g3(r1 - r0),
            g3(r0),
            g3(r1),
            g3(p0),
            g3(p1),
            g3(min(nc)) if g3(min(nc)) == g3(max(nc)) else "%s-%s" % (g3(min(nc)), g3(max(nc))),
        )
    )
    return block([f1, f3, f2], shows, s, tbl), {"w1": w0, "w5000": w1, "r1": r0, "r5000": r1, "p1": p0, "p5000": p1}


def sec_sync(out, img):
    s = Sweep(out, "distance-sync")
    g = s.groups(["link.distance_km", "copy.mode"])
    kms = []
    for (km, _) in g:
        if float(km) not in kms:
            kms.append(float(km))
    sy = [g[("%g" % k, "sync")] for k in kms]
    xr = [g[("%g" % k, "xrc")] for k in kms]
    R50, R99 = "primary.write_response_ns.p50", "primary.write_response_ns.p99"
    base = ms(sy[0], R50).mean - 2 * kms[0] * 5e-3
    f1 = fig(img, "sync-response")
    rows = []
    for k, a, b in zip(kms, sy, xr):
        offered = Stat(b, "primary.writes").mean
        rows.append(
            [
                "{:,.0f}".format(k),
                "%s / %s" % (g3(ms(a, R50).mean), g3(ms(a, R99).mean)),
                g3(base + 2 * k * 5e-3),
                "%s / %s" % (g3(ms(b, R50).mean), g3(ms(b, R99).mean)),
                "%d%%" % round(100 * Stat(a, "primary.writes").mean / offered),
                "%s / %s" % (g3(ms(a, "sites.0.data_loss_window_ns").mean), g3(Stat(a, "sites.0.lost_writes").mean)),
                "%s / %s" % (g3(ms(b, "sites.0.data_loss_window_ns").mean), g3(Stat(b, "sites.0.lost_writes").mean)),
            ]
        )
    tbl = table(
        [
            "distance (km)",
            "sync response p50 / p99 (ms)",
            "sync p50 at 1 km + round trip (ms)",
            "xrc response p50 / p99 (ms)",
            "sync writes completed (vs xrc)",
            "sync window (ms) / lost writes",
            "xrc window (ms) / lost writes",
        ],
        rows,
    )
    i300 = kms.index(300.0)
    i1000 = kms.index(1000.0)
    shows = (
        "Synchronous copy adds the round trip to every write: its median response goes from %s ms at 1 km to %s ms at 300 km "
        "(the dashed line is the round trip alone, 10 µs per km), while xrc's stays at %s ms at every distance. From 1,000 km "
        "the baseline's log volumes saturate under sync (each log write holds its volume for a round trip): the median response "
        "passes %s ms and only %d%% of the offered writes complete, so sync's small window (lost writes are never acknowledged, "
        "see the copy modes) is bought with a workload that no longer runs."
        % (
            g3(ms(sy[0], R50).mean),
            g3(ms(sy[i300], R50).mean),
            g3(ms(xr[0], R50).mean),
            g3(ms(sy[i1000], R50).mean),
            round(100 * Stat(sy[i1000], "primary.writes").mean / Stat(xr[i1000], "primary.writes").mean),
        )
    )
    return block([f1], shows, s, tbl)


def sec_bandwidth(out, img):
    s = Sweep(out, "bandwidth")
    g = s.groups(["link.bandwidth_mbps", "workload.write_rate"])
    bws, rates = [], []
    for (b, w) in g:
        if float(b) not in bws:
            bws.append(float(b))
        if w not in rates:
            rates.append(w)
    W = "sites.0.data_loss_window_ns"
    f1 = fig(img, "bandwidth-window")
    rows = []
    for w in rates:
        for b in bws:
            r = g[(repr_num(b), w)]
            rows.append(
                [
                    "%s (%s)" % (LINKS.get(b, ""), g3(b)),
                    w,
                    "%.1f%%" % (100 * Stat(r, "link.utilization").mean),
                    pm(ms(r, W)),
                    g3(Stat(r, "sites.0.lost_writes").mean),
                    "%s / %s" % (g3(ms(r, "sites.0.rpo_ns.mean").mean), g3(ms(r, "sites.0.rpo_ns.p99").mean)),
                    attribution(r),
                ]
            )
    tbl = table(
        [
            "link (Mbit/s)",
            "writes/s",
            "link utilisation",
            "window at the disaster (ms)",
            "lost writes",
            "RPO mean / p99 (ms)",
            "lag owed to (sampled)",
        ],
        rows,
    )
    hi = rates[-1]
    lo = rates[0]
    t1 = g[(repr_num(1.544), hi)]
    t3 = g[(repr_num(44.736), hi)]
    oc3 = g[(repr_num(155.52), hi)]
    g10 = g[(repr_num(10000.0), hi)]
    shows = (
        "At %s writes/s (29.5 Mbit/s of data) a T1 is overloaded and the window at a disaster at 15 s is %s s and growing; "
        "a T3 (%.0f%% busy) gives %s ms and OC-3 %s ms, after which more bandwidth buys nothing (%s ms at 10 Gbit/s): the "
        "batching timer and the mover are then the floor. At %s writes/s even a T1 keeps the window at %s ms on average, "
        "but its p99 over the run (%s ms) shows the bursts of the OLTP workload queueing on the slow line."
        % (
            hi,
            g3(ms(t1, W).mean / 1000),
            100 * Stat(t3, "link.utilization").mean,
            g3(ms(t3, W).mean),
            g3(ms(oc3, W).mean),
            g3(ms(g10, W).mean),
            lo,
            g3(ms(g[(repr_num(1.544), lo)], W).mean),
            g3(ms(g[(repr_num(1.544), lo)], "sites.0.rpo_ns.p99").mean),
        )
    )
    return block([f1], shows, s, tbl)


def repr_num(x):
    """The CSV text of a float grid value (Rust shortest round trip with a decimal point)."""
    t = repr(float(x))
    return t


def kneedle(xs, ys):
    """Index of the knee of a decreasing convex curve: the point farthest below the chord
    joining its ends, in coordinates normalised to [0, 1] (Satopaa et al., 2011)."""
    x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)
    best, bi = -1, 0
    for i, (x, y) in enumerate(zip(xs, ys)):
        d = (1 - (x - x0) / (x1 - x0)) - (y - y0) / (y1 - y0)
        if d > best:
            best, bi = d, i
    return bi


def nice(t):
    """A duration literal as text: 400us -> 400 µs, 5ms -> 5 ms, 10s -> 10 s."""
    m = re.fullmatch(r"([0-9.]+)(us|ms|s)", t)
    if not m:
        return t
    return "%s %s" % (m.group(1), {"us": "µs", "ms": "ms", "s": "s"}[m.group(2)])


def sec_batching(out, img):
    s = Sweep(out, "batching")
    g = s.groups(["copy.batch_timer", "copy.batch_bytes"])
    timers, bufs = [], []
    for (t, b) in g:
        if t not in timers:
            timers.append(t)
        if b not in bufs:
            bufs.append(b)

    def per(rs):
        secs = Stat(rs, "disaster_at_ns", 1e9).mean
        msgs = Stat(rs, "link.messages").mean
        writes = Stat(rs, "primary.writes").mean
        lb = Stat(rs, "link.bytes").mean
        return {
            "msgs_s": msgs / secs,
            "wpm": writes / msgs,
            "bpw": lb / writes,
            "ovh": msgs * (HEADER_LEN + 64) / lb,
            "delay": ms(rs, "sites.0.replication_delay_ns.mean").mean,
            "rpo": ms(rs, "sites.0.rpo_ns.mean"),
            "p99": ms(rs, "sites.0.rpo_ns.p99").mean,
            "win": ms(rs, "sites.0.data_loss_window_ns"),
            "lost": Stat(rs, "sites.0.lost_writes").mean,
        }

    P = {k: per(v) for k, v in g.items()}
    f1 = fig(img, "batching-rpo")
    # Trade-off: messages/s vs replication delay, parametric in the timer.
    knees = {}
    for b in bufs:
        xs = [P[(t, b)]["delay"] for t in timers]
        ys = [P[(t, b)]["msgs_s"] for t in timers]
        # The knee over the distinct points of the curve (a full small buffer repeats them).
        pts = sorted(set(zip(xs, ys, timers)))
        k = kneedle([p[0] for p in pts], [p[1] for p in pts])
        knees[b] = pts[k]
    kb = "262144"
    kx, ky, kt = knees[kb]
    f2 = fig(img, "batching-tradeoff")
    rows = []
    for (t, b), p in P.items():
        rows.append(
            [
                nice(t),
                "%d KiB" % (int(b) // 1024),
                g3(p["msgs_s"]),
                g3(p["wpm"]),
                "{:,.0f}".format(p["bpw"]),
                "%.2f%%" % (100 * p["ovh"]),
                g3(p["delay"]),
                "%s / %s" % (g3(p["rpo"].mean), g3(p["p99"])),
                g3(p["win"].mean),
                g3(p["lost"]),
            ]
        )
    tbl = table(
        [
            "timer",
            "buffer",
            "messages/s",
            "writes/message",
            "link bytes/write",
            "per-message overhead share",
            "replication delay mean (ms)",
            "RPO mean / p99 (ms)",
            "window at the disaster (ms)",
            "lost writes",
        ],
        rows,
    )
    t0, tl = timers[0], timers[-1]
    knee_txt = "; ".join("%d KiB: %s" % (int(b) // 1024, nice(knees[b][2])) for b in bufs)
    shows = (
        "With the default 256 KiB buffer, growing the timer from %s to %s cuts the messages from %s to %s per second "
        "(%s to %s writes per message) while the mean replication delay grows from %s to %s ms; a small buffer fills first and "
        "caps both (16 KiB holds %s writes: the delay stays near %s ms whatever the timer). Per-message bytes are a small "
        "share of a 4 KiB write (%.2f%% at %s, %.2f%% at %s), so here the gain of batching is fewer messages (I/Os and "
        "interrupts at both ends), not bandwidth; the knee of the curve (Kneedle) is at a timer of %s for 256 KiB (%s)."
        % (
            nice(t0),
            nice(tl),
            g3(P[(t0, kb)]["msgs_s"]),
            g3(P[(tl, kb)]["msgs_s"]),
            g3(P[(t0, kb)]["wpm"]),
            g3(P[(tl, kb)]["wpm"]),
            g3(P[(t0, kb)]["delay"]),
            g3(P[(tl, kb)]["delay"]),
            g3(P[(tl, bufs[0])]["wpm"]),
            g3(P[(tl, bufs[0])]["delay"]),
            100 * P[(t0, kb)]["ovh"],
            nice(t0),
            100 * P[(tl, kb)]["ovh"],
            nice(tl),
            nice(kt),
            knee_txt,
        )
    )
    return block([f1, f2], shows, s, tbl), {"knee": nice(kt), "knee_delay": kx, "knee_msgs": ky}


def sec_overhead(out, img):
    s = Sweep(out, "batching-overhead")
    g = s.groups(["copy.batch_timer", "link.overhead_bytes"])
    timers, ovs = [], []
    for (t, o) in g:
        if t not in timers:
            timers.append(t)
        if o not in ovs:
            ovs.append(o)
    best = {}
    for o in ovs:
        st = [ms(g[(t, o)], "sites.0.rpo_ns.mean") for t in timers]
        i = min(range(len(st)), key=lambda k: st[k].mean)
        best[o] = (timers[i], st[i].mean)
    # Stability: data + per-message bytes must fit the link: the message interval must exceed
    # (header + overhead) / (bandwidth - data rate).
    B = 44.736e6 / 8
    rs0 = g[(timers[0], ovs[0])]
    lam = Stat(rs0, "primary.writes").mean / Stat(rs0, "disaster_at_ns", 1e9).mean
    bpw = 4199.0  # token (39) + M2 data field (4,160) of a one-record 4 KiB write
    spare = B - lam * bpw
    need = {o: (HEADER_LEN + int(o)) / spare * 1e3 for o in ovs}
    f1 = fig(img, "batching-overhead")
    rows = []
    for (t, o), rs in g.items():
        secs = Stat(rs, "disaster_at_ns", 1e9).mean
        msgs = Stat(rs, "link.messages").mean
        rows.append(
            [
                nice(t),
                "{:,}".format(int(o)),
                g3(msgs / secs),
                g3(secs / msgs * 1e3),
                "%.1f%%" % (100 * Stat(rs, "link.utilization").mean),
                "%s / %s" % (g3(ms(rs, "sites.0.rpo_ns.mean").mean), g3(ms(rs, "sites.0.rpo_ns.p99").mean)),
                g3(ms(rs, "sites.0.data_loss_window_ns").mean),
            ]
        )
    tbl = table(
        [
            "timer",
            "overhead (bytes/message)",
            "messages/s",
            "mean message interval (ms)",
            "link utilisation",
            "RPO mean / p99 (ms)",
            "window at the disaster (ms)",
        ],
        rows,
    )
    # Which rows are below their limit, and are exactly those saturated?
    below, sat = [], []
    for (t, o), rs in g.items():
        interval = Stat(rs, "disaster_at_ns", 1e9).mean / Stat(rs, "link.messages").mean * 1e3
        # The message interval of an overloaded row is stretched by the backlog itself, so
        # judge it by the interval the timer alone would give (that of the 64-byte rows).
        free = Stat(g[(t, ovs[0])], "disaster_at_ns", 1e9).mean / Stat(g[(t, ovs[0])], "link.messages").mean * 1e3
        below.append(free < need[o])
        sat.append(Stat(rs, "link.utilization").mean > 0.99)
    agree = sum(1 for a, b in zip(below, sat) if a == b)
    extra = (
        "Stability limit: the %.0f writes/s of %s wire bytes leave %.2f MB/s of the T3 for message headers, so the mean "
        "interval between messages must exceed (41 + overhead) / spare = %s. In %d of %d rows the link is saturated "
        "(more than 99%% busy) exactly when the interval the timer gives (that of the 64-byte rows) is below the limit."
        % (
            lam,
            "{:,}".format(int(bpw)),
            spare / 1e6,
            ", ".join("%s ms for %s bytes" % (g3(need[o]), "{:,}".format(int(o))) for o in ovs),
            agree,
            len(below),
        )
    )
    hi = ovs[-1]
    shows = (
        "With the default per-message overhead (%s bytes on top of the header) the shortest timer is best (RPO %s ms at %s); "
        "at %s bytes per message the best timer is %s (RPO %s ms), and at %s bytes the shortest timers overload the T3 "
        "(RPO %s ms at %s) and the best is %s (RPO %s ms). The curve is the patent's trade-off made visible: to the left of the "
        "minimum the link is spent on overhead, to the right the lag grows with the timer."
        % (
            "{:,}".format(int(ovs[0])),
            g3(best[ovs[0]][1]),
            nice(best[ovs[0]][0]),
            "{:,}".format(int(ovs[1])),
            nice(best[ovs[1]][0]),
            g3(best[ovs[1]][1]),
            "{:,}".format(int(hi)),
            g3(ms(g[(timers[0], hi)], "sites.0.rpo_ns.mean").mean),
            nice(timers[0]),
            nice(best[hi][0]),
            g3(best[hi][1]),
        )
    )
    return block([f1], shows, s, tbl, extra)


def sec_movers(out, img):
    s = Sweep(out, "movers")
    g = s.groups(["copy.movers", "copy.mover_read_overhead"])
    movers, costs = [], []
    for (m, c) in g:
        if m not in movers:
            movers.append(m)
        if c not in costs:
            costs.append(c)
    f1 = fig(img, "movers-rpo")
    rows = []
    for (m, c), rs in g.items():
        rows.append(
            [
                m,
                nice(c),
                pm(ms(rs, "sites.0.data_loss_window_ns")),
                g3(Stat(rs, "sites.0.lost_writes").mean),
                g3(Stat(rs, "sites.0.pending_complete").mean),
                g3(Stat(rs, "sites.0.pending_incomplete").mean),
                "%s / %s" % (g3(ms(rs, "sites.0.rpo_ns.mean").mean), g3(ms(rs, "sites.0.rpo_ns.p99").mean)),
                attribution(rs),
            ]
        )
    tbl = table(
        [
            "movers",
            "read cost",
            "window at the disaster (ms)",
            "lost writes",
            "complete entries above A",
            "tokens without data",
            "RPO mean / p99 (ms)",
            "lag owed to (sampled)",
        ],
        rows,
    )
    c15 = costs[-1]
    r = lambda m, c: ms(g[(m, c)], "sites.0.rpo_ns.mean").mean
    shows = (
        "With %s per read, one mover serving the three storage controls leaves a mean RPO of %s ms, two %s ms and three (one "
        "per storage control) %s ms; a fourth adds nothing, because a mover serves whole storage controls. With cheap reads "
        "(%s) the mover is not the bottleneck and the RPO is %s ms for any count; the tokens without data at the disaster "
        "(the Fig. 5 picture) grow with the read cost."
        % (nice(c15), g3(r(movers[0], c15)), g3(r(movers[1], c15)), g3(r(movers[2], c15)), nice(costs[0]), g3(r(movers[0], costs[0])))
    )
    return block([f1], shows, s, tbl)


def sec_write_rate(out, img):
    s = Sweep(out, "write-rate")
    g = s.groups(["workload.write_rate"])
    rates = [float(k[0]) for k in g]
    rs = list(g.values())
    W = "sites.0.data_loss_window_ns"
    # Link capacity in writes/s: bandwidth over the wire bytes of a write plus its share of
    # a message (header + 64 bytes of overhead) at the writes per message seen at 900/s.
    B = 44.736e6 / 8
    i900 = rates.index(900.0)
    wpm = Stat(rs[i900], "primary.writes").mean / Stat(rs[i900], "link.messages").mean
    cap = B / (4199 + (HEADER_LEN + 64) / wpm)
    f1 = fig(img, "write-rate-window")
    rows = []
    for x, r in zip(rates, rs):
        rows.append(
            [
                "{:,.0f}".format(x),
                "%.1f%%" % (100 * Stat(r, "link.utilization").mean),
                pm(ms(r, W)),
                g3(Stat(r, "sites.0.lost_writes").mean),
                "%s / %s" % (g3(ms(r, "sites.0.rpo_ns.mean").mean), g3(ms(r, "sites.0.rpo_ns.p99").mean)),
                attribution(r),
            ]
        )
    tbl = table(
        ["writes/s", "link utilisation", "window at the disaster (ms)", "lost writes", "RPO mean / p99 (ms)", "lag owed to (sampled)"],
        rows,
    )
    w = lambda x: ms(rs[rates.index(x)], W).mean
    shows = (
        "Below the T3's capacity (about %s writes/s of 4 KiB here) the window grows gently with the load, %s ms at 100 writes/s "
        "to %s ms at 1,200, as the link queue adds to the batching wait; near and past capacity it explodes (%s ms at 1,300, "
        "%s s at 1,400, %s s at 2,000) because the backlog grows for as long as the overload lasts (15 s here). The knee sits "
        "near 90%% link utilisation, where the wait in the link queue (growing like ρ/(1-ρ)) overtakes the batching wait."
        % ("{:,.0f}".format(cap), g3(w(100.0)), g3(w(1200.0)), g3(w(1300.0)), g3(w(1400.0) / 1000), g3(w(2000.0) / 1000))
    )
    return block([f1], shows, s, tbl)


def ack_lost(binary, scenario, sets, seed, tmp):
    """Runs one row with a trace; returns (acknowledged writes lost, lost writes, trace hash)."""
    trace, report = os.path.join(tmp, "t.jsonl"), os.path.join(tmp, "r.json")
    cmd = [binary, "run", scenario, "--seed", str(seed), "--trace", trace, "--report", report, "-q", "--json"]
    for k, v in sets:
        cmd += ["--set", "%s=%s" % (k, v)]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    rep = json.load(open(report))
    a = rep["sites"][0]["consistency_seq"]
    d = rep["disaster_at_ns"]
    pat = re.compile(r'"t":(\d+),"ev":"write_done","seq":(\d+)')
    n = 0
    with open(trace) as f:
        for line in f:
            if '"write_done"' in line:
                m = pat.search(line)
                if m and int(m.group(2)) > a and int(m.group(1)) <= d:
                    n += 1
    os.remove(trace)
    return n, rep["sites"][0]["lost_writes"], rep["trace_hash"]


def tv(v):
    return str(v).lower() if isinstance(v, bool) else str(v)


def sec_modes(out, img, binary):
    tmp = os.path.join(out, "traces")
    os.makedirs(tmp, exist_ok=True)
    parts = []
    allres = {}
    for name, label in (("modes-baseline", "baseline"), ("modes-fuzzy", "naive-fuzzy")):
        s = Sweep(out, name)
        g = s.groups(["copy.mode"])
        scen = s.spec["base"].replace("../", "scenarios/")
        sets = [(k, tv(v)) for k, v in s.spec["set"].items()]
        rows = []
        res = {}
        for (mode,), rs in g.items():
            acked = []
            for r in rs:
                n, lost, h = ack_lost(binary, scen, [("copy.mode", mode)] + sets, int(r["seed"]), tmp)
                if h != r["trace_hash"] or lost != int(r["sites.0.lost_writes"]):
                    raise SystemExit("%s %s seed %s: traced run differs from the sweep row" % (name, mode, r["seed"]))
                acked.append(n)
            cons = sum(1 for r in rs if r["sites.0.prefix_consistent"] == "true" and r["sites.0.dependent_write_violations"] == "0")
            writes = Stat(rs, "primary.writes").mean
            res[mode] = {
                "win": ms(rs, "sites.0.data_loss_window_ns"),
                "lost": Stat(rs, "sites.0.lost_writes").mean,
                "acked": sum(acked) / len(acked),
                "p50": ms(rs, "primary.write_response_ns.p50").mean,
                "p99": ms(rs, "primary.write_response_ns.p99").mean,
                "mb": Stat(rs, "link.bytes").mean / 1e6,
                "bpw": Stat(rs, "link.bytes").mean / writes,
                "cons": cons,
                "n": len(rs),
                "mis": Stat(rs, "sites.0.mismatched_records").mean,
                "dep": Stat(rs, "sites.0.dependent_write_violations").mean,
                "writes": writes,
            }
            p = res[mode]
            rows.append(
                [
                    "`%s`" % mode,
                    pm(p["win"]),
                    g3(p["lost"]),
                    g3(p["acked"]),
                    "%s / %s" % (g3(p["p50"]), g3(p["p99"])),
                    "%s (%s per write)" % (g3(p["mb"]), "{:,.0f}".format(p["bpw"])),
                    "%d/%d" % (p["cons"], p["n"]),
                    "%s / %s" % (g3(p["mis"]), g3(p["dep"])),
                ]
            )
        allres[label] = res
        tbl = table(
            [
                "mode",
                "window at the disaster (ms)",
                "lost writes",
                "of them acknowledged to the host",
                "host response p50 / p99 (ms)",
                "link MB (bytes per write)",
                "consistent runs",
                "mismatched records / dependent-write violations (mean)",
            ],
            rows,
        )
        parts.append((label, s, tbl))
    f1 = fig(img, "modes-baseline") + "\n\n" + fig(img, "modes-fuzzy")
    b, f = allres["baseline"], allres["naive-fuzzy"]
    shows = (
        "On both workloads `xrc` and `xrc-prt` recover a consistent image in every run with the host's response untouched "
        "(p99 at most %s ms), losing the last %s ms (baseline) and %s ms (naive-fuzzy, slow movers) of acknowledged writes (%s and %s "
        "writes); `sync` loses only "
        "writes the host was never told were done (%s acknowledged) but multiplies the response (p99 %s ms on the baseline, "
        "%s ms on naive-fuzzy, where its log volumes saturate); `pit` loses up to its 1 s interval (%s ms) and `naive` is "
        "inconsistent in %d of %d naive-fuzzy runs (and %d of %d baseline runs), though its window looks as good as xrc's."
        % (
            g3(max(b["xrc"]["p99"], f["xrc"]["p99"])),
            g3(b["xrc"]["win"].mean),
            g3(f["xrc"]["win"].mean),
            g3(b["xrc"]["acked"]),
            g3(f["xrc"]["acked"]),
            g3(max(b["sync"]["acked"], f["sync"]["acked"])),
            g3(b["sync"]["p99"]),
            g3(f["sync"]["p99"]),
            g3(b["pit"]["win"].mean),
            f["naive"]["n"] - f["naive"]["cons"],
            f["naive"]["n"],
            b["naive"]["n"] - b["naive"]["cons"],
            b["naive"]["n"],
        )
    )
    text = [f1, "**What it shows.** " + shows]
    for label, s, tbl in parts:
        text.append("**Workload `%s`.** Command: `%s` (seeds %s), overrides %s. The acknowledged writes lost come from a traced re-run of every row (`xrcsim run ... --trace`, same trace hash as the sweep row): writes whose `write_done` precedes the disaster and whose sequence number is above A." % (label, s.cmd(), s.seeds_text(), overrides(s)))
        text.append(tbl)
    return "\n\n".join(text), allres


# ------------------------------------------------------------------------------------------
# Doc filling


FAMILY = ("xrc", "zgm", "sync", "srdfa", "gm", "ur")


def family_table(sw):
    """One row per design and distance: RPO over the run, the window at the disaster, bytes
    on the link per byte written, host response, consistency and the design's own figures."""
    out = []
    for (mode, km), rows in sw.groups(["copy.mode", "link.distance_km"]).items():
        rpo, p99 = ms(rows, "sites.0.rpo_ns.mean"), ms(rows, "sites.0.rpo_ns.p99")
        win = ms(rows, "sites.0.data_loss_window_ns")
        link = Stat(rows, "link.bytes")
        wrote = Stat(rows, "primary.bytes")
        r50, r99 = ms(rows, "primary.write_response_ns.p50"), ms(rows, "primary.write_response_ns.p99")
        cons = sum(1 for r in rows if r.get("sites.0.truth.prefix_consistent") == "true")
        own = {
            "srdfa": lambda: "cycle mean %s s, longest %s s"
            % (
                g3(Stat(rows, "model.cycle_time_sum_ns").mean / max(1.0, Stat(rows, "model.cycles").mean) / 1e9),
                g3(Stat(rows, "model.cycle_time_max_ns", 1e9).mean),
            ),
            "gm": lambda: "%s groups formed, %s failed"
            % (g3(Stat(rows, "model.consistency_groups").mean), g3(Stat(rows, "model.cg_failures").mean)),
            "ur": lambda: "journal peak %s MB, %s reads"
            % (g3(Stat(rows, "model.journal_peak_bytes", 1e6).mean), g3(Stat(rows, "model.journal_reads").mean)),
        }.get(mode, lambda: "")()
        out.append(
            [
                "`%s`" % mode,
                "{:,}".format(int(float(km))),
                "%s / %s" % (g3(rpo.mean), g3(p99.mean)),
                g3(win.mean),
                "%.2f" % (link.mean / wrote.mean) if wrote.mean else "-",
                "%s / %s" % (g3(r50.mean), g3(r99.mean)),
                "%d/%d" % (cons, len(rows)),
                own,
            ]
        )
    return table(
        [
            "design",
            "km",
            "RPO over the run, mean / p99 (ms)",
            "window at the disaster (ms)",
            "link bytes per byte written",
            "host response p50 / p99 (ms)",
            "consistent runs",
            "the design's own figures",
        ],
        out,
    )


def sec_family(out, img):
    res = {}
    parts = []
    for name, label in (
        ("family-baseline", "the OLTP baseline"),
        ("family-vm", "the real VM trace"),
        ("family-burst", "an overload burst"),
    ):
        sw = Sweep(out, name)
        figs = [fig(img, p) for p in sorted(PLOTS) if PLOTS[p][0] == name]
        parts.append("**Workload: %s.** " % label + "\n\n".join(figs))
        parts.append(
            "Command: `%s` (seeds %s). Base scenario `%s`, overrides %s."
            % (sw.cmd(), sw.seeds_text(), sw.spec["base"].replace("../", "scenarios/"), overrides(sw))
        )
        parts.append(family_table(sw))
        g = sw.groups(["copy.mode", "link.distance_km"])
        res[name] = {
            (m, int(float(k))): ms(rows, "sites.0.rpo_ns.mean").mean for (m, k), rows in g.items()
        }
    b = res["family-baseline"]
    base = Sweep(out, "family-baseline")
    at_s = float(base.spec["set"]["disaster.at"].rstrip("s"))
    # What the hosts write (xrc's rows: sync's own response slows the writers down).
    xrc_rows = [r for r in base.rows if r["copy.mode"] == "xrc"]
    wrote_mbps = Stat(xrc_rows, "primary.bytes").mean * 8 / at_s / 1e6
    plan_rows, need = family_bandwidth(BIN)
    shows = (
        "On the baseline at 300 km the sequence-number designs lag by milliseconds (xrc %s ms, ur %s ms, "
        "sync %s ms with its response paid at the host), SRDF/A by about one and a half cycles (%s s with 15 s "
        "cycles), XRC as shipped (zgm: the System Data Mover at the recovery site reading every 0.5 s through its "
        "journal) by %s s, and Global Mirror, sending whole tracks for 4 KiB updates over a T3, by most of the run (%s s: its "
        "drains cannot keep up). At 3,000 km xrc's lag grows by the propagation (%s ms), ur's by a round trip per "
        "pull (%s ms), while SRDF/A's and Global Mirror's are set by their cycles, not the distance. Every "
        "design recovers a consistent image; they differ in how old it is, what the link carries and what the host "
        "pays. For an RPO p99 under 60 s, xrc, zgm, SRDF/A and UR need about the bandwidth the primary writes (%s, %s, %s "
        "and %s Mbit/s for %s written), Global Mirror's whole tracks %s Mbit/s."
        % (
            g3(b[("xrc", 300)]),
            g3(b[("ur", 300)]),
            g3(b[("sync", 300)]),
            g3(b[("srdfa", 300)] / 1e3),
            g3(b[("zgm", 300)] / 1e3),
            g3(b[("gm", 300)] / 1e3),
            g3(b[("xrc", 3000)]),
            g3(b[("ur", 3000)]),
            g3(need["xrc"]),
            g3(need["zgm"]),
            g3(need["srdfa"]),
            g3(need["ur"]),
            g3(wrote_mbps),
            g3(need["gm"]),
        )
    )
    parts.append(
        "**Link bandwidth each design needs** for an RPO p99 of at most 60 s over 600 s of the baseline's workload "
        "(T3-class link at 300 km, no disaster): `xrcsim plan scenarios/baseline.toml --set copy.mode=MODE --until 600s "
        "--disaster-at none --rpo-p99 60s` (bisection to 2%%, one seed). The primary writes %s Mbit/s of data on average "
        "(the family-baseline xrc rows: bytes written up to the disaster at %s)."
        % (g3(wrote_mbps), base.spec["set"]["disaster.at"])
    )
    parts.append(table(["design", "bandwidth needed (Mbit/s)", "runs"], plan_rows))
    res["need"] = need
    return "**What it shows.** " + shows + "\n\n" + "\n\n".join(parts), res


def family_bandwidth(binary):
    """The smallest link bandwidth per design for RPO p99 <= 60 s (xrcsim plan)."""
    rows, need = [], {}
    for mode in ("xrc", "zgm", "srdfa", "gm", "ur"):
        out = subprocess.run(
            [binary, "plan", "scenarios/baseline.toml", "--set", "copy.mode=" + mode, "--until", "600s",
             "--disaster-at", "none", "--rpo-p99", "60s"],
            capture_output=True, text=True, check=True,
        ).stdout
        m = re.search(r"answer: ([0-9.]+) Mbit/s per path \((\d+) runs\)", out)
        if not m:
            raise SystemExit("xrcsim plan (%s) gave no answer:\n%s" % (mode, out))
        need[mode] = float(m.group(1))
        rows.append(["`%s`" % mode, m.group(1), m.group(2)])
    return rows, need


def dur_s(v):
    """Seconds of a duration string ("500ms", "1s", "2us")."""
    m = re.fullmatch(r"([0-9.]+)\s*(ns|us|ms|s)", str(v).strip())
    if not m:
        raise SystemExit("research.py: not a duration: %r" % v)
    return float(m.group(1)) * {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}[m.group(2)]


def base_scenario(sweep):
    with open(os.path.join("scenarios/sweeps", sweep.spec["base"]), "rb") as f:
        return tomllib.load(f)


def sec_zgm(out, img):
    """Section 2.10: zgm's read interval against the first-order analysis, the journal
    bound, and the copy's cost on a busy storage control."""
    res = {}
    parts = []
    # The read interval.
    sw = Sweep(out, "zgm-interval")
    base = base_scenario(sw)
    link_bps = float(sw.spec["set"].get("link.bandwidth_mbps", base["link"]["bandwidth_mbps"])) * 1e6 / 8
    jn = base.get("copy", {}).get("zgm", {}).get("journal", {})
    journal_bps = int(jn.get("data_sets", 4)) * float(jn.get("mbytes_per_s", 20)) * 1e6
    at_s = dur_s(sw.spec["set"]["disaster.at"])
    rows, ratios = [], []
    for (r_int, km), rs in sw.groups(["copy.zgm.read_interval", "link.distance_km"]).items():
        R = dur_s(r_int)
        B = Stat(rs, "primary.bytes").mean / at_s
        fo = R / 2 + float(km) * 5e-6 + B * R / link_bps + B * R / journal_bps
        rpo = Stat(rs, "sites.0.rpo_ns.mean", 1e9)
        ratios.append(rpo.mean / fo)
        cons = sum(1 for r in rs if r.get("sites.0.truth.prefix_consistent") == "true")
        rows.append(
            [r_int, "{:,}".format(int(float(km))), pm(Stat(rs, "sites.0.rpo_ns.mean", 1e6)),
             g3(ms(rs, "sites.0.rpo_ns.p99").mean), g3(fo * 1e3), "%.3f" % (rpo.mean / fo), "%d/%d" % (cons, len(rs))]
        )
    res["interval_ratio"] = (min(ratios), max(ratios))
    g = sw.groups(["copy.zgm.read_interval", "link.distance_km"])
    one = Stat(g[("1s", "300")], "sites.0.rpo_ns.mean", 1e9).mean if ("1s", "300") in g else None
    res["rpo_1s"] = one
    parts.append(
        block(
            [fig(img, "zgm-interval-rpo")],
            "The recovery point grows linearly with the read interval, by more than half of it: each read carries "
            "`R` seconds of writes, which must cross the T3 (%s MB/s written against %s MB/s of link) and be "
            "journaled before the group's time becomes the consistency time. The first-order analysis holds within "
            "%.0f%% at every point (measured / first order %.3f to %.3f); the distance adds only its one-way "
            "propagation (1.5 ms at 300 km, 15 ms at 3,000 km), small against the interval. With a one-second interval "
            "the recovery point is %s s, in the \"few seconds\" IBM gives for XRC in a typical configuration."
            % (
                g3(B / 1e6),
                g3(link_bps / 1e6),
                100 * max(abs(1 - x) for x in ratios),
                min(ratios),
                max(ratios),
                g3(one),
            ),
            sw,
            table(["read interval", "km", "mean RPO (ms), mean ± sd (max)", "RPO p99 (ms)", "first order (ms)",
                   "measured / first order", "consistent runs"], rows),
        )
    )
    # The journal.
    sw = Sweep(out, "zgm-journal")
    n_sets = int(sw.spec["set"]["copy.zgm.journal.data_sets"])
    at_s = dur_s(sw.spec["set"]["disaster.at"])
    rows, pts = [], []
    for (jr,), rs in sw.groups(["copy.zgm.journal.mbytes_per_s"]).items():
        wrote = Stat(rs, "primary.bytes").mean / at_s / 1e6
        rpo = Stat(rs, "sites.0.rpo_ns.mean", 1e9)
        # The report lists only the causes that delayed the session at all.
        share = Stat(rs, "", fn=lambda r: val(r, "zgm.0.delay.journal") or 0.0)
        pts.append((n_sets * float(jr), rpo.mean, share.mean, wrote))
        cons = sum(1 for r in rs if r.get("sites.0.truth.prefix_consistent") == "true")
        rows.append(
            [g3(float(jr)), g3(n_sets * float(jr)), pm(rpo), g3(Stat(rs, "sites.0.rpo_ns.p99", 1e9).mean),
             "%d%%" % round(100 * share.mean), g3(Stat(rs, "zgm.0.journal_peak_bytes", 1e6).mean), "%d/%d" % (cons, len(rs))]
        )
    wrote = pts[0][3]
    slow = [p for p in pts if p[0] < wrote]
    fast = [p for p in pts if p[0] >= wrote]
    res["journal"] = (slow, fast, wrote)
    parts.append(
        block(
            [fig(img, "zgm-journal-rpo")],
            "The session is journal-bound exactly when the journal writes slower than the hosts (%s MB/s): with "
            "%s MB/s of journal the mean RPO is %s s and the SDM names the JOURNAL for %d%% of the delay, "
            "the groups queue and the recovery point falls behind for as long as the run lasts; from %s MB/s up it "
            "is %s s and falls towards the read interval's share (%s s at %s MB/s) as the journal's share of the "
            "delay shrinks to %d%%. XRC's rule that the journal's bandwidth must match the offload's is the knee "
            "of this curve."
            % (
                g3(wrote),
                g3(slow[-1][0]) if slow else "-",
                g3(slow[-1][1]) if slow else "-",
                round(100 * slow[-1][2]) if slow else 0,
                g3(fast[0][0]),
                g3(fast[0][1]),
                g3(fast[-1][1]),
                g3(fast[-1][0]),
                round(100 * fast[-1][2]),
            ),
            sw,
            table(["journal data set (MB/s)", "journal (MB/s)", "mean RPO (s), mean ± sd (max)", "RPO p99 (s)",
                   "JOURNAL share of the delay", "journal peak (MB)", "consistent runs"], rows),
        )
    )
    # The copy's cost.
    sw = Sweep(out, "copy-cost")
    length = dur_s(sw.spec["set"]["run.length"])
    rows, cost = [], {}
    for (mode, on), rs in sw.groups(["copy.mode", "copy.primary_cost"]).items():
        r = ms(rs, "primary.write_response_ns.mean")
        hit = Stat(rs, "storage_controls.0.read_hit_ratio")
        busy = Stat(rs, "storage_controls.0.copy_path_busy_ns", 1e9).mean / length
        reads = Stat(rs, "model.reads").mean
        cost[(mode, on)] = (r.mean, hit.mean, busy, reads)
        rows.append(
            ["`%s`" % mode, on, pm(r), g3(ms(rs, "primary.write_response_ns.p99").mean), "%.3f" % hit.mean,
             g3(reads), "%d%%" % round(100 * busy), g3(Stat(rs, "storage_controls.0.copy_cache_tracks").mean)]
        )
    res["cost"] = cost
    reads = [m for m in ("xrc", "xrc-prt", "zgm") if (m, "true") in cost]
    parts.append(
        block(
            [fig(img, "copy-cost-response"), fig(img, "copy-cost-hits")],
            "Where a mover or the System Data Mover reads the record sets through the primary's channels (xrc, "
            "xrc-prt, zgm), its reads hold the storage path %s of the time and host writes wait behind them: mean "
            "write response %s ms against %s ms for a free copy. zgm holds the path less but costs the writes more: its "
            "reader reads every 0.5 s, a burst of reads back to back, each of up to 64 record sets holding the path about "
            "16 ms (xrc's movers read a record set or a few at a time, about 0.55 ms each), and "
            "a write that arrives behind a long read waits for the rest of it (a queue's wait grows with the square of "
            "the service time, not with the occupancy alone). Where the record sets wait in cache for the copy, "
            "the cache the host's reads hit shrinks: the positive return token's work list (held until the secondary "
            "has secured each update) takes the read hit ratio from %s to %s, and SRDF/A's two delta sets, 15 s of "
            "writes each, take nearly the whole 8 MB cache (hit ratio %s), which is why SRDF/A sizes cache for its "
            "cycles (and spills them, delta set extension, which is not modelled): the read misses saturate the data "
            "volume, only %s reads complete in the run (%s without the cost), and with fewer host I/Os on the "
            "path the writes even answer faster (%s ms). The storage-control-to-storage-control designs (srdfa, ur) send "
            "without host channel reads."
            % (
                ", ".join("%d%%" % round(100 * cost[(m, "true")][2]) for m in reads),
                ", ".join(g3(cost[(m, "true")][0]) for m in reads),
                g3(cost[("xrc", "false")][0]),
                "%.3f" % cost[("xrc-prt", "false")][1],
                "%.3f" % cost[("xrc-prt", "true")][1],
                "%.3f" % cost[("srdfa", "true")][1],
                g3(cost[("srdfa", "true")][3]),
                g3(cost[("srdfa", "false")][3]),
                g3(cost[("srdfa", "true")][0]),
            ),
            sw,
            table(["design", "copy.primary_cost", "write response mean (ms), mean ± sd (max)", "p99 (ms)",
                   "read hit ratio", "reads completed", "storage path held by copy reads", "cache tracks held for the copy"], rows),
        )
    )
    return "\n\n".join(parts), res


def fill(doc, name, content):
    pat = re.compile(r"(<!-- research:%s -->\n).*?(<!-- /research:%s -->)" % (re.escape(name), re.escape(name)), re.S)
    if not pat.search(doc):
        raise SystemExit("docs/research.md: marker <!-- research:%s --> ... <!-- /research:%s --> missing" % (name, name))
    return pat.sub(lambda m: m.group(1) + content.rstrip("\n") + "\n" + m.group(2), doc)


def cmd_report(a):
    global OUT, PLOTS
    OUT = a.out
    PLOTS = study_plots()
    os.makedirs(a.img, exist_ok=True)
    doc = open(a.doc).read()
    val_res = sec_validation(a.out, a.img, os.path.dirname(a.doc))
    for k in ("mm1", "md1", "light-delay", "light-window", "overload-test"):
        doc = fill(doc, k, val_res[k])
    doc = fill(doc, "flow", sec_flow(a.out, a.img, val_res))
    dist, dres = sec_distance(a.out, a.img)
    doc = fill(doc, "distance", dist)
    doc = fill(doc, "sync", sec_sync(a.out, a.img))
    doc = fill(doc, "bandwidth", sec_bandwidth(a.out, a.img))
    bat, bres = sec_batching(a.out, a.img)
    doc = fill(doc, "batching", bat)
    doc = fill(doc, "overhead", sec_overhead(a.out, a.img))
    doc = fill(doc, "movers", sec_movers(a.out, a.img))
    doc = fill(doc, "write-rate", sec_write_rate(a.out, a.img))
    modes, mres = sec_modes(a.out, a.img, a.bin)
    doc = fill(doc, "modes", modes)
    global BIN
    BIN = a.bin
    family, fres = sec_family(a.out, a.img)
    doc = fill(doc, "family", family)
    zgm, zres = sec_zgm(a.out, a.img)
    doc = fill(doc, "zgm", zgm)
    so, wa = val_res["mm1_vals"]
    b, f = mres["baseline"], mres["naive-fuzzy"]
    head = [
        "- Validation: %s (%s passed, %s failed); M/M/1 sojourn %.3f and wait %.3f (theory 10 and 9); serializer vs "
        "Pollaczek-Khinchine within %.1f%%; light-load replication delay %s of the bound; light-load window %s of the renewal "
        "analysis; link overload: window growth %.3f s/s as 1 - C/L predicts."
        % (
            val_res["result"][0],
            val_res["result"][1],
            val_res["result"][2],
            so,
            wa,
            100 * val_res["md1_max_err"],
            val_res["light-delay-summary"],
            val_res["light-window-summary"],
            val_res["overload-growth"],
        ),
        "- Distance (xrc, T3, 900 writes/s, link cut at the disaster): window %s ms at 1 km, %s ms at 5,000 km; RPO over the "
        "run mean %s -> %s ms, p99 %s -> %s ms." % tuple(g3(dres[k]) for k in ("w1", "w5000", "r1", "r5000", "p1", "p5000")),
        "- Batching: the knee of messages/s vs replication delay is at a %s timer (%s ms mean delay, %s messages/s) with "
        "the default 256 KiB buffer." % (bres["knee"], g3(bres["knee_delay"]), g3(bres["knee_msgs"])),
        "- Copy modes (baseline / naive-fuzzy): xrc window %s / %s ms with p99 response %s / %s ms; sync window %s / %s ms "
        "(0 acknowledged writes lost) with p99 response %s / %s ms; naive consistent in %d/%d and %d/%d runs; pit window %s / %s ms."
        % (
            g3(b["xrc"]["win"].mean),
            g3(f["xrc"]["win"].mean),
            g3(b["xrc"]["p99"]),
            g3(f["xrc"]["p99"]),
            g3(b["sync"]["win"].mean),
            g3(f["sync"]["win"].mean),
            g3(b["sync"]["p99"]),
            g3(f["sync"]["p99"]),
            b["naive"]["cons"],
            b["naive"]["n"],
            f["naive"]["cons"],
            f["naive"]["n"],
            g3(b["pit"]["win"].mean),
            g3(f["pit"]["win"].mean),
        ),
    ]
    fb = fres["family-baseline"]
    head.append(
        "- The family on the baseline (300 km): mean RPO xrc %s ms, ur %s ms, sync %s ms, zgm %s s, SRDF/A %s s, Global "
        "Mirror %s s (whole tracks over T3); every design consistent."
        % tuple(
            g3(fb[(m, 300)] / (1e3 if m in ("srdfa", "gm", "zgm") else 1))
            for m in ("xrc", "ur", "sync", "zgm", "srdfa", "gm")
        )
    )
    lo, hi = zres["interval_ratio"]
    slow, fast, wrote = zres["journal"]
    c = zres["cost"]
    head.append(
        "- XRC as shipped (zgm): mean RPO %s s with the SDM reading every second, within %.0f%% of the first-order "
        "analysis from 0.1 to 4 s; journal-bound below the hosts' %s MB/s; on a busy storage control the copy's reads "
        "raise write response from %s to %s ms (xrc)."
        % (g3(zres["rpo_1s"]), 100 * max(1 - lo, hi - 1), g3(wrote), g3(c[("xrc", "false")][0]), g3(c[("xrc", "true")][0]))
    )
    doc = fill(doc, "headline", "\n".join(head))
    open(a.doc, "w").write(doc)
    print("research.py: %s filled, figures in %s" % (a.doc, a.img))


def machine():
    cpu = platform.processor() or "unknown CPU"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        for line in open("/proc/meminfo"):
            if line.startswith("MemTotal"):
                mem = ", %.0f GB RAM" % (int(line.split()[1]) / 1024 / 1024)
    except OSError:
        pass
    return "%s, %d cores%s, %s %s, Python %s" % (cpu, os.cpu_count() or 0, mem, platform.system(), platform.release(), platform.python_version())


def cmd_runinfo(a):
    doc = open(a.doc).read()
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True).stdout.strip()
        # Changes to the inputs only: the generated doc and figures differ from the
        # committed ones whenever the machine's speed does (the M/M/1 wall time).
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no", "--", ".", ":!docs/research.md", ":!docs/img"],
            capture_output=True,
            text=True,
        ).stdout.strip()
        if dirty:
            commit += " (with uncommitted changes)"
    except (OSError, subprocess.CalledProcessError):
        commit = "unknown"
    rustc = subprocess.run(["rustc", "--version"], capture_output=True, text=True).stdout.strip() or "unknown"
    stages = ""
    p = os.path.join(a.out, "timings.txt")
    if os.path.exists(p):
        stages = "; ".join(l.strip() for l in open(p) if l.strip())
    info = "\n".join(
        [
            "- Generated: %s" % datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "- Machine: %s" % machine(),
            "- Toolchain: %s; commit %s" % (rustc, commit),
            "- Wall time of `scripts/research.sh`: %s s (%.1f min)%s" % (a.wall, float(a.wall) / 60, "; by stage: " + stages if stages else ""),
        ]
    )
    doc = fill(doc, "run-info", info)
    open(a.doc, "w").write(doc)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("report")
    r.add_argument("--out", required=True)
    r.add_argument("--bin", required=True)
    r.add_argument("--doc", required=True)
    r.add_argument("--img", required=True)
    i = sub.add_parser("runinfo")
    i.add_argument("--doc", required=True)
    i.add_argument("--wall", required=True)
    i.add_argument("--out", required=True)
    a = p.parse_args()
    if a.cmd == "report":
        cmd_report(a)
    else:
        cmd_runinfo(a)


if __name__ == "__main__":
    main()
