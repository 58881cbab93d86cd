"""The grouped bar chart of Table 4: per class, one bar per row (model or baseline): FID, KID and the classifier share.

FID and KID span decades (a collapsed generator scores 10^4 where real images
score 10), so their axes are symmetric-logarithmic: logarithmic above 1, linear
between -1 and 1, where KID's unbiased estimate of a near-zero value can be
negative. The share is a fraction, on a linear axis with chance marked.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np


def plot_table4(scores, *, title: str, rows):
    """Bars: the mean over seeds; error bars: the std over seeds, or for one seed FID's bootstrap interval and
    KID's spread over subsets. Classes are labelled with their training and held-out real counts.
    ``rows``: the rows of ``scores`` in the order to draw them."""
    classes = sorted(set(scores["class"]))
    first = scores.drop_duplicates("class").set_index("class")
    x = np.arange(len(classes))
    width = 0.8 / len(rows)
    metrics = ("FID", "KID", "share") if "share" in scores and scores["share"].notna().any() else ("FID", "KID")
    fig, axes = plt.subplots(len(metrics), 1, figsize=(max(7, 0.9 * len(classes) * max(1, len(rows) / 3)),
                                                       3.5 * len(metrics)), sharex=True)
    for ax, metric in zip(axes, metrics):
        for i, row in enumerate(rows):
            part = scores[scores["row"] == row].groupby("class")
            mean = part[metric].mean().reindex(classes).to_numpy()
            if part.size().max() > 1:
                error = part[metric].std(ddof=0).reindex(classes).to_numpy()
                errors = np.stack([error, error])
            elif metric == "FID":
                one = part.first().reindex(classes)
                errors = np.stack([mean - one["FID low"].to_numpy(), one["FID high"].to_numpy() - mean]).clip(0)
            elif metric == "share":
                errors = None
            else:
                error = part["KID std"].first().reindex(classes).to_numpy()
                errors = np.stack([error, error])
            ax.bar(x + (i - (len(rows) - 1) / 2) * width, mean, width, yerr=errors, capsize=2, label=row)
        if metric == "share":
            ax.axhline(1 / len(classes), color="grey", linestyle="--", linewidth=1)
            # at the left edge, above the bars' stacking order, so no bar hides it
            ax.annotate(f"chance (1/{len(classes)})", (0.005, 1 / len(classes)), xycoords=("axes fraction", "data"),
                        xytext=(0, 2), textcoords="offset points", ha="left", va="bottom", fontsize=7,
                        color="grey", zorder=5, bbox={"facecolor": "white", "edgecolor": "none", "pad": 0.5})
            ax.set_ylim(0, 1.05)
            ax.set_ylabel("classifier share\n(higher is better)")
        else:
            ax.set_yscale("symlog", linthresh=1.0)
            ax.set_ylabel(f"{metric}, symlog axis\n(lower is better)")
        ax.grid(axis="y", alpha=0.3)
    axes[0].set_title(title)
    axes[0].legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    labels = [f"{first.loc[c, 'name']}\n(train {first.loc[c, 'n_train']},\nreal {first.loc[c, 'n_real']})"
              for c in classes]
    axes[-1].set_xticks(x, labels, fontsize=7)
    axes[-1].set_xlabel("class (training images, held-out real images)")
    fig.tight_layout()
    return fig
