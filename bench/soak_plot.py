#!/usr/bin/env python3
"""bench/soak_plot.py CSV PNG: svinit's open fds, RSS and CPU over a bench/soak.sh run."""
import csv
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def main(src, dst):
    with open(src, newline="") as f:
        rows = list(csv.DictReader(f))
    t = [int(r["seconds"]) / 60 for r in rows]
    fds = [int(r["fds"]) for r in rows]
    rss = [int(r["rss_kb"]) / 1024 for r in rows]
    ticks = [int(r["cpu_ticks"]) for r in rows]
    cpu = [0.0] + [
        (ticks[i] - ticks[i - 1]) / (100 * (int(rows[i]["seconds"]) - int(rows[i - 1]["seconds"])))
        * 100
        for i in range(1, len(rows))
    ]
    fig, axes = plt.subplots(3, 1, figsize=(8, 7), sharex=True)
    for ax, ys, label in zip(axes, (fds, rss, cpu), ("open fds", "RSS (MiB)", "CPU (% of a core)")):
        ax.plot(t, ys)
        ax.set_ylabel(label)
        ax.set_ylim(bottom=0, top=max(ys) * 1.2 if max(ys) > 0 else 1)
        ax.grid(True, alpha=0.3)
    axes[-1].set_xlabel("minutes")
    fig.suptitle("svinit soak: 1,000 services, 100 crash-looping, churn and hostile clients")
    fig.tight_layout()
    fig.savefig(dst, dpi=100)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
