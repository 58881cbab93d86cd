"""Command line: ``python -m bagan_lib COMMAND`` (also installed as ``bagan-kit``).

Commands
--------
``run``           the main job: every notebook in order, into ``runs/<time>-<profile>/``.
``data summary``  one row per class with its count in each split after a protocol.
``notebooks clean`` strip stray outputs before committing a notebook.
``notebooks record`` run a notebook at smoke and keep the outputs nbval checks.

Errors in the user's input exit with status 2 and one line on stderr that
starts with ``error:`` and names the fix; never a traceback.
"""

from __future__ import annotations

import argparse
import sys

from .errors import KitError


class _Parser(argparse.ArgumentParser):
    """argparse, but usage errors are one ``error:`` line (exit 2) like every other input error."""

    def error(self, message):
        raise KitError(f"{self.prog}: {message}.", f"see '{self.prog} --help'.")


def _cmd_run(args) -> int:
    from .pipeline import run_all

    result = run_all(profile=args.profile, dataset=args.dataset, runs_dir=args.runs_dir,
                     only=args.only)
    return 0 if result.ok else 1


def _cmd_data_summary(args) -> int:
    from .data import load_dataset
    from .imbalance import apply_protocol

    dataset = load_dataset(args.dataset, data_dir=args.data_dir)
    split = apply_protocol(dataset, args.protocol, rate=args.rate, majority=args.majority,
                           pruned_class=args.pruned_class, fraction=args.fraction, seed=args.seed)
    rows = split.summary_rows()
    name_width = max(len("name"), *(len(r["name"]) for r in rows))
    print(f"# {split.dataset}, protocol {split.protocol} {split.settings}")
    print(f"{'class':>5}  {'name':<{name_width}}  {'train':>7}  {'val':>7}  {'test':>7}")
    for r in rows:
        print(f"{r['class']:>5}  {r['name']:<{name_width}}  {r['train']:>7}  {r['val']:>7}  {r['test']:>7}")
    totals = {k: sum(r[k] for r in rows) for k in ("train", "val", "test")}
    print(f"{'':>5}  {'total':<{name_width}}  {totals['train']:>7}  {totals['val']:>7}  {totals['test']:>7}")
    return 0


def _cmd_notebooks_clean(args) -> int:
    from .notebook_hygiene import clean_files
    from .pipeline import NOTEBOOKS_DIR

    paths = args.paths or sorted(NOTEBOOKS_DIR.glob("*.ipynb"))
    for path in clean_files(paths):
        print(f"cleaned {path}")
    return 0


def _cmd_notebooks_record(args) -> int:
    from .notebook_hygiene import record_checked_outputs

    for path in args.paths:
        record_checked_outputs(path)
        print(f"recorded {path}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    from .imbalance import PROTOCOL_NAMES
    from .profiles import PROFILES

    parser = _Parser(prog="bagan-kit", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    run = commands.add_parser("run", help="execute every notebook in order (the main job)")
    run.add_argument("--profile", choices=list(PROFILES), default="teach",
                     help="size profile (default: teach)")
    run.add_argument("--dataset", default="synthetic_cells",
                     help="dataset for the notebooks that take one (default: synthetic_cells)")
    run.add_argument("--runs-dir", default="runs", help="parent folder of the run folder (default: runs)")
    run.add_argument("--only", nargs="*", metavar="NN",
                     help="run only these notebooks, by number or name prefix (e.g. 00 02)")
    run.set_defaults(func=_cmd_run)

    data = commands.add_parser("data", help="inspect datasets and imbalance protocols")
    data_commands = data.add_subparsers(dest="data_command", required=True, parser_class=_Parser)
    summary = data_commands.add_parser("summary", help="images per class and split after a protocol")
    summary.add_argument("--dataset", required=True, help="fashion_mnist, mnist, cifar10, digits, "
                         "synthetic_cells, folder:PATH or npz:PATH")
    summary.add_argument("--protocol", default="none", choices=PROTOCOL_NAMES)
    summary.add_argument("--rate", type=float, help="capgan: every minority class keeps 1/rate")
    summary.add_argument("--majority", type=int, help="capgan: the class that keeps everything (default 0)")
    summary.add_argument("--pruned-class", type=int, help="bagan_prune: the class to prune")
    summary.add_argument("--fraction", type=float,
                         help="bagan_prune: pruned class size as a fraction of the largest other class")
    summary.add_argument("--seed", type=int, default=42)
    summary.add_argument("--data-dir", help="folder holding the dataset files (else BAGAN_DATA_DIR, data/, Keras cache)")
    summary.set_defaults(func=_cmd_data_summary)

    notebooks = commands.add_parser("notebooks", help="maintain the kit's notebooks")
    nb_commands = notebooks.add_subparsers(dest="notebooks_command", required=True, parser_class=_Parser)
    clean = nb_commands.add_parser("clean", help="strip outputs except '# NBVAL_CHECK_OUTPUT' cells")
    clean.add_argument("paths", nargs="*", help="notebooks to clean (default: all in notebooks/)")
    clean.set_defaults(func=_cmd_notebooks_clean)
    record = nb_commands.add_parser("record", help="run at smoke and keep only the checked outputs")
    record.add_argument("paths", nargs="+", help="notebooks whose '# NBVAL_CHECK_OUTPUT' outputs to record")
    record.set_defaults(func=_cmd_notebooks_record)
    return parser


def main(argv: list[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        return args.func(args)
    except KitError as exc:
        message = " ".join(str(exc).split())  # one line, whatever the message's layout
        print(f"error: {message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("error: interrupted. Fix: run the command again.", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
