#!/usr/bin/env python3
"""Checks deploy/monitoring's Grafana dashboard and Prometheus rules
against the metrics the services export (issue 16 item 4).

    monitoring_check.py SOURCE_ROOT [DASHBOARD [RULES]]

The exported names are read from the C sources: every string literal
"sn_..." given as the name to sn_metrics_counter, sn_metrics_gauge or
sn_metrics_histogram in libcommon/src and services/ (a histogram also
exports NAME_bucket, NAME_sum and NAME_count). The dashboard must be valid
JSON with a title, a uid, panels with distinct ids, each with at least one
target; every expr of the dashboard and of the rules may name only those
metrics and Prometheus's own `up`. Exit 1 with what is wrong.
"""
import json
import os
import re
import sys

CALL = re.compile(
    r'sn_metrics_(counter|gauge|histogram)\(\s*[^,()]+,\s*"(sn_[a-z0-9_]+)"',
    re.S)
# Identifiers in PromQL that are not metric names: functions, keywords,
# aggregation and label names follow them or sit in braces/by().
PROMQL_WORDS = {
    "sum", "max", "min", "avg", "count", "by", "without", "rate", "irate",
    "increase", "deriv", "delta", "histogram_quantile", "and", "or",
    "unless", "on", "ignoring", "group_left", "group_right", "offset",
    "label_values", "abs", "clamp_min", "clamp_max", "topk", "bottomk",
    "time", "vector", "scalar", "absent", "changes", "resets",
}


def exported(root):
    names = set()
    for top in ("libcommon/src", "services"):
        for d, _, files in os.walk(os.path.join(root, top)):
            if os.sep + "tests" in d:
                continue
            for f in files:
                if not f.endswith(".c"):
                    continue
                with open(os.path.join(d, f), encoding="utf-8") as fh:
                    text = fh.read()
                for kind, name in CALL.findall(text):
                    names.add(name)
                    if kind == "histogram":
                        names.update(name + s
                                     for s in ("_bucket", "_sum", "_count"))
    return names


def metrics_in(expr):
    """The metric names an expression selects."""
    # Drop label matchers {...}, grouping lists (...) after by/without,
    # strings and range/duration brackets.
    e = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)
    # Grafana's label_values(METRIC, LABEL): the metric only.
    e = re.sub(r"label_values\(\s*([^,)]+)(,[^)]*)?\)", r"\1", e)
    e = re.sub(r"\{[^}]*\}", "", e)
    e = re.sub(r"\b(by|without|on|ignoring)\s*\([^)]*\)", "", e)
    e = re.sub(r"\[[^\]]*\]", "", e)
    out = set()
    for m in re.finditer(r"[A-Za-z_:][A-Za-z0-9_:]*", e):
        w = m.group(0)
        rest = e[m.end():].lstrip()
        if w in PROMQL_WORDS or rest.startswith("("):
            continue
        if re.fullmatch(r"\d+[smhdwy]?", w) or w.startswith("$"):
            continue
        out.add(w)
    return out


def main():
    root = sys.argv[1]
    dash = sys.argv[2] if len(sys.argv) > 2 else os.path.join(
        root, "deploy/monitoring/dashboard.json")
    rules = sys.argv[3] if len(sys.argv) > 3 else os.path.join(
        root, "deploy/monitoring/rules.yml")
    known = exported(root) | {"up"}
    errors = []
    if len(known) < 20:
        errors.append(f"only {len(known)} exported metrics found in {root}")
    try:
        with open(dash, encoding="utf-8") as fh:
            d = json.load(fh)
    except (OSError, ValueError) as e:
        print(f"monitoring: {dash}: not valid JSON: {e}")
        return 1
    for k in ("title", "uid", "panels"):
        if k not in d:
            errors.append(f"dashboard has no {k}")
    exprs = []
    ids = set()
    for p in d.get("panels", []):
        if p.get("id") in ids:
            errors.append(f"panel id {p.get('id')} twice")
        ids.add(p.get("id"))
        if not p.get("targets"):
            errors.append(f"panel {p.get('title')!r} has no target")
        for t in p.get("targets", []):
            exprs.append((f"panel {p.get('title')!r}", t.get("expr", "")))
    for v in d.get("templating", {}).get("list", []):
        if v.get("type") == "query":
            exprs.append((f"variable {v.get('name')}", v.get("query", "")))
    # The rules file: each `expr:` (plain or folded block).
    with open(rules, encoding="utf-8") as fh:
        lines = fh.read().split("\n")
    for i, line in enumerate(lines):
        m = re.match(r"(\s*)expr:\s*(.*)$", line)
        if not m:
            continue
        text = m.group(2)
        if text in (">-", ">", "|", "|-"):
            ind = len(m.group(1))
            body = []
            for nxt in lines[i + 1:]:
                if nxt.strip() and len(nxt) - len(nxt.lstrip()) <= ind:
                    break
                body.append(nxt.strip())
            text = " ".join(body)
        exprs.append((f"{os.path.basename(rules)}:{i + 1}", text))
    used = set()
    for where, e in exprs:
        names = metrics_in(e)
        if not names:
            errors.append(f"{where}: no metric in {e!r}")
        for n in sorted(names - known):
            errors.append(f"{where}: {n} is not a metric the services "
                          f"export")
        used |= names
    for e in errors:
        print(f"monitoring: {e}")
    if errors:
        return 1
    print(f"monitoring: {len(exprs)} expressions name {len(used)} metrics, "
          f"all among the {len(known)} the sources export")
    return 0


if __name__ == "__main__":
    sys.exit(main())
