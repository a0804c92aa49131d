"""Draws the bench results (bench/results/latest.json) as one PNG with matplotlib.

    python bench/plot.py results.json out.png

Four panels: requests per second, latency (p50 and p99), Envoy CPU per request (with the
backend requests each client call cost), and memory before/after the memory phases.
"""
import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

MIB = 1048576.0


def measured(paths):
    """The paths that produced figures, in table order."""
    return [p for p in paths if p.get("status") == "ok"]


def bar_labels(ax, bars, fmt):
    for b in bars:
        w = b.get_width()
        ax.text(w, b.get_y() + b.get_height() / 2, " " + fmt(w), va="center", fontsize=7)


def throughput(ax, paths):
    labels = [p["label"] for p in paths]
    bars = ax.barh(labels, [p["rps"] for p in paths], color="#4c72b0")
    bar_labels(ax, bars, lambda v: f"{v:,.0f}")
    ax.set_title("throughput (req/s, higher is better)", fontsize=9)
    ax.invert_yaxis()


def latency(ax, paths):
    labels = [p["label"] for p in paths]
    y = range(len(paths))
    h = 0.4
    p50 = ax.barh([i - h / 2 for i in y], [p["latencyMs"]["p50"] for p in paths], h, label="p50", color="#55a868")
    p99 = ax.barh([i + h / 2 for i in y], [p["latencyMs"]["p99"] for p in paths], h, label="p99", color="#c44e52")
    bar_labels(ax, p50, lambda v: f"{v:.2f}")
    bar_labels(ax, p99, lambda v: f"{v:.2f}")
    ax.set_yticks(list(y), labels)
    ax.set_title("latency (ms, lower is better)", fontsize=9)
    ax.legend(fontsize=7, loc="lower right")
    ax.invert_yaxis()


def cpu(ax, paths):
    rows = [p for p in paths if p.get("envoyCpuUsPerReq") is not None]
    labels = [p["label"] for p in rows]
    bars = ax.barh(labels, [p["envoyCpuUsPerReq"] for p in rows], color="#8172b2")
    for b, p in zip(bars, rows):
        ax.text(b.get_width(), b.get_y() + b.get_height() / 2,
                f" {b.get_width():.0f} µs, {p['backendRequestsPerCall']:.0f} backend req/call",
                va="center", fontsize=7)
    ax.set_title("Envoy CPU per client request (µs, lower is better)", fontsize=9)
    ax.invert_yaxis()


def memory(ax, mem):
    moments = []
    calls, sessions = mem.get("calls") or {}, mem.get("sessions") or {}
    if calls.get("status") == "ok":
        moments += [("term.\nbefore", calls["before"]), (f"term. after\n{calls['calls']:,} calls", calls["after"])]
    if sessions.get("status") == "ok":
        moments += [("pass-thr.\nbefore", sessions["before"]),
                    (f"{sessions['sessions']:,}\nsessions", sessions["created"]),
                    ("sessions\nexpired", sessions["expired"])]
    if not moments:
        ax.set_axis_off()
        return
    series = [("vmLinearBytes", "wasm VM linear", "#dd8452"), ("allocatedBytes", "Envoy allocated", "#4c72b0"),
              ("rssBytes", "Envoy RSS", "#937860")]
    w = 0.27
    for k, (key, name, color) in enumerate(series):
        xs = [i + (k - 1) * w for i in range(len(moments))]
        vals = [(m.get(key) or 0) / MIB for _, m in moments]
        bars = ax.bar(xs, vals, w, label=name, color=color)
        for b in bars:
            ax.text(b.get_x() + b.get_width() / 2, b.get_height(), f"{b.get_height():.1f}", ha="center", va="bottom", fontsize=6)
    ax.set_xticks(range(len(moments)), [m for m, _ in moments], fontsize=7)
    ax.set_title("memory (MiB)", fontsize=9)
    ax.legend(fontsize=7)


def main(src, dst):
    with open(src, encoding="utf-8") as f:
        r = json.load(f)
    paths = measured(r["paths"])
    fig, axes = plt.subplots(2, 2, figsize=(15, 9))
    throughput(axes[0][0], paths)
    latency(axes[0][1], paths)
    cpu(axes[1][0], paths)
    memory(axes[1][1], r.get("memory") or {})
    for ax in axes.flat:
        ax.tick_params(labelsize=7)
    for ax in (axes[0][0], axes[0][1], axes[1][0]):
        ax.margins(x=0.25)
    m, o = r["machine"], r["options"]
    fig.suptitle(f"mcp-proxy-wasm bench, {r['date'][:10]}: {m['cpuModel']}, {m['cores']} cores, Envoy {m['envoy'].split('/')[0]} "
                 f"--concurrency 1, {o['connections']} connections, {o['rounds']} × {o['requests']:,} requests per path (medians)",
                 fontsize=10)
    fig.tight_layout()
    fig.savefig(dst, dpi=110)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
