"""What CAPGAN's CVAE gives its generator after 4 and 16 pre-training epochs (synthetic_cells, teach, seed 44):
the classifier share and the spread (per-pixel std across images; real ~0.1) of decodes from the prior (G0).

The run folders: `python -m bagan_lib train --model capgan --dataset synthetic_cells --profile teach --seed 44
--ae-epochs 4 --out runs/capgan_s44` and the same with `--ae-epochs 16 --out runs/capgan_ae16_s44`.
"""
import numpy as np
from bagan_lib import notebook_setup
notebook_setup.start("teach", seed=0, verbose=False)
from bagan_lib.metrics.extractors import get_extractor
from bagan_lib.metrics.scoring_classifier import generated_class_accuracy
from bagan_lib.models.builders import build_pretraining_network
from bagan_lib.runtime.checkpoints import model_state, restore_state

judge = get_extractor("domain", dataset="synthetic_cells", image_size=32, seed=0, profile="teach", verbose=False)
for label, path in [("4 epochs", "runs/capgan_s44/checkpoints/autoencoder.npz"),
                    ("16 epochs", "runs/capgan_ae16_s44/checkpoints/autoencoder.npz")]:
    cvae = build_pretraining_network("capgan", image_size=32, channels=3, n_classes=4, latent_dim=64, width=0.5, seed=44)
    restore_state(path, model_state(cvae))
    gen = cvae.generate_fn(seed=1)
    table = generated_class_accuracy(judge.classifier, gen, n_per_class=200, seed=1)
    imgs = gen(np.repeat(np.arange(4), 200))
    spread = [float(imgs[c * 200:(c + 1) * 200].std(axis=0).mean() / 2) for c in range(4)]  # [-1,1] -> [0,1] units
    print(label, "G0 share:", table.to_dict("list") if hasattr(table, "to_dict") else table)
    print(label, "G0 spread per class (0-1 units):", [round(s, 3) for s in spread], flush=True)
