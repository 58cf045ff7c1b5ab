#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""
bench/run's report (issue 20): every benchmark's results under OUT read
into one report. What it reads (each part optional but the first):

  OUT/failover/runs.tsv    the failover matrix (bench/failover-bench.sh: one
                           line per run of a system in a scenario)
  OUT/timers/sets.tsv      the timer sets (name, corosync and corovipd
                           settings), each with OUT/timers/NAME/runs.tsv
                           (failover-bench.sh for corovip at that set)
  OUT/stability/*.tsv      bench/timer-stability.sh lines (a set left idle)
  OUT/scale/runs.tsv       bench/scale-bench.sh (1 / 1,000 / 10,000 VIPs)
  OUT/NAME/table.md        any other bench's own table (l2, ocf, openstack),
                           put in as it is

and what it writes into OUT:

  results.json  every figure, machine-readable
  results.tsv   one line per system and scenario (the failover matrix and
                the timer sets)
  report.md     corovip beside each peer, with the ratio (peer / corovip:
                above 1, corovip is faster) and the split-brain counts
  outage.svg/.png    outage per scenario per system (gnuplot)
  timers.svg/.png    corovip's unplanned outage per timer set
  takeover.svg/.png  takeover time against the number of VIPs

  bench/report.py OUT [--title TEXT]
"""
import json
import math
import os
import shutil
import subprocess
import sys

LABELS = {
    "none": "no fault (noise floor)",
    "crash": "holder node crash",
    "kill9": "holder daemon kill -9",
    "stop": "graceful stop of the holder's daemon",
    "prefer": "planned move (prefer / priority + reload)",
    "cut": "holder link cut",
    "partition": "partition {holder} | {rest}",
    "nonholder": "non-holder crash",
    "heal": "partition healed",
    "sigstop": "corosync SIGSTOP on the holder",
}
UNPLANNED = ("crash", "cut", "partition", "sigstop")


def system_label(s):
    if s == "corovip":
        return "corovip"
    if s.startswith("ka"):
        return "keepalived %s s" % s[2:]
    if s == "pacemaker":
        return "Pacemaker + IPaddr2"
    return s


def median(v):
    v = sorted(v)
    n = len(v)
    if not n:
        return None
    return v[n // 2] if n % 2 else (v[n // 2 - 1] + v[n // 2]) / 2


def read_runs(path):
    with open(path) as f:
        head = f.readline().rstrip("\n").split("\t")
        for line in f:
            cells = line.rstrip("\n").split("\t")
            if len(cells) == len(head):
                yield dict(zip(head, cells))


def number(x):
    try:
        v = float(x)
        return v if math.isfinite(v) else None
    except ValueError:
        return None


def summarise(runs):
    """{(system, scenario): {...}} in the order first seen."""
    out = {}
    for r in runs:
        key = (r["system"], r["scenario"])
        s = out.setdefault(key, {"system": r["system"], "scenario": r["scenario"], "outages_ms": [],
                                 "runs": 0, "failed": 0, "split_brain_runs": 0})
        s["runs"] += 1
        o = number(r.get("outage_ms", "-"))
        if o is None or r.get("note", "-") not in ("-", ""):
            s["failed"] += 1
        if o is not None:
            s["outages_ms"].append(o)
        m = number(r.get("multi", "-"))
        if m is not None and m > 0:
            s["split_brain_runs"] += 1
    for s in out.values():
        o = s["outages_ms"]
        s["median_ms"] = median(o)
        s["min_ms"] = min(o) if o else None
        s["max_ms"] = max(o) if o else None
    return out


def fmt_ms(v):
    return "-" if v is None else ("%.1f ms" % v if v < 100 else "%.0f ms" % v)


def failover_table(stats, systems, scenarios):
    """corovip beside each peer: Markdown lines."""
    peers = [s for s in systems if s != "corovip"]
    head = "| scenario | corovip |"
    sep = "|---|---:|"
    for p in peers:
        head += " %s | ratio |" % system_label(p)
        sep += "---:|---:|"
    head += " split-brain runs: " + " / ".join(system_label(s) for s in systems) + " |"
    sep += ":---:|"
    lines = [head, sep]
    for sc in scenarios:
        cv = stats.get(("corovip", sc))
        row = "| %s | %s |" % (LABELS.get(sc, sc).replace("|", "\\|"), cell(cv))
        for p in peers:
            ps = stats.get((p, sc))
            row += " %s | %s |" % (cell(ps), ratio(ps, cv) if sc != "none" else "")
        row += " " + " / ".join(split(stats.get((s, sc))) for s in systems) + " |"
        lines.append(row)
    return lines


def cell(s):
    if not s or s["median_ms"] is None:
        return "-" if not s or not s["failed"] else "%d failed" % s["failed"]
    t = fmt_ms(s["median_ms"])
    if s["runs"] > 1:
        t += " (%s-%s)" % (fmt_ms(s["min_ms"]).replace(" ms", ""), fmt_ms(s["max_ms"]))
    if s["failed"]:
        t += ", %d failed" % s["failed"]
    return t


def ratio(peer, cv):
    if not peer or not cv or peer["median_ms"] is None or not cv["median_ms"]:
        return "-"
    return "%.2fx" % (peer["median_ms"] / cv["median_ms"])


def split(s):
    if not s:
        return "-"
    t = "%d/%d" % (s["split_brain_runs"], s["runs"])
    return "**%s**" % t if s["split_brain_runs"] else t


def callback_lines(runs):
    """corovip's own part: the new holder's quorum callback to the VIP answering."""
    out = []
    for sc in ("crash", "cut", "partition"):
        d = [number(r["detect_ms"]) for r in runs if r["system"] == "corovip" and r["scenario"] == sc]
        c = [number(r["cb_answer_ms"]) for r in runs if r["system"] == "corovip" and r["scenario"] == sc]
        d = [x for x in d if x is not None]
        c = [x for x in c if x is not None]
        if c:
            out.append("| %s | %s | %s |" % (LABELS[sc].replace("|", "\\|"), fmt_ms(median(d)), fmt_ms(median(c))))
    if not out:
        return []
    return ["", "corovip's own part of an unplanned move: from the new holder's quorum callback (its first "
            "quorate view without the holder) to the first reply the client gets from the VIP, "
            "median (the rest is corosync's detection, from the client's last reply to that callback):", "",
            "| scenario | detection (corosync) | callback -> VIP answers (corovip) |", "|---|---:|---:|"] + out


def corovip_timers(rundir):
    """'lease 785 ms, guard 200 ms' as corovipd logged it in one run of the matrix."""
    for root, _, files in sorted(os.walk(rundir)):
        if "/corovip-" not in root + "/":
            continue
        for f in files:
            if f.endswith("corovipd.out"):
                with open(os.path.join(root, f), errors="replace") as fh:
                    for line in fh:
                        i = line.find("lease ")
                        if i >= 0 and "guard" in line:
                            return line[i:].split(" (")[0].strip()
    return ""


def read_tsv(path, comment_header=False):
    if not os.path.exists(path):
        return []
    with open(path) as f:
        head = f.readline().lstrip("# ").rstrip("\n").split("\t" if not comment_header else None)
        rows = []
        for line in f:
            cells = line.rstrip("\n").split("\t")
            if len(cells) >= len(head):
                rows.append(dict(zip(head, cells)))
        return rows


# ------------------------------------------------------------ timer sets

def timer_sets(out):
    """[(set row, stats, runs)] of OUT/timers."""
    sets = read_tsv(os.path.join(out, "timers", "sets.tsv"))
    res = []
    for st in sets:
        d = os.path.join(out, "timers", st["name"])
        runs = list(read_runs(os.path.join(d, "runs.tsv"))) if os.path.exists(os.path.join(d, "runs.tsv")) else []
        st["corovip_timers"] = corovip_timers(d)
        res.append((st, summarise(runs), runs))
    return res


def stability(out):
    rows = []
    d = os.path.join(out, "stability")
    if os.path.isdir(d):
        for f in sorted(os.listdir(d)):
            if f.endswith(".tsv"):
                rows += read_tsv(os.path.join(d, f))
    return rows


def timers_table(sets, stab):
    scen = [sc for sc in UNPLANNED + ("stop",) if any(("corovip", sc) in s for _, s, _ in sets)]
    head = "| set | corosync | corovipd | " + " | ".join(LABELS[sc].replace("|", "\\|") for sc in scen) + \
        " | split-brain runs | idle: ring re-formations | idle CPU: corosync / corovipd (holder) |"
    lines = [head, "|---|---|---|" + "---:|" * len(scen) + ":---:|:---:|---:|"]
    for st, stats, _ in sets:
        tok = st["token_ms"]
        sb = sum(s["split_brain_runs"] for s in stats.values() if s["system"] == "corovip")
        n = sum(s["runs"] for s in stats.values() if s["system"] == "corovip")
        idle = [r for r in stab if r.get("token_ms") == tok]
        if idle:
            r = idle[-1]
            ref = "%s in %s min" % (r["reformations"], r["minutes"])
            cpu = "%s %% / %s %%" % (r["corosync_cpu_pct"], r["corovipd_holder_cpu_pct"])
        else:
            ref, cpu = "-", "-"
        row = "| %s | token %s, consensus %s, knet ping %s%s | heartbeat %s; %s |" % (
            st["name"], tok, st.get("consensus_ms", "-"), st["knet_ping"],
            (", " + st["totem_extra"]) if st.get("totem_extra", "-") not in ("", "-") else "",
            st["heartbeat"], st["corovip_timers"] or "-")
        for sc in scen:
            row += " %s |" % cell(stats.get(("corovip", sc)))
        row += " %s | %s | %s |" % ("**%d/%d**" % (sb, n) if sb else "%d/%d" % (sb, n), ref, cpu)
        lines.append(row)
    return lines


# ------------------------------------------------------------ scale

def scale_summary(out):
    rows = read_tsv(os.path.join(out, "scale", "runs.tsv"), comment_header=True)
    if not rows:
        return {}
    res = {}
    for r in rows:
        k = (r["system"], int(r["count"]))
        e = res.setdefault(k, {"system": r["system"], "vips": int(r["count"]), "take_ms": [], "ipbatch_ms": [],
                               "crash_ms": [], "split_runs": 0, "idle_cpu_pct": [], "pss_kib": [],
                               "idle_wakeups_s": []})
        for col, key in (("take_ms", "take_ms"), ("ipbatch_ms", "ipbatch_ms"), ("idle_cpu_pct", "idle_cpu_pct"),
                         ("rss_kb", "pss_kib"), ("idle_wakeups_s", "idle_wakeups_s")):
            v = number(r.get(col, "-"))
            if v is not None:
                e[key].append(v)
        c = r.get("crash_ms", "-")
        if c == "split":
            e["split_runs"] += 1
        elif number(c) is not None:
            e["crash_ms"].append(number(c))
    for e in res.values():
        for key in ("take_ms", "ipbatch_ms", "crash_ms", "idle_cpu_pct", "pss_kib", "idle_wakeups_s"):
            e[key] = median(e[key])
    return res


def scale_table(sc):
    counts = sorted({n for (_, n) in sc})

    def g(sys, n, key, fmt="%.0f"):
        e = sc.get((sys, n))
        if not e:
            return "-"
        if key == "crash_ms" and e["crash_ms"] is None and e["split_runs"]:
            return "**two holders**"
        return "-" if e[key] is None else fmt % e[key]

    def r(a, b):
        a, b = number(a), number(b)
        return "%.2fx" % (a / b) if a and b else "-"
    lines = ["| VIPs | ip -batch (kernel floor) | take: corovip | keepalived | ratio | crash -> all re-held: corovip | "
             "keepalived | ratio | idle CPU %: corovip | keepalived | wakeups/s: corovip | keepalived | "
             "PSS MiB: corovip | keepalived |", "|---:|" + "---:|" * 13]
    for n in counts:
        ct, kt = g("corovip", n, "take_ms"), g("keepalived", n, "take_ms")
        cc, kc = g("corovip", n, "crash_ms"), g("keepalived", n, "crash_ms")
        lines.append("| {:,} | {} ms | {} ms | {} ms | {} | {} ms | {} | {} | {} | {} | {} | {} | {} | {} |".format(
            n, g("corovip", n, "ipbatch_ms"), ct, kt, r(kt, ct), cc, kc + ("" if "two" in kc else " ms"), r(kc, cc),
            g("corovip", n, "idle_cpu_pct", "%.2f"), g("keepalived", n, "idle_cpu_pct", "%.2f"),
            g("corovip", n, "idle_wakeups_s", "%.0f"), g("keepalived", n, "idle_wakeups_s", "%.0f"),
            mib(sc, "corovip", n), mib(sc, "keepalived", n)))
    return lines


def mib(sc, sys, n):
    e = sc.get((sys, n))
    return "-" if not e or e["pss_kib"] is None else "%.1f" % (e["pss_kib"] / 1024)


# ------------------------------------------------------------ plots

def gnuplot(script):
    gp = shutil.which("gnuplot")
    if not gp:
        return "gnuplot not installed: no plot"
    r = subprocess.run([gp], input=script, text=True, capture_output=True)
    return "ok" if r.returncode == 0 else "gnuplot failed: " + r.stderr.strip()


TERMS = (("svg size 1000,520 dynamic font 'sans,11'", "svg"), ("pngcairo size 1000,520 font 'sans,10'", "png"))


def bars(outdir, name, title, columns, rows, marks=None):
    """A clustered bar chart, log y: rows [(label, [value or None per column])];
    marks[(row, column)]: a word written above that bar (e.g. split-brain)."""
    data = os.path.join(outdir, name + ".dat")
    with open(data, "w") as f:
        f.write("label\t" + "\t".join('"%s"' % c for c in columns) + "\n")
        for label, vals in rows:
            f.write('"%s"\t%s\n' % (label, "\t".join("%.3f" % v if v else "NaN" for v in vals)))
    extra = ""
    if marks:
        # a clustered histogram (gap 1) puts bar c of row i at i + (c - (n - 1) / 2) / (n + 1)
        n = len(columns)
        mdata = os.path.join(outdir, name + "-marks.dat")
        with open(mdata, "w") as f:
            for (i, c), word in sorted(marks.items()):
                v = rows[i][1][c]
                if v:
                    f.write('%.4f\t%.3f\t"%s"\n' % (i + (c - (n - 1) / 2) / (n + 1), v * 1.15, word))
        extra = ", '%s' using 1:2:3 with labels left rotate by 90 font ',8' textcolor 'red' notitle" % mdata
    top = max([v for _, vals in rows for v in vals if v] or [1]) * (8 if marks else 1.5)
    said = []
    for term, ext in TERMS:
        said.append(gnuplot("""set terminal %s
set output '%s'
set title '%s'
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set logscale y
set yrange [1:%g]
set ylabel 'outage (ms, log scale)'
set xtics rotate by -20 scale 0
set key outside right top
set termoption noenhanced
set grid ytics
plot for [c=2:%d] '%s' using c:xtic(1) title columnheader(c)%s
""" % (term, os.path.join(outdir, name + "." + ext), title, top, len(columns) + 1, data, extra)))
    return said


def takeover_plot(outdir, sc):
    data = os.path.join(outdir, "takeover.dat")
    counts = sorted({n for (_, n) in sc})
    cols = [("corovip", "take_ms", "corovip: take"), ("keepalived", "take_ms", "keepalived: take"),
            ("corovip", "ipbatch_ms", "ip -batch (kernel floor)"),
            ("corovip", "crash_ms", "corovip: crash -> all re-held"),
            ("keepalived", "crash_ms", "keepalived: crash -> all re-held")]
    with open(data, "w") as f:
        f.write("vips\t" + "\t".join('"%s"' % c[2] for c in cols) + "\n")
        for n in counts:
            vals = []
            for sys, key, _ in cols:
                e = sc.get((sys, n))
                v = e[key] if e else None
                vals.append("%.1f" % max(v, 0.5) if v is not None else "NaN")
            f.write("%d\t%s\n" % (n, "\t".join(vals)))
    said = []
    for term, ext in TERMS:
        said.append(gnuplot("""set terminal %s
set output '%s'
set title 'Takeover time against the number of VIPs (median)'
set logscale xy
set xlabel 'VIPs'
set ylabel 'ms (log scale; 0 drawn as 0.5)'
set key outside right top
set termoption noenhanced
set grid
set xtics (1, 10, 100, 1000, 10000)
plot for [c=2:%d] '%s' using 1:c with linespoints lw 2 title columnheader(c)
""" % (term, os.path.join(outdir, "takeover." + ext), len(cols) + 1, data)))
    return said


# ------------------------------------------------------------ main

def order(stats):
    systems, scenarios = [], []
    for (s, sc) in stats:
        if s not in systems:
            systems.append(s)
        if sc not in scenarios:
            scenarios.append(sc)
    # corovip, keepalived by advert, Pacemaker
    systems.sort(key=lambda s: (s != "corovip", s == "pacemaker", number(s[2:]) if s.startswith("ka") else 0))
    return systems, scenarios


def main():
    args = sys.argv[1:]
    title = "corovip beside its peers"
    if "--title" in args:
        i = args.index("--title")
        title = args[i + 1]
        del args[i:i + 2]
    if len(args) != 1:
        sys.exit(__doc__)
    out = args[0]
    f = os.path.join(out, "failover", "runs.tsv")
    runs = list(read_runs(f)) if os.path.exists(f) else []
    stats = summarise(runs)
    systems, scenarios = order(stats)
    sets = timer_sets(out)
    stab = stability(out)
    sc = scale_summary(out)
    plots = []

    md = ["# " + title]
    if stats:
        md += ["", "## Failover", "",
          "Client-observed outage: the longest gap of a 1 ms ICMP probe from the client, "
          "median (min-max) over the runs, on the namespace test bed (3 nodes and a client, real "
          "corosync per node, token %s ms). Ratio = peer / corovip (above 1: corovip is faster). "
          "Split-brain: runs in which the 10 ms address sampler saw two live holders at once." %
          (os.environ.get("BED_TOKEN", "300")), ""]
        md += failover_table(stats, systems, scenarios)
        timers = corovip_timers(os.path.join(out, "failover"))
        if timers:
            md += ["", "corovipd's timers in these runs: %s." % timers]
        md += callback_lines(runs)
        if write_plot(stats, systems, scenarios, out):
            md += ["", "![outage per scenario](outage.svg)"]
            plots.append("outage")
    if sets:
        md += ["", "## Timer sets", "",
               "corovip alone at each set of corosync and corovipd timers (the same bed and probe; "
               "the unplanned scenarios), and the set left idle (bench/timer-stability.sh: ring "
               "re-formations, and CPU as % of one core per node).", ""]
        md += timers_table(sets, stab)
        rows = []
        for st, stats_t, _ in sets:
            rows.append(("%s (token %s)" % (st["name"], st["token_ms"]),
                         [(stats_t.get(("corovip", s)) or {}).get("median_ms") for s in UNPLANNED]))
        bars(out, "timers", "corovip: unplanned outage per timer set (median)", [LABELS[s] for s in UNPLANNED], rows)
        md += ["", "![outage per timer set](timers.svg)"]
        plots.append("timers")
    if sc:
        md += ["", "## Scale: 1, 1,000 and 10,000 VIPs", "",
               "bench/scale-bench.sh: the VIPs spread over 4 interfaces per node; take = from the first "
               "VIP added on n1 to all of them there (kernel address events); crash = n1 crashed to all "
               "re-held on n2; idle = corovipd + reaper (keepalived: parent + VRRP child) after the "
               "takeover. Ratio = keepalived / corovip.", ""]
        md += scale_table(sc)
        takeover_plot(out, sc)
        md += ["", "![takeover against VIPs](takeover.svg)"]
        plots.append("takeover")
    extra = {}
    for name, head in (("l2", "Per-VIP add cost: corovip-l2 beside IPaddr2 and ip -batch"),
                       ("ocf", "Pacemaker: ocf:corovip:vip beside IPaddr2"),
                       ("openstack", "OpenStack: a move beside the openstack CLI and resource-agents")):
        f = os.path.join(out, name, "table.md")
        if os.path.exists(f):
            with open(f) as fh:
                extra[name] = fh.read().strip()
            md += ["", "## " + head, "", extra[name]]
    md.append("")
    with open(os.path.join(out, "report.md"), "w") as f:
        f.write("\n".join(md))
    with open(os.path.join(out, "results.json"), "w") as f:
        json.dump({"title": title, "failover": list(stats.values()),
                   "timer_sets": [{"set": st, "results": list(s.values())} for st, s, _ in sets],
                   "stability": stab, "scale": list(sc.values()), "tables": extra}, f, indent=1)
    with open(os.path.join(out, "results.tsv"), "w") as f:
        f.write("set\tsystem\tscenario\truns\tfailed\tmedian_ms\tmin_ms\tmax_ms\tsplit_brain_runs\n")
        for name, group in [("bed", stats)] + [(st["name"], s) for st, s, _ in sets]:
            for s in group.values():
                f.write("%s\t%s\t%s\t%d\t%d\t%s\t%s\t%s\t%d\n" % (
                    name, s["system"], s["scenario"], s["runs"], s["failed"],
                    *("-" if s[k] is None else "%.3f" % s[k] for k in ("median_ms", "min_ms", "max_ms")),
                    s["split_brain_runs"]))
    print("report: %s/report.md; plots: %s" % (out, ", ".join(p + ".svg/.png" for p in plots) or "none"))


def write_plot(stats, systems, scenarios, outdir):
    """outage.svg/.png: one group of bars per scenario, one bar per system (log scale)."""
    if not stats:
        return False
    rows = [(LABELS.get(sc, sc), [(stats.get((s, sc)) or {}).get("median_ms") for s in systems])
            for sc in scenarios]
    marks = {(i, c): "split" for i, sc in enumerate(scenarios) for c, s in enumerate(systems)
             if (stats.get((s, sc)) or {}).get("split_brain_runs")}
    return all(r == "ok" for r in bars(outdir, "outage", "Client-observed outage per scenario (median; "
                                       "red: split-brain in some run)",
                                       [system_label(s) for s in systems], rows, marks))


if __name__ == "__main__":
    main()
