#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""
bench/run's report (issue 20): the failover benchmark's runs.tsv
(bench/failover-bench.sh: one line per run of a system in a scenario) read
into results (median, min, max of the client-observed outage, split-brain
runs) and written as

  results.json  every figure, machine-readable
  results.tsv   one line per system and scenario
  report.md     corovip beside each peer, with the ratio (peer / corovip:
                above 1, corovip is faster) and the split-brain counts
  outage.svg, outage.png   outage per scenario per system (gnuplot, if installed)

  bench/report.py RUNS.TSV OUTDIR [--title TEXT]
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


def write_markdown(stats, systems, scenarios, path, title):
    peers = [s for s in systems if s != "corovip"]
    lines = ["# " + title, "",
             "Client-observed outage: the longest gap of a 1 ms ICMP probe from the client, "
             "median (min-max) over the runs. Ratio = peer / corovip (above 1: corovip is "
             "faster). Split-brain: runs in which the 10 ms address sampler saw two live "
             "holders at once.", ""]
    head = "| scenario | corovip |"
    sep = "|---|---:|"
    for p in peers:
        head += " %s | ratio |" % system_label(p)
        sep += "---:|---:|"
    head += " split-brain runs: " + " / ".join(system_label(s) for s in systems) + " |"
    sep += ":---:|"
    lines += [head, sep]
    for sc in scenarios:
        cv = stats.get(("corovip", sc))
        row = "| %s | %s |" % (LABELS.get(sc, sc).replace("|", "\\|"), cell(cv))
        for p in peers:
            ps = stats.get((p, sc))
            row += " %s | %s |" % (cell(ps), ratio(ps, cv))
        row += " " + " / ".join(split(stats.get((s, sc))) for s in systems) + " |"
        lines.append(row)
    lines.append("")
    with open(path, "w") as f:
        f.write("\n".join(lines))


def cell(s):
    if not s or s["median_ms"] is None:
        return "-"
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


def write_plot(stats, systems, scenarios, outdir):
    """outage.svg: one group of bars per scenario, one bar per system (log scale)."""
    gp = shutil.which("gnuplot")
    if not gp:
        return "gnuplot not installed: no plot"
    data = os.path.join(outdir, "outage.dat")
    with open(data, "w") as f:
        f.write("scenario\t" + "\t".join('"%s"' % system_label(s) for s in systems) + "\n")
        for sc in scenarios:
            vals = []
            for s in systems:
                st = stats.get((s, sc))
                vals.append("%.3f" % st["median_ms"] if st and st["median_ms"] else "NaN")
            f.write('"%s"\t%s\n' % (LABELS.get(sc, sc), "\t".join(vals)))
    said = []
    for term, name in (("svg size 1000,520 dynamic font 'sans,11'", "outage.svg"),
                       ("pngcairo size 1000,520 font 'sans,10'", "outage.png")):
        said.append(plot(gp, term, os.path.join(outdir, name), len(systems), data))
    return ", ".join(said)


def plot(gp, term, out, n_systems, data):
    script = """set terminal %s
set output '%s'
set title 'Client-observed outage per scenario (median)'
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set logscale y
set ylabel 'outage (ms, log scale)'
set xtics rotate by -20 scale 0
set key outside right top
set termoption noenhanced
set grid ytics
plot for [c=2:%d] '%s' using c:xtic(1) title columnheader(c)
""" % (term, out, n_systems + 1, data)
    r = subprocess.run([gp], input=script, text=True, capture_output=True)
    return os.path.basename(out) if r.returncode == 0 else "gnuplot failed: " + r.stderr.strip()


def main():
    args = sys.argv[1:]
    title = "corovip beside its peers"
    if "--title" in args:
        i = args.index("--title")
        title = args[i + 1]
        del args[i:i + 2]
    if len(args) != 2:
        sys.exit(__doc__)
    tsv, outdir = args
    runs = list(read_runs(tsv))
    stats = summarise(runs)
    systems, scenarios = [], []
    for (s, sc) in stats:
        if s not in systems:
            systems.append(s)
        if sc not in scenarios:
            scenarios.append(sc)
    if "corovip" in systems:
        systems.remove("corovip")
        systems.insert(0, "corovip")
    os.makedirs(outdir, exist_ok=True)
    with open(os.path.join(outdir, "results.json"), "w") as f:
        json.dump({"title": title, "results": list(stats.values())}, f, indent=1)
    with open(os.path.join(outdir, "results.tsv"), "w") as f:
        f.write("system\tscenario\truns\tfailed\tmedian_ms\tmin_ms\tmax_ms\tsplit_brain_runs\n")
        for s in stats.values():
            f.write("%s\t%s\t%d\t%d\t%s\t%s\t%s\t%d\n" % (
                s["system"], s["scenario"], s["runs"], s["failed"],
                *("-" if s[k] is None else "%.3f" % s[k] for k in ("median_ms", "min_ms", "max_ms")),
                s["split_brain_runs"]))
    write_markdown(stats, systems, scenarios, os.path.join(outdir, "report.md"), title)
    print(write_plot(stats, systems, scenarios, outdir))


if __name__ == "__main__":
    main()
