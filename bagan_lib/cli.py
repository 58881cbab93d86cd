"""Command line: ``python -m bagan_lib COMMAND`` (also installed as ``bagan-kit``).

Commands
--------
``run``           the main job: every notebook in order, into ``runs/<time>-<profile>/``; ``--resume RUN_DIR``.
``train``         train one model (any in ``bagan_lib.models.recipes.RECIPES``) with checkpoints; ``--resume``.
``bench``         time one training step per model and profile (ms, images/s, GFLOP, GFLOP/s);
                  ``--versus-reference`` against the reference design's step; ``--precision``.
``doctor``        devices, the TensorFlow build, oneDNN, and one smoke step per precision and strategy.
``evaluate``      per-class FID and KID of trained runs: the BAGAN-GP paper's Table 4 (CSV, Markdown, JSON, figure).
``data summary``  one row per class with its count in each split after a protocol.
``augmentation combine`` notebook 09's runs of several seeds in one table.
``augmentation table1``  notebook 09b's runs of several seeds: the augmentation paper's Table I and its checks.
``notebooks clean`` strip stray outputs before committing a notebook.
``notebooks record`` run a notebook at smoke and keep the outputs nbval checks.

Errors in the user's input exit with status 2 and one line on stderr that
starts with ``error:`` and names the fix; never a traceback. Ctrl-C and SIGTERM
exit with 130 and 143 and one such line saying what was kept and how to go on.
"""

from __future__ import annotations

import argparse
import math
import signal
import sys
import threading
from pathlib import Path

from bagan_lib.errors import Interrupted, KitError, os_error
from bagan_lib.notebook_setup import start
from bagan_lib.runtime.outputs import check_output_file, check_output_folder
from bagan_lib.training.config import check_seed, saved_config

# Lazy imports in this module: each command imports what it needs when it runs, after TensorFlow is set up: `--help`
# and input errors stay fast.

DATA_DIR_HELP = "folder holding the dataset files (else BAGAN_DATA_DIR, data/, Keras cache)"


class _Parser(argparse.ArgumentParser):
    """argparse, but usage errors are one ``error:`` line (exit 2) like every other input error."""

    def error(self, message):
        raise KitError(f"{self.prog}: {message}.", f"see '{self.prog} --help'.")


# Option types: a value no command could use is a usage error while the options are parsed.
def _seed(text: str) -> int:
    try:
        return check_seed(int(text))
    except (ValueError, KitError):
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a seed (a whole number from 0 to 2**32 - 1, e.g. 42)") from None


def _finite(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"{text!r} is not a finite number")
    return value


def _rho(text: str) -> float:
    value = _finite(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not an imbalance factor (largest class / smallest class: a "
                                         "finite number >= 1, e.g. 100)")
    return value


def _protocol_options(args) -> dict:
    """The protocol options given on the command line (``apply_protocol``'s keyword arguments; the others unset)."""
    options = dict(rate=args.rate, majority=args.majority, pruned_class=args.pruned_class, fraction=args.fraction,
                   rho=args.rho, order=args.order)
    return {k: v for k, v in options.items() if v is not None}


# Options that name where a command writes: checked before any work (a file where a folder belongs, no permission).
OUTPUT_FOLDERS = ("out", "runs_dir", "cache_dir")
OUTPUT_FILES = ("json",)


def _check_outputs(args) -> None:
    for name in OUTPUT_FOLDERS + OUTPUT_FILES:
        value = getattr(args, name, None)
        if value is not None:
            check = check_output_folder if name in OUTPUT_FOLDERS else check_output_file
            check(value, "--" + name.replace("_", "-"))


def _cmd_run(args) -> int:
    from bagan_lib.runtime.main_job import NOTEBOOKS_DIR, run_all

    result = run_all(profile=args.profile, dataset=args.dataset, runs_dir=args.runs_dir,
                     only=args.only, resume=args.resume, notebooks_dir=Path(args.notebooks_dir or NOTEBOOKS_DIR),
                     lanes=args.lanes)
    return 0 if result.ok else 1


def _transition(words):
    """``--transition``'s words: none given (unset), ``default``, ``none`` or two numbers of epochs START END."""
    if words is None or (len(words) == 1 and words[0] in ("default", "none")):
        return None if words is None else words[0]
    try:
        if len(words) != 2:
            raise ValueError
        return [_finite(word) for word in words]
    except (ValueError, argparse.ArgumentTypeError) as exc:
        raise KitError(f"--transition {' '.join(words)}: not a ramp.",
                       "give two numbers of epochs START END (e.g. --transition 5 10), 'default' (a quarter and "
                       "half of the run) or 'none'.") from exc


def _cmd_train(args) -> int:
    from bagan_lib.training.config import TrainConfig
    from bagan_lib.training.run_folder import RunFolder

    config = TrainConfig(model=args.model, dataset=args.dataset, profile=args.profile, out_dir=args.out,
                         seed=args.seed, protocol=args.protocol, protocol_options=_protocol_options(args),
                         epochs=args.epochs, ae_epochs=args.ae_epochs, gp_lambda=args.gp_lambda,
                         learning_rate=args.lr, latent_dim=args.latent_dim, image_size=args.image_size,
                         critic_steps=args.critic_steps, steps_per_epoch=args.steps_per_epoch,
                         checkpoint_every=args.checkpoint_every, jit_compile=args.xla, data_dir=args.data_dir,
                         pretrain=args.pretrain, augment=args.augment, gsr=args.gsr,
                         transition=_transition(args.transition), precision=args.precision,
                         distribute=args.distribute,
                         resume=args.resume, overwrite=args.overwrite)
    config.resolved_profile()  # bad settings fail before TensorFlow is imported
    config.check()
    devices = _devices_of(config)  # before TensorFlow starts: a CPU split and a multi-worker strategy come first
    if devices.chief:  # a non-chief worker writes nothing into --out
        RunFolder(Path(config.out_dir)).check(resume=config.resume, overwrite=config.overwrite)
        if config.resume:
            RunFolder(Path(config.out_dir)).check_resumable()  # a typo in --out must not start a new run unnoticed
    start(args.profile, seed=args.seed, precision=devices.precision, distribute=devices.distribute,
          cpu_devices=args.cpu_devices)
    from bagan_lib.training.run import train_model  # imports TensorFlow: after start()

    result = train_model(config)
    print(f"done: {result.timings['epochs']} epochs in {result.timings['total_seconds']:.0f} s; metrics.json, "
          f"checkpoints/ and figures in {config.out_dir}", flush=True)  # a non-chief worker's: the chief's
    return 0


def _devices_of(config):
    """The run's precision and distribution, resolved as ``train_model`` will (on resume: the checkpoint's), and
    whether this process is the chief; read without TensorFlow."""
    from types import SimpleNamespace

    from bagan_lib.runtime.checkpoints import read_meta, usable_checkpoint
    from bagan_lib.training.config import cluster_role, resolve_settings
    from bagan_lib.training.run_folder import RunFolder

    # the checkpoint train_model will resume from: a damaged newest one falls back to the previous one there too
    checkpoint = usable_checkpoint(RunFolder(Path(config.out_dir)).gan)[0] if config.resume else None
    settings = resolve_settings(config, read_meta(checkpoint) if checkpoint is not None else None)
    role = cluster_role() if settings.distribute == "multiworker" else None
    return SimpleNamespace(precision=settings.precision, distribute=settings.distribute,
                           chief=role is None or role.chief)


def _cmd_doctor(args) -> int:
    from bagan_lib.training.config import cluster_role

    distributions = args.distribute or ["none", "mirrored"]
    multiworker = "multiworker" in distributions and cluster_role() is not None  # its strategy comes first
    start(None, seed=0, cpu_devices=args.cpu_devices or (2 if "mirrored" in distributions else None),
          distribute="multiworker" if multiworker else None, verbose=False)
    from bagan_lib.runtime.doctor import run_doctor  # imports TensorFlow: after start()

    return run_doctor(args.precision, distributions)


def _cmd_data_summary(args) -> int:
    from bagan_lib.data import load_dataset
    from bagan_lib.data.imbalance import apply_protocol

    dataset = load_dataset(args.dataset, data_dir=args.data_dir)
    split = apply_protocol(dataset, args.protocol, seed=args.seed, **_protocol_options(args))
    rows = split.summary_rows()
    name_width = max(len("name"), *(len(r["name"]) for r in rows))
    print(f"# {split.dataset}, protocol {split.protocol} {split.settings}")
    print(f"{'class':>5}  {'name':<{name_width}}  {'train':>7}  {'val':>7}  {'test':>7}")
    for r in rows:
        print(f"{r['class']:>5}  {r['name']:<{name_width}}  {r['train']:>7}  {r['val']:>7}  {r['test']:>7}")
    totals = {k: sum(r[k] for r in rows) for k in ("train", "val", "test")}
    print(f"{'':>5}  {'total':<{name_width}}  {totals['train']:>7}  {totals['val']:>7}  {totals['test']:>7}")
    return 0


def _cmd_augmentation_combine(args) -> int:
    from bagan_lib.experiments.augmentation_study import summarize_runs

    summarize_runs(args.runs, args.out)
    return 0


def _cmd_augmentation_table1(args) -> int:
    from bagan_lib.experiments.augmentation_table1 import combine_runs

    combine_runs(args.runs, args.out, dataset=args.dataset)
    return 0


def _cmd_notebooks_clean(args) -> int:
    from bagan_lib.runtime.notebook_hygiene import clean_files
    from bagan_lib.runtime.main_job import NOTEBOOKS_DIR

    paths = args.paths or sorted(NOTEBOOKS_DIR.glob("*.ipynb"))
    for path in clean_files(paths):
        print(f"cleaned {path}")
    return 0


def _cmd_notebooks_record(args) -> int:
    from bagan_lib.runtime.notebook_hygiene import record_checked_outputs

    for path in args.paths:
        record_checked_outputs(path)
        print(f"recorded {path}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    from bagan_lib.data.imbalance import PROTOCOL_NAMES
    from bagan_lib.profiles import PROFILES

    parser = _Parser(prog="bagan-kit", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    run = commands.add_parser("run", help="execute every notebook in order (the main job)")
    run.add_argument("--profile", choices=list(PROFILES),
                     help="size profile (default: teach; with --resume: the run's)")
    run.add_argument("--dataset", help="dataset for the notebooks that take one (default: synthetic_cells; with "
                                       "--resume: the run's)")
    run.add_argument("--runs-dir", default="runs", help="parent folder of the run folder (default: runs)")
    run.add_argument("--only", nargs="*", metavar="NN",
                     help="run only these notebooks, by number or name prefix (e.g. 00 02)")
    run.add_argument("--resume", metavar="RUN_DIR",
                     help="continue an interrupted or failed main job in its folder: notebooks that finished ok "
                          "are kept, the others run again")
    run.add_argument("--notebooks-dir", metavar="DIR", help="the notebooks to run (default: the kit's notebooks/)")
    run.add_argument("--lanes", type=int, metavar="N",
                     help="notebooks run side by side, each kernel on cores/N threads (default: 2 on a CPU with "
                          "two cores or more, 1 with a GPU; 1: one after the other)")
    run.set_defaults(func=_cmd_run)

    _add_train_parser(commands, PROFILES, PROTOCOL_NAMES)
    _add_bench_parser(commands, PROFILES)
    _add_doctor_parser(commands)
    _add_evaluate_parser(commands)

    data = commands.add_parser("data", help="inspect datasets and imbalance protocols")
    data_commands = data.add_subparsers(dest="data_command", required=True, parser_class=_Parser)
    summary = data_commands.add_parser("summary", help="images per class and split after a protocol")
    summary.add_argument("--dataset", required=True, help="fashion_mnist, mnist, cifar10, cifar100, cifar100_coarse, "
                         "digits, synthetic_cells, folder:PATH or npz:PATH")
    summary.add_argument("--protocol", default="none", choices=PROTOCOL_NAMES)
    _add_protocol_options(summary)
    summary.add_argument("--seed", type=_seed, default=42)
    summary.add_argument("--data-dir", help=DATA_DIR_HELP)
    summary.set_defaults(func=_cmd_data_summary)

    augmentation = commands.add_parser("augmentation", help="notebooks 09 and 09b: results over seeds")
    aug_commands = augmentation.add_subparsers(dest="augmentation_command", required=True, parser_class=_Parser)
    combine = aug_commands.add_parser("combine", help="mean ± std over seeds and the per-seed verdicts")
    combine.add_argument("--runs", nargs="+", required=True, metavar="DIR",
                         help="notebook 09 output folders, one per seed (papermill ... -p seed S -p out_dir DIR)")
    combine.add_argument("--out", required=True, metavar="DIR", help="folder for the combined tables")
    combine.set_defaults(func=_cmd_augmentation_combine)
    table1 = aug_commands.add_parser("table1", help="the augmentation paper's Table I over seeds (notebook 09b)")
    table1.add_argument("--runs", nargs="+", required=True, metavar="DIR",
                        help="notebook 09b output folders, one per seed (papermill ... -p seed S -p out_dir DIR)")
    table1.add_argument("--out", required=True, metavar="DIR", help="folder for Table I and the checks")
    table1.add_argument("--dataset", default=None, help="the runs' dataset, for the paper's values beside ours "
                        "(fashion_mnist or cifar100)")
    table1.set_defaults(func=_cmd_augmentation_table1)

    notebooks = commands.add_parser("notebooks", help="maintain the kit's notebooks")
    nb_commands = notebooks.add_subparsers(dest="notebooks_command", required=True, parser_class=_Parser)
    clean = nb_commands.add_parser("clean", help="strip outputs except '# NBVAL_CHECK_OUTPUT' cells")
    clean.add_argument("paths", nargs="*", help="notebooks to clean (default: all in notebooks/)")
    clean.set_defaults(func=_cmd_notebooks_clean)
    record = nb_commands.add_parser("record", help="run at smoke and keep only the checked outputs")
    record.add_argument("paths", nargs="+", help="notebooks whose '# NBVAL_CHECK_OUTPUT' outputs to record")
    record.set_defaults(func=_cmd_notebooks_record)
    return parser


def _add_protocol_options(parser) -> None:
    parser.add_argument("--rate", type=_finite, help="capgan: every minority class keeps 1/rate")
    parser.add_argument("--majority", type=int, help="capgan: the class that keeps everything (default 0)")
    parser.add_argument("--pruned-class", type=int, help="bagan_prune: the class to prune")
    parser.add_argument("--fraction", type=_finite,
                        help="bagan_prune: pruned class size as a fraction of the largest other class")
    parser.add_argument("--rho", type=_rho, help="long_tail, long_tail_step: imbalance factor, largest class / "
                                                  "smallest class (>= 1; CIFAR-10-LT: 100)")
    parser.add_argument("--order", type=int, nargs="+", metavar="C",
                        help="long_tail, long_tail_step: every class once, head first (default: 0 1 2 ...)")


def _add_train_parser(commands, profiles, protocols) -> None:
    from bagan_lib.models.recipes import GSR_LAMBDA, MODEL_NAMES, STRATEGIES
    from bagan_lib.training.config import AUGMENT_CHOICES

    train = commands.add_parser("train", help="train one model, with checkpoints, figures and metrics.json")
    train.add_argument("--model", required=True, choices=MODEL_NAMES)
    train.add_argument("--dataset", default="synthetic_cells",
                       help="fashion_mnist, mnist, cifar10, cifar100, cifar100_coarse, digits, synthetic_cells, "
                            "folder:PATH or npz:PATH")
    train.add_argument("--profile", choices=list(profiles), help="size profile (default: $BAGAN_PROFILE or teach)")
    train.add_argument("--out", required=True, help="output folder: checkpoints, figures, metrics.json")
    train.add_argument("--resume", action="store_true", help="continue the run whose checkpoints are in --out")
    train.add_argument("--overwrite", action="store_true", help="delete a run already in --out and start again")
    train.add_argument("--epochs", type=int, help="GAN epochs (default: the profile's, per dataset)")
    train.add_argument("--ae-epochs", type=int, help="autoencoder epochs (default: the profile's)")
    train.add_argument("--steps-per-epoch", type=int, help="at most this many steps per epoch")
    train.add_argument("--gp-lambda", type=_finite, help="gradient-penalty weight (default: 10; BAGAN 0)")
    train.add_argument("--lr", type=_finite, help="Adam learning rate of both networks (default: 2e-4; BAGAN 5e-5)")
    train.add_argument("--latent-dim", type=int, help="latent size (default: the profile's)")
    train.add_argument("--image-size", type=int, help="image side: 32, 64 or 128 (default: the profile's)")
    train.add_argument("--critic-steps", type=int,
                       help="critic steps per generator step (default: the profile's; BAGAN 1)")
    train.add_argument("--seed", type=_seed, default=42)
    train.add_argument("--protocol", choices=protocols,
                       help="imbalance protocol (default: bagan_gp_paper for fashion_mnist/mnist/cifar10, else none)")
    _add_protocol_options(train)
    train.add_argument("--checkpoint-every", type=int, help="also checkpoint every N steps (default: epoch ends)")
    train.add_argument("--xla", action="store_true", help="compile the critic step with XLA")
    _add_device_options(train, precisions="one")
    train.add_argument("--pretrain", choices=STRATEGIES,
                       help="capgan: the CVAE's pre-training strategy (default: ros, the paper's)")
    train.add_argument("--augment", choices=AUGMENT_CHOICES,
                       help="augment every image the critic sees: diffaugment (color, translation, cutout; Zhao et "
                            "al. 2020) or ada (the same, each with a probability p adapted to the critic's "
                            "overfitting; Karras et al. 2020); default: none, on resume the run's")
    train.add_argument("--gsr", nargs="?", const=GSR_LAMBDA, type=_finite, metavar="LAMBDA",
                       help="group spectral regularisation of the generator's class-conditional batch norm "
                            f"(Rangwani et al. 2022) with weight LAMBDA (alone: the paper's {GSR_LAMBDA}; 0: none); "
                            "needs a cBN generator (bagan_gp_v3_cbn); default: none, on resume the run's")
    train.add_argument("--transition", nargs="+", metavar="START END",
                       help="transitional conditioning (Shahbazi et al. 2022): unconditional until epoch START, "
                            "the label blended in linearly until epoch END; 'default': a quarter and half of the "
                            "run; 'none': none (the default; on resume the run's)")
    train.add_argument("--data-dir", help=DATA_DIR_HELP)
    train.set_defaults(func=_cmd_train)


def _add_device_options(parser, *, precisions: str) -> None:
    """--precision (one, or several for doctor and bench), --distribute and --cpu-devices."""
    from bagan_lib.training.config import DISTRIBUTIONS, PRECISIONS

    if precisions == "one":
        parser.add_argument("--precision", choices=PRECISIONS,
                            help="Keras dtype policy of the networks (default: float32; on resume the run's)")
        parser.add_argument("--distribute", choices=DISTRIBUTIONS,
                            help="none (one device), mirrored (all GPUs, or the CPU split by --cpu-devices), "
                                 "multiworker (the TF_CONFIG cluster); default: none, on resume the run's")
    parser.add_argument("--cpu-devices", type=int, metavar="N",
                        help="without a GPU, split the CPU into N logical devices (default 2 with mirrored)")


def _add_doctor_parser(commands) -> None:
    from bagan_lib.training.config import DISTRIBUTIONS, PRECISIONS

    doctor = commands.add_parser("doctor", help="devices, TensorFlow build, oneDNN, one smoke step per precision "
                                 "and strategy: a verdict per line")
    doctor.add_argument("--precision", nargs="+", choices=PRECISIONS, default=list(PRECISIONS),
                        help="precisions to step (default: all)")
    doctor.add_argument("--distribute", nargs="+", choices=DISTRIBUTIONS,
                        help="strategies to step (default: none mirrored; multiworker needs TF_CONFIG)")
    _add_device_options(doctor, precisions="several")
    doctor.set_defaults(func=_cmd_doctor)


def _add_bench_parser(commands, profiles) -> None:
    from bagan_lib.perf.sizes import DEFAULT_MODELS, DEFAULT_PROFILES, XLA_MODES
    from bagan_lib.models.recipes import MODEL_NAMES
    from bagan_lib.training.config import PRECISIONS

    bench = commands.add_parser("bench", help="time one training step: ms, images/s, GFLOP and GFLOP/s")
    bench.add_argument("--models", nargs="+", choices=MODEL_NAMES, default=list(DEFAULT_MODELS),
                       help="models to time (default: %(default)s; v1 costs what cdragan does, v2 what v3 does)")
    bench.add_argument("--profiles", nargs="+", choices=list(profiles),
                       help=f"size profiles (default: {' '.join(DEFAULT_PROFILES)}; a paper-size step takes seconds "
                            "here); with --versus-reference or --ops: compare at these profiles' sizes instead of "
                            "the paper's 32x32 batch 64 and 64x64 batch 128")
    bench.add_argument("--repeats", type=int, default=3, help="timed calls per measurement (default: 3)")
    bench.add_argument("--xla", choices=list(XLA_MODES), default="both",
                       help="XLA on the critic step: off, on or both (default: both)")
    bench.add_argument("--precision", nargs="+", choices=PRECISIONS, default=["float32"],
                       help="Keras dtype policies to time, one after the other (default: float32)")
    bench.add_argument("--image-size", type=int, help="image side instead of the profile's (32, 64 or 128)")
    bench.add_argument("--batch-size", type=int, help="batch size instead of the profile's")
    bench.add_argument("--width", type=_finite, help="network width multiplier instead of the profile's")
    bench.add_argument("--channels", type=int, choices=(1, 3), default=1, help="image channels (default: 1)")
    bench.add_argument("--versus-reference", action="store_true",
                       help="time the kit's BAGAN-GP step against the reference design's, in alternation")
    bench.add_argument("--ops", action="store_true",
                       help="where the time of one BAGAN-GP step goes: a per-op profile of the kit's and the "
                            "reference design's step, at the --versus-reference sizes")
    bench.add_argument("--pairs", type=int, default=5, help="--versus-reference: timed pairs (default: 5)")
    bench.add_argument("--reference-onednn", choices=("off", "on", "both"), default="both",
                       help="--versus-reference: the baseline without oneDNN (TF defaults), with it, or both")
    bench.add_argument("--json", metavar="PATH", help="also write the rows as JSON")
    bench.add_argument("--out", metavar="DIR", help="also write bench.csv and bench.md (versus_reference.*)")
    bench.set_defaults(func=_cmd_bench)


def _add_evaluate_parser(commands) -> None:
    from bagan_lib.metrics.extractors import EXTRACTORS, INCEPTION_SIZES

    evaluate = commands.add_parser("evaluate", help="per-class FID and KID of trained runs (the paper's Table 4)")
    evaluate.add_argument("--runs", nargs="+", metavar="DIR",
                          help="run folders written by `train` (any models and seeds, one dataset)")
    evaluate.add_argument("--merge", nargs="+", metavar="DIR",
                          help="instead of --runs: combine saved evaluations (e.g. one per seed) into one table")
    evaluate.add_argument("--out", required=True, metavar="DIR", help="folder for table4_*.csv/.md, table4.json/.png")
    evaluate.add_argument("--extractor", choices=EXTRACTORS, default="domain",
                          help="feature extractor: the kit's classifier of the dataset, or InceptionV3 (default: domain)")
    evaluate.add_argument("--n-per-class", type=int, help="images per class (default: the profile's eval_per_class)")
    evaluate.add_argument("--extractor-seed", type=_seed, default=0, help="seed of the domain classifier (default: 0)")
    evaluate.add_argument("--bootstrap", type=int, default=100, help="FID bootstrap resamples (default: 100)")
    evaluate.add_argument("--kid-subsets", type=int, default=100, help="KID subsets (default: 100)")
    evaluate.add_argument("--kid-subset-size", type=int, default=1000, help="KID subset size (default: 1000)")
    evaluate.add_argument("--inception-size", type=int, choices=INCEPTION_SIZES, default=299,
                          help="InceptionV3 input side: 299 (BAGAN-GP) or 224 (CAPGAN)")
    evaluate.add_argument("--weights-path", help="InceptionV3 no-top weights file (else the Keras cache or a download)")
    evaluate.add_argument("--weights-sha256", help="sha256 of --weights-path (else Keras's md5 of its own file)")
    evaluate.add_argument("--cache-dir", help="where the domain classifier is cached (default: ~/.cache/bagan-kit)")
    evaluate.add_argument("--data-dir", help=DATA_DIR_HELP)
    evaluate.set_defaults(func=_cmd_evaluate)


def _check_evaluate(args) -> None:
    """The ``evaluate`` options checked before TensorFlow is imported (KitError: one line, exit 2)."""
    if not args.runs:
        raise KitError("No runs to evaluate.", "pass --runs DIR... (or --merge DIR... to combine saved evaluations).")
    for run_dir in args.runs:
        saved_config(Path(run_dir) / "config.json")  # a damaged config.json: one line, before TensorFlow
        if not (Path(run_dir) / "checkpoints" / "gan.npz").is_file():
            raise KitError(f"{run_dir} holds no trained GAN (no checkpoints/gan.npz).",
                           "pass the --out folders of `python -m bagan_lib train` runs that saved a checkpoint.")
    for name, least in (("n_per_class", 1), ("kid_subsets", 1), ("kid_subset_size", 2)):
        value = getattr(args, name)
        if value is not None and value < least:
            raise KitError(f"--{name.replace('_', '-')} {value} must be at least {least}.",
                           f"pass e.g. --{name.replace('_', '-')} 100.")
    if args.bootstrap < 0:
        raise KitError(f"--bootstrap {args.bootstrap} must be 0 (no interval) or more.", "pass e.g. --bootstrap 100.")


def _cmd_evaluate(args) -> int:
    """``evaluate`` holding the lock of ``--out``: two evaluations into one folder would mix their tables."""
    from bagan_lib.runtime.folder_lock import folder_lock

    with folder_lock(args.out, "evaluate"):
        return _evaluate(args)


def _evaluate(args) -> int:
    """Table 4 of ``--runs`` into ``--out``, the FID table on stdout (or ``--merge`` saved evaluations)."""
    if args.runs and args.merge:  # neither may be silently ignored
        raise KitError("--runs and --merge exclude each other: one scores trained runs, the other combines saved "
                       "evaluations.", "pass --runs DIR... to evaluate runs, or --merge DIR... to combine the "
                       "--out folders of earlier evaluations (one command each).")
    if args.merge:
        from bagan_lib.experiments.table4 import merge_tables, print_share, save_table4

        table = merge_tables(args.merge)
        paths = save_table4(table, args.out)
        print(f"# Per-class FID, {table.extractor}, seeds {table.settings['seeds']}")
        print(table.fid.to_markdown(index=False))
        print_share(table)
        print(f"merged {len(args.merge)} evaluations: {', '.join(str(p) for p in paths.values())}", flush=True)
        return 0
    _check_evaluate(args)
    start(None, seed=args.extractor_seed, verbose=False)
    from bagan_lib.experiments.table4 import evaluate_runs, print_share, save_table4

    table = evaluate_runs(args.runs, extractor=args.extractor, n_per_class=args.n_per_class,
                          extractor_seed=args.extractor_seed, bootstrap=args.bootstrap, kid_subsets=args.kid_subsets,
                          kid_subset_size=args.kid_subset_size, inception_size=args.inception_size,
                          weights_path=args.weights_path, weights_sha256=args.weights_sha256,
                          data_dir=args.data_dir, cache_dir=args.cache_dir)
    paths = save_table4(table, args.out)
    print(f"# Per-class FID, {table.extractor}, {table.settings['n_per_class']} images per class")
    print(table.fid.to_markdown(index=False))
    print_share(table)
    for note in table.notes:
        print(f"note: {note}")
    print(f"done in {table.settings['seconds']:.0f} s: {', '.join(str(p) for p in paths.values())}", flush=True)
    return 0


def _cmd_bench(args) -> int:
    from bagan_lib.perf.command import run_command

    return run_command(models=args.models, profiles=args.profiles, xla=args.xla, repeats=args.repeats,
                       image_size=args.image_size, batch_size=args.batch_size, width=args.width,
                       channels=args.channels, versus_reference=args.versus_reference, ops=args.ops,
                       pairs=args.pairs, reference_onednn=args.reference_onednn, precisions=args.precision,
                       json_path=args.json, out=args.out)


def _terminated(signum, frame):
    raise Interrupted("terminated (SIGTERM).", "run the command again.", status=143)


def main(argv: list[str] | None = None) -> int:
    # SIGTERM as an exception, like Ctrl-C: locks are released and run records written on the way out
    previous = signal.signal(signal.SIGTERM, _terminated) if threading.current_thread() is threading.main_thread() \
        else None
    try:
        args = build_parser().parse_args(argv)
        _check_outputs(args)
        return args.func(args)
    except (KitError, OSError) as exc:
        if not isinstance(exc, KitError):  # disk full, no permission, ... anywhere: the file and the fix
            exc = os_error(exc, "read or write")
        message = " ".join(str(exc).split())  # one line, whatever the message's layout
        print(f"error: {message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt as exc:
        message = " ".join(str(exc).split()) if isinstance(exc, Interrupted) else \
            "interrupted. Fix: run the command again."
        print(f"error: {message}", file=sys.stderr)
        return getattr(exc, "status", 130)
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


if __name__ == "__main__":
    sys.exit(main())
