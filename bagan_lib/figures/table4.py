"""The grouped bar chart of Table 4: per class, one bar per row (model or baseline), FID above and KID below."""

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
    fig, axes = plt.subplots(2, 1, figsize=(max(7, 0.9 * len(classes) * max(1, len(rows) / 3)), 7), sharex=True)
    for ax, metric in zip(axes, ("FID", "KID")):
        for i, row in enumerate(rows):
            part = scores[scores["row"] == row].groupby("class")
            mean = part[metric].mean().reindex(classes).to_numpy()
            if part.size().max() > 1:
                error = part[metric].std(ddof=0).reindex(classes).to_numpy()
                errors = np.stack([error, error])
            elif metric == "FID":
                one = part.first().reindex(classes)
                errors = np.stack([mean - one["FID low"].to_numpy(), one["FID high"].to_numpy() - mean]).clip(0)
            else:
                error = part["KID std"].first().reindex(classes).to_numpy()
                errors = np.stack([error, error])
            ax.bar(x + (i - (len(rows) - 1) / 2) * width, mean, width, yerr=errors, capsize=2, label=row)
        ax.set_ylabel(f"{metric} (lower is better)")
        ax.grid(axis="y", alpha=0.3)
    axes[0].set_title(title)
    axes[0].legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    labels = [f"{first.loc[c, 'name']}\n(train {first.loc[c, 'n_train']},\nreal {first.loc[c, 'n_real']})"
              for c in classes]
    axes[1].set_xticks(x, labels, fontsize=7)
    axes[1].set_xlabel("class (training images, held-out real images)")
    fig.tight_layout()
    return fig
