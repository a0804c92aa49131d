#!/usr/bin/env python3
"""The MCP gateway dashboard, from one panel list:

    python3 examples/grafana/dashboard.py json > examples/grafana/mcp-gateway.json
    bench/.venv/bin/python examples/grafana/dashboard.py render SCRAPES.jsonl OUT.png

`json` writes the Grafana dashboard (Prometheus data source, a `server` variable). `render` draws
the same panels with matplotlib from scrapes of Envoy's /stats/prometheus (one JSON object per
line: {"t": seconds, "samples": [[name, {labels}, value], ...]}, as examples/grafana/demo.mjs
writes them), evaluating each panel's query the way Prometheus does (rate over a window, sum by
labels, histogram_quantile with linear interpolation). Both come from PANELS, so the picture
shows exactly the dashboard's queries. The JSON needs only the standard library.
"""
import json
import math
import re
import sys

RATE_WINDOW_S = 30  # the picture's rate window ($__rate_interval in Grafana)
SERVER = ("mcp_server", "=~", "$server")

# Each panel: title, kind (rate | ratio | quantile | gauge), metric(s), labels summed by,
# extra matchers [(label, op, value)], and for quantiles the quantiles and a scale.
PANELS = [
    dict(title="Requests per second by outcome", kind="rate", metrics=["mcp_requests_total"], by=["outcome"], unit="reqps"),
    dict(title="Error ratio by server (outcome != ok)", kind="ratio", metrics=["mcp_requests_total"], by=["mcp_server"],
         where=[("outcome", "!=", "ok")], unit="percentunit"),
    dict(title="Tool calls per second by tool", kind="rate", metrics=["mcp_tool_calls_total"], by=["mcp_tool"], unit="reqps"),
    dict(title="Failing tool calls per second (backend_error, timeout)", kind="rate", metrics=["mcp_tool_calls_total"],
         by=["mcp_tool", "outcome"], where=[("outcome", "=~", "backend_error|timeout")], unit="reqps"),
    dict(title="Denied and unauthorized requests per second", kind="rate", metrics=["mcp_requests_total"],
         by=["mcp_method", "outcome"], where=[("outcome", "=~", "denied|unauthorized")], unit="reqps"),
    dict(title="Backend time p50 / p95 / p99 (ms)", kind="quantile", metrics=["mcp_backend_time_us"], by=["mcp_server"],
         quantiles=[0.5, 0.95, 0.99], scale=0.001, unit="ms"),
    dict(title="Time added by the gateway p50 / p99 (µs)", kind="quantile", metrics=["mcp_gateway_time_us"], by=["mcp_server"],
         quantiles=[0.5, 0.99], scale=1, unit="µs"),
    dict(title="Backend requests per second by step", kind="rate", metrics=["mcp_backend_requests_total"], by=["mcp_step"], unit="reqps"),
    dict(title="Live pass-through sessions", kind="gauge", metrics=["mcp_sessions_live"], by=["mcp_server"], unit="short"),
    dict(title="Sessions created / expired / refused per second", kind="rate",
         metrics=["mcp_sessions_created_total", "mcp_sessions_expired_total", "mcp_sessions_refused_total"], by=["mcp_server"], unit="reqps"),
]


def selector(metric, where):
    matchers = [SERVER] + list(where)
    return metric + "{" + ",".join(f'{l}{op}"{v}"' for l, op, v in matchers) + "}"


def exprs(p):
    """The PromQL of a panel: [(expr, legend)]."""
    by = ", ".join(p["by"])
    legend = " ".join("{{" + l + "}}" for l in p["by"])
    where = p.get("where", [])
    out = []
    for m in p["metrics"]:
        if p["kind"] == "rate":
            out.append((f"sum by ({by}) (rate({selector(m, where)}[$__rate_interval]))",
                        (m.replace("mcp_", "").replace("_total", "") + " " if len(p["metrics"]) > 1 else "") + legend))
        elif p["kind"] == "ratio":
            out.append((f"sum by ({by}) (rate({selector(m, where)}[$__rate_interval])) / "
                        f"sum by ({by}) (rate({selector(m, [])}[$__rate_interval]))", legend))
        elif p["kind"] == "gauge":
            out.append((f"sum by ({by}) ({selector(m, where)})", legend))
        elif p["kind"] == "quantile":
            for q in p["quantiles"]:
                scale = "" if p["scale"] == 1 else f" * {p['scale']}"
                out.append((f"histogram_quantile({q}, sum by (le, {by}) (rate({selector(m + '_bucket', where)}[$__rate_interval]))){scale}",
                            f"p{int(q * 100)} {legend}"))
    return out


def dashboard():
    panels = []
    for i, p in enumerate(PANELS):
        panels.append({
            "id": i + 1,
            "type": "timeseries",
            "title": p["title"],
            "datasource": {"type": "prometheus", "uid": "${datasource}"},
            "gridPos": {"h": 8, "w": 12, "x": 12 * (i % 2), "y": 8 * (i // 2)},
            "fieldConfig": {"defaults": {"unit": p["unit"]}, "overrides": []},
            "options": {"legend": {"displayMode": "list", "placement": "bottom"}},
            "targets": [{"refId": chr(65 + j), "expr": e, "legendFormat": lg, "datasource": {"type": "prometheus", "uid": "${datasource}"}}
                        for j, (e, lg) in enumerate(exprs(p))],
        })
    return {
        "title": "MCP gateway (mcp-proxy-wasm)",
        "uid": "mcp-proxy-wasm",
        "description": "Envoy stats of the mcp-proxy-wasm filter (README \"Observability\"). Generated by examples/grafana/dashboard.py.",
        "tags": ["mcp", "envoy"],
        "schemaVersion": 39,
        "time": {"from": "now-15m", "to": "now"},
        "refresh": "10s",
        "templating": {"list": [
            {"name": "datasource", "type": "datasource", "query": "prometheus", "label": "Prometheus"},
            {"name": "server", "type": "query", "label": "MCP server", "datasource": {"type": "prometheus", "uid": "${datasource}"},
             "query": "label_values(mcp_requests_total, mcp_server)", "includeAll": True, "multi": True,
             "allValue": ".*", "current": {"text": "All", "value": "$__all"}, "refresh": 2},
        ]},
        "panels": panels,
    }


# ---------------------------------------------------------------- evaluation for `render`

def matches(labels, where):
    for l, op, v in where:
        have = labels.get(l, "")
        if op == "=" and have != v: return False
        if op == "!=" and have == v: return False
        if op == "=~" and not re.fullmatch(v, have): return False
    return True


def select(samples, metric, where):
    return [(lbl, v) for n, lbl, v in samples if n == metric and matches(lbl, where)]


def grouped(series, by):
    out = {}
    for lbl, v in series:
        k = tuple(lbl.get(l, "") for l in by)
        out[k] = out.get(k, 0.0) + v
    return out


def rates(scrapes, metric, where, by):
    """{group: [(t, per-second rate over RATE_WINDOW_S)]} of sum by (by) (rate(metric{where}[w]))."""
    out = {}
    for i, s in enumerate(scrapes):
        j = i
        while j > 0 and s["t"] - scrapes[j - 1]["t"] <= RATE_WINDOW_S: j -= 1
        if j == i: continue
        old = scrapes[j]
        dt = s["t"] - old["t"]
        now_by_series = {json.dumps(l, sort_keys=True): (l, v) for l, v in select(s["samples"], metric, where)}
        old_by_series = {json.dumps(l, sort_keys=True): v for l, v in select(old["samples"], metric, where)}
        per = []
        for k, (l, v) in now_by_series.items():
            prev = old_by_series.get(k, 0.0)
            per.append((l, max(0.0, v - prev) / dt))  # a series born in the window started at 0
        for g, v in grouped(per, by).items():
            out.setdefault(g, []).append((s["t"], v))
    return out


def quantile(q, buckets):
    """histogram_quantile: `buckets` [(le, cumulative rate)] sorted by le."""
    if not buckets or buckets[-1][1] <= 0: return math.nan
    rank = q * buckets[-1][1]
    lower_le, lower_c = 0.0, 0.0
    for le, c in buckets:
        if c >= rank:
            if math.isinf(le): return lower_le
            return lower_le + (le - lower_le) * ((rank - lower_c) / (c - lower_c) if c > lower_c else 0)
        lower_le, lower_c = le, c
    return lower_le


def quantiles(scrapes, p):
    by = p["by"]
    m = p["metrics"][0] + "_bucket"
    per_le = rates(scrapes, m, p.get("where", []), by + ["le"])
    out = {}
    for q in p["quantiles"]:
        series = {}
        for (*g, le), pts in per_le.items():
            for t, v in pts:
                series.setdefault(tuple(g), {}).setdefault(t, []).append((float(le), v))
        for g, by_t in series.items():
            pts = [(t, quantile(q, sorted(b)) * p["scale"]) for t, b in sorted(by_t.items())]
            out[(f"p{int(q * 100)}",) + g] = pts
    return out


def render(scrapes_path, png_path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    scrapes = [json.loads(l) for l in open(scrapes_path) if l.strip()]
    t0 = scrapes[0]["t"]
    for s in scrapes: s["t"] -= t0
    rows = (len(PANELS) + 1) // 2
    fig, axes = plt.subplots(rows, 2, figsize=(16, 3.1 * rows), constrained_layout=True)
    fig.suptitle("MCP gateway dashboard (examples/grafana/mcp-gateway.json): its queries over /stats/prometheus scrapes of a make-run "
                 "session, drawn with matplotlib", fontsize=11)
    for ax, p in zip(axes.flat, PANELS):
        if p["kind"] == "quantile":
            series = quantiles(scrapes, p)
        elif p["kind"] == "gauge":
            series = {}
            for s in scrapes:
                for g, v in grouped(select(s["samples"], p["metrics"][0], p.get("where", [])), p["by"]).items():
                    series.setdefault(g, []).append((s["t"], v))
        elif p["kind"] == "ratio":
            num = rates(scrapes, p["metrics"][0], p["where"], p["by"])
            den = rates(scrapes, p["metrics"][0], [], p["by"])
            series = {}
            for g, pts in num.items():
                d = dict(den.get(g, []))
                series[g] = [(t, n / d[t]) for t, n in pts if d.get(t, 0) > 0]
        else:
            series = {}
            for m in p["metrics"]:
                prefix = (m.replace("mcp_", "").replace("_total", ""),) if len(p["metrics"]) > 1 else ()
                for g, pts in rates(scrapes, m, p.get("where", []), p["by"]).items():
                    series[prefix + g] = pts
        for g, pts in sorted(series.items()):
            pts = [(t, v) for t, v in pts if not math.isnan(v)]
            if pts: ax.plot([t for t, _ in pts], [v for _, v in pts], label=" ".join(g), linewidth=1.2)
        ax.set_title(p["title"], fontsize=10, loc="left")
        ax.set_xlabel("s", fontsize=8)
        ax.tick_params(labelsize=8)
        ax.grid(alpha=0.3)
        if p["unit"] == "percentunit": ax.yaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0))
        if series: ax.legend(fontsize=7, loc="upper left", ncol=2)
    fig.savefig(png_path, dpi=80)


def selftest():
    """Checks the evaluation against values worked out by hand (Prometheus semantics)."""
    b = [(10.0, 0.0), (100.0, 5.0), (1000.0, 10.0), (math.inf, 10.0)]
    assert quantile(0.5, b) == 100.0, quantile(0.5, b)          # rank 5: the top of the (10, 100] bucket
    assert abs(quantile(0.25, b) - 55.0) < 1e-9                  # rank 2.5: halfway through (10, 100]
    assert quantile(0.99, [(10.0, 1.0), (math.inf, 2.0)]) == 10.0  # in +Inf: the last finite bound
    assert math.isnan(quantile(0.5, [(10.0, 0.0), (math.inf, 0.0)]))
    lbl = {"mcp_server": "a", "outcome": "ok"}
    bad = {"mcp_server": "a", "outcome": "timeout"}
    scrapes = [{"t": 0, "samples": [["m", lbl, 10], ["m", bad, 0]]},
               {"t": 10, "samples": [["m", lbl, 30], ["m", bad, 5], ["m", {"mcp_server": "b", "outcome": "ok"}, 4]]}]
    r = rates(scrapes, "m", [("outcome", "!=", "ok")], ["mcp_server"])
    assert r == {("a",): [(10, 0.5)]}, r
    r = rates(scrapes, "m", [("mcp_server", "=~", "a|b")], ["outcome"])
    assert r == {("ok",): [(10, 2.4)], ("timeout",): [(10, 0.5)]}, r  # b was born in the window: from 0
    assert all(e.count("(") == e.count(")") for p in PANELS for e, _ in exprs(p))
    print("dashboard.py selftest: ok")


if __name__ == "__main__":
    if len(sys.argv) == 2 and sys.argv[1] == "selftest":
        selftest()
    elif len(sys.argv) >= 2 and sys.argv[1] == "json":
        json.dump(dashboard(), sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
    elif len(sys.argv) == 4 and sys.argv[1] == "render":
        render(sys.argv[2], sys.argv[3])
    else:
        sys.exit(__doc__)
