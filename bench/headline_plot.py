#!/usr/bin/python3
"""bench/headline_plot.py: draws bench/headline.sh's CSV as the README's plot, three panels of
absolute figures (lower is better), svinit in colour, each peer's ratio to svinit written
above its bar.

    /usr/bin/python3 bench/headline_plot.py [CSV [PNG]]

Defaults: bench/results/headline.csv and docs/headline.png. Needs Debian's python3-matplotlib
(scripts/install-deps.sh --bench), hence /usr/bin/python3 rather than whatever python is first
in PATH.
"""
import csv
import pathlib
import sys

import matplotlib

matplotlib.use("Agg")  # no display here
import matplotlib.pyplot as plt  # noqa: E402  (after the backend is chosen)

REPO = pathlib.Path(__file__).resolve().parent.parent
SVINIT_COLOUR = "#1f77b4"
PEER_COLOUR = "#9e9e9e"

# figure -> (title, y label, how a value is shown, scale applied to the CSV's value)
PANELS = {
    "idle_wakeups": ("Idle wakeups in 10 s", "context switches", "{:.0f}", 1.0),
    "pss_1000": ("Memory supervising 1,000 services", "PSS of the supervisor's processes, MiB",
                 "{:.1f}", 1 / 1024),
    "shutdown_100": ("Shutdown of 100 services", "stop request to last pid gone, ms",
                     "{:.0f}", 1.0),
}


def read_rows(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def bar_label(row, figure):
    if figure == "idle_wakeups":
        setup = "PID 1" if row["setup"].startswith("PID 1") else row["setup"].split()[0] + " svc"
        return f"{row['system']}\n({setup})"
    return row["system"]


def draw_panel(ax, figure, rows):
    title, ylabel, fmt, scale = PANELS[figure]
    rows = [r for r in rows if r["figure"] == figure]
    values = [float(r["value"]) * scale for r in rows]
    labels = [bar_label(r, figure) for r in rows]
    colours = [SVINIT_COLOUR if r["system"] == "svinit" else PEER_COLOUR for r in rows]
    bars = ax.bar(range(len(rows)), values, color=colours)
    ax.set_xticks(range(len(rows)), labels, fontsize=8)
    ax.set_title(title, fontsize=10)
    ax.set_ylabel(ylabel, fontsize=8)
    top = max(values + [1.0])
    ax.set_ylim(0, top * 1.25)
    # Each bar's value; beside a peer, svinit's value as a ratio of it (same setup only).
    svinit_by_setup = {r["setup"]: float(r["value"]) * scale for r in rows if r["system"] == "svinit"}
    for bar, row, value in zip(bars, rows, values):
        text = fmt.format(value)
        own = svinit_by_setup.get(row["setup"])
        if row["system"] != "svinit" and own is not None and value > 0:
            text += f"\nsvinit: {own / value:.2f}\u00d7"
        ax.annotate(text, (bar.get_x() + bar.get_width() / 2, value), xytext=(0, 2),
                    textcoords="offset points", ha="center", va="bottom", fontsize=7)
    ax.spines[["top", "right"]].set_visible(False)


def main():
    csv_path = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else REPO / "bench/results/headline.csv"
    png_path = pathlib.Path(sys.argv[2]) if len(sys.argv) > 2 else REPO / "docs/headline.png"
    rows = read_rows(csv_path)
    missing = [f for f in PANELS if not any(r["figure"] == f for r in rows)]
    if missing:
        sys.exit(f"headline_plot.py: {csv_path} has no rows for {', '.join(missing)}")
    fig, axes = plt.subplots(1, len(PANELS), figsize=(11, 3.6))
    for ax, figure in zip(axes, PANELS):
        draw_panel(ax, figure, rows)
    fig.suptitle("svinit against tini, runit and s6 (lower is better; bench/headline.sh, "
                 "2 shared cores)", fontsize=10)
    fig.tight_layout()
    fig.savefig(png_path, dpi=110)
    print(f"headline_plot.py: wrote {png_path}")


if __name__ == "__main__":
    main()
