"""Where the downloadable datasets (Fashion-MNIST, MNIST, CIFAR-10, CIFAR-100) come from.

:func:`find_and_read` looks in these places, in this order, and uses the first
one that holds a complete set of files:

1. the ``data_dir`` argument of :func:`bagan_lib.data.load_dataset`;
2. the folder named by the ``BAGAN_DATA_DIR`` environment variable;
3. ``data/`` in the repository;
4. the Keras cache (``$KERAS_HOME/datasets`` or ``~/.keras/datasets``), in the
   layout Keras itself writes;
5. Keras' own download, which fills the Keras cache (only if ``download=True``
   and the environment variable ``BAGAN_OFFLINE`` is not ``1``).

In places 1-3 the files may sit directly in the folder or in a subfolder named
after the dataset (``fashion_mnist/`` or ``fashion-mnist/``, ``mnist/``,
``cifar10/`` or ``cifar-10-batches-py/``, ``cifar100/`` or ``cifar-100-python/``).
``cifar100`` and ``cifar100_coarse`` read the same files: the fine labels (100
classes) or the coarse ones (20 superclasses).

Every file with a published checksum is verified before it is read; a wrong
checksum raises :class:`~bagan_lib.errors.ChecksumError` instead of silently
training on corrupt data. Nothing here writes files (step 5 lets Keras write
to its own cache).
"""

from __future__ import annotations

import io
import os
import sys
import tarfile
from pathlib import Path
from typing import Callable, NamedTuple, Union

import numpy as np

from bagan_lib.data.formats import read_cifar100_file, read_cifar100_meta, read_cifar_batch, read_idx, verify_file
from bagan_lib.errors import DatasetNotFoundError, KitError
from bagan_lib.notebook_setup import configure_tensorflow_environment, silenced_native_stderr

# Lazy imports in this module: `import bagan_lib.data` stays free of TensorFlow; Keras loads only to download.

# (x_train, y_train, x_test, y_test): images uint8 NHWC, labels int64.
Splits = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]


class Found(NamedTuple):
    """A dataset read from disk, the exact file or folder it came from, and its class names if the files hold them
    (CIFAR-100's ``meta``; None: the loader's :data:`~bagan_lib.data.loaders.CLASS_NAMES`)."""

    splits: Splits
    source: str
    class_names: tuple[str, ...] | None = None


# A reader gets a path and returns Found, a note on why it could not (str),
# or None when there is nothing at that path at all.
Reader = Callable[[Path], Union[Found, str, None]]

ENV_VAR = "BAGAN_DATA_DIR"
OFFLINE_VAR = "BAGAN_OFFLINE"  # "1" skips step 5 (no download attempt at all)
# Repository root = parent of the bagan_lib package; tests monkeypatch this.
REPO_DATA_DIR = Path(__file__).resolve().parents[2] / "data"

IDX_FILES = (
    "train-images-idx3-ubyte.gz",
    "train-labels-idx1-ubyte.gz",
    "t10k-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz",
)
# Official sha256 sums of the gz files (see data/README.md for md5s and sizes).
IDX_SHA256 = {
    "fashion_mnist": {
        "train-images-idx3-ubyte.gz": "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
        "train-labels-idx1-ubyte.gz": "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
        "t10k-images-idx3-ubyte.gz": "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
        "t10k-labels-idx1-ubyte.gz": "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
    },
    "mnist": {
        "train-images-idx3-ubyte.gz": "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
        "train-labels-idx1-ubyte.gz": "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
        "t10k-images-idx3-ubyte.gz": "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
        "t10k-labels-idx1-ubyte.gz": "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
    },
}
# The mnist.npz that keras.datasets.mnist downloads (Keras' own pinned sha256).
KERAS_MNIST_NPZ = "mnist.npz"
KERAS_MNIST_NPZ_SHA256 = "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"

CIFAR10_TARBALL = "cifar-10-python.tar.gz"
CIFAR10_TARBALL_MD5 = "c58f30108f718f92721af3b95e74349a"  # published on the CIFAR page
CIFAR10_BATCHES = tuple(f"data_batch_{i}" for i in range(1, 6)) + ("test_batch",)

CIFAR100_TARBALL = "cifar-100-python.tar.gz"
CIFAR100_TARBALL_MD5 = "eb9058c3a382ffc7106e4002c42a8d85"  # published on the CIFAR page
CIFAR100_FILES = ("train", "test", "meta")
CIFAR100_FOLDERS = ("cifar100", "cifar-100-python", "cifar100/cifar-100-python")

# Subfolder names accepted inside data_dir / BAGAN_DATA_DIR / data/.
SUBFOLDERS = {
    "fashion_mnist": ("fashion_mnist", "fashion-mnist"),
    "mnist": ("mnist",),
    "cifar10": ("cifar10", "cifar-10-batches-py", "cifar10/cifar-10-batches-py"),
    "cifar100": CIFAR100_FOLDERS,
    "cifar100_coarse": CIFAR100_FOLDERS,  # the same files, read with the coarse labels
}
DOWNLOADABLE = tuple(SUBFOLDERS)


# --------------------------------------------------------------------------
# Reading one candidate folder or file (checksums first, then decode)
# --------------------------------------------------------------------------
def _incomplete(directory: Path, names) -> Union[str, None, bool]:
    """None if none of ``names`` is in ``directory``, a reason if only some are, False if all are."""
    missing = [n for n in names if not (directory / n).is_file()]
    if len(missing) == len(names):
        return None
    return f"{directory} is incomplete (missing {', '.join(missing)})" if missing else False


def read_idx_dir(directory: Path, dataset: str) -> Union[Found, str, None]:
    """Read the four official gz files of ``dataset`` from ``directory``."""
    problem = _incomplete(directory, IDX_FILES)
    if problem is not False:
        return problem
    for fname in IDX_FILES:
        verify_file(directory / fname, IDX_SHA256[dataset][fname])
    x_train, y_train, x_test, y_test = (read_idx(directory / f) for f in IDX_FILES)
    return Found(_as_splits(x_train, y_train, x_test, y_test), str(directory))


def read_keras_mnist_npz(path: Path) -> Union[Found, str, None]:
    """Read the ``mnist.npz`` file Keras caches."""
    if not path.is_file():
        return None
    verify_file(path, KERAS_MNIST_NPZ_SHA256)
    with np.load(path, allow_pickle=False) as f:
        return Found(_as_splits(f["x_train"], f["y_train"], f["x_test"], f["y_test"]), str(path))


def _cifar_from_batches(open_batch: Callable[[str], io.BufferedIOBase], where: str) -> Found:
    parts = {}
    for name in CIFAR10_BATCHES:
        with open_batch(name) as f:
            parts[name] = read_cifar_batch(f, f"{where}/{name}")
    train = [parts[n] for n in CIFAR10_BATCHES[:-1]]
    x_test, y_test = parts["test_batch"]
    x_train = np.concatenate([x for x, _ in train])
    y_train = np.concatenate([y for _, y in train])
    return Found(_as_splits(x_train, y_train, x_test, y_test), where)


def read_cifar_dir(directory: Path) -> Union[Found, str, None]:
    """Read the extracted batches (``data_batch_1..5``, ``test_batch``)."""
    problem = _incomplete(directory, CIFAR10_BATCHES)
    if problem is not False:
        return problem
    return _cifar_from_batches(lambda name: open(directory / name, "rb"), str(directory))


def read_cifar_tarball(path: Path) -> Union[Found, str, None]:
    """Read the batches straight out of ``cifar-10-python.tar.gz`` (no extraction)."""
    if not path.is_file():
        return None
    verify_file(path, CIFAR10_TARBALL_MD5, "md5")
    with tarfile.open(path, "r:gz") as tar:
        members = {Path(m.name).name: m for m in tar.getmembers() if m.isfile()}
        missing = [b for b in CIFAR10_BATCHES if b not in members]
        if missing:
            return f"{path} lacks {', '.join(missing)}"
        return _cifar_from_batches(lambda name: tar.extractfile(members[name]), str(path))


def cifar100_label_mode(dataset: str) -> str:
    """``"coarse"`` for ``cifar100_coarse`` (20 superclasses), else ``"fine"`` (100 classes)."""
    return "coarse" if dataset == "cifar100_coarse" else "fine"


def _cifar100_from(open_file: Callable[[str], io.BufferedIOBase], where: str, label_mode: str) -> Found:
    parts = {}
    for name in ("train", "test"):
        with open_file(name) as f:
            parts[name] = read_cifar100_file(f, f"{where}/{name}", label_mode)
    with open_file("meta") as f:
        names = read_cifar100_meta(f, f"{where}/meta", label_mode)
    (x_train, y_train), (x_test, y_test) = parts["train"], parts["test"]
    return Found(_as_splits(x_train, y_train, x_test, y_test), where, names)


def read_cifar100_dir(directory: Path, label_mode: str = "fine") -> Union[Found, str, None]:
    """Read the extracted ``cifar-100-python/`` files (``train``, ``test``, ``meta``)."""
    problem = _incomplete(directory, CIFAR100_FILES)
    if problem is not False:
        return problem
    return _cifar100_from(lambda name: open(directory / name, "rb"), str(directory), label_mode)


def read_cifar100_tarball(path: Path, label_mode: str = "fine") -> Union[Found, str, None]:
    """Read the files straight out of ``cifar-100-python.tar.gz`` (no extraction), after its md5."""
    if not path.is_file():
        return None
    verify_file(path, CIFAR100_TARBALL_MD5, "md5")
    with tarfile.open(path, "r:gz") as tar:
        # the tarball also holds file.txt~; only cifar-100-python/<name> counts (a bare "train" elsewhere is not it)
        members = {Path(m.name).name: m for m in tar.getmembers()
                   if m.isfile() and Path(m.name).parent.name == "cifar-100-python"}
        missing = [n for n in CIFAR100_FILES if n not in members]
        if missing:
            return f"{path} lacks cifar-100-python/{', cifar-100-python/'.join(missing)}"
        return _cifar100_from(lambda name: tar.extractfile(members[name]), str(path), label_mode)


def read_cifar100_dir_or_tarball(directory: Path, label_mode: str = "fine") -> Union[Found, str, None]:
    """Extracted files in ``directory``, else ``cifar-100-python.tar.gz`` there."""
    files = read_cifar100_dir(directory, label_mode)
    if isinstance(files, Found):
        return files
    tarball = read_cifar100_tarball(directory / CIFAR100_TARBALL, label_mode)
    if isinstance(tarball, Found):
        return tarball
    return "; ".join(note for note in (files, tarball) if note) or None


def _as_splits(x_train, y_train, x_test, y_test) -> Splits:
    """Give every image array a channel axis and every label array int64."""
    def images(x):
        x = np.asarray(x, dtype=np.uint8)
        return x[..., None] if x.ndim == 3 else x

    def labels(y):
        return np.asarray(y, dtype=np.int64).reshape(-1)

    return images(x_train), labels(y_train), images(x_test), labels(y_test)


# --------------------------------------------------------------------------
# Places to look
# --------------------------------------------------------------------------
def keras_cache_dir() -> Path:
    """``datasets/`` under the Keras home, found the way Keras finds it."""
    home = os.environ.get("KERAS_HOME")
    if home:
        return Path(home).expanduser() / "datasets"
    base = Path.home()
    if not os.access(base, os.W_OK):  # Keras falls back to /tmp in that case
        base = Path("/tmp")
    return base / ".keras" / "datasets"


def read_cifar_dir_or_tarball(directory: Path) -> Union[Found, str, None]:
    """Extracted batches in ``directory``, else ``cifar-10-python.tar.gz`` there."""
    batches = read_cifar_dir(directory)
    if isinstance(batches, Found):
        return batches
    tarball = read_cifar_tarball(directory / CIFAR10_TARBALL)
    if isinstance(tarball, Found):
        return tarball
    return "; ".join(note for note in (batches, tarball) if note) or None


def _folder_reader(dataset: str) -> Reader:
    if dataset == "cifar10":
        return read_cifar_dir_or_tarball
    if dataset.startswith("cifar100"):
        return lambda d: read_cifar100_dir_or_tarball(d, cifar100_label_mode(dataset))
    return lambda d: read_idx_dir(d, dataset)


def _keras_cache_candidates(dataset: str) -> list[tuple[Path, Reader]]:
    cache = keras_cache_dir()
    if dataset == "fashion_mnist":
        return [(cache / "fashion-mnist", lambda d: read_idx_dir(d, "fashion_mnist"))]
    if dataset == "mnist":
        return [(cache / KERAS_MNIST_NPZ, read_keras_mnist_npz)]
    if dataset.startswith("cifar100"):
        mode = cifar100_label_mode(dataset)
        return [
            # Keras 3 extracts here; Keras 2 extracted to cifar-100-python/.
            (cache / "cifar-100-python-target" / "cifar-100-python", lambda d: read_cifar100_dir(d, mode)),
            (cache / "cifar-100-python", lambda d: read_cifar100_dir(d, mode)),
        ]
    return [
        # Keras 3 extracts here; Keras 2 extracted to cifar-10-batches-py/.
        (cache / "cifar-10-batches-py-target" / "cifar-10-batches-py", read_cifar_dir),
        (cache / "cifar-10-batches-py", read_cifar_dir),
    ]


def _places(dataset: str, data_dir) -> list[tuple[str, list[tuple[Path, Reader]] | None]]:
    """The places of steps 1-4 as ``(label, candidates)``; None = not configured."""
    reader = _folder_reader(dataset)
    env = os.environ.get(ENV_VAR) or None
    places = []
    for label, base in (
        ("data_dir argument", data_dir),
        (ENV_VAR, env),
        ("repository data folder", REPO_DATA_DIR),
    ):
        if base is None:
            places.append((label, None))  # reported as "not given" / "not set"
            continue
        base = Path(base).expanduser()
        dirs = [base] + [base / sub for sub in SUBFOLDERS[dataset]]
        places.append((f"{label} {base}", [(d, reader) for d in dirs]))
    places.append((f"Keras cache {keras_cache_dir()}", _keras_cache_candidates(dataset)))
    return places


def _try(candidates: list[tuple[Path, Reader]]) -> tuple[Found | None, str]:
    """Return (found, note) for the first candidate that has the data."""
    notes = []
    for path, reader in candidates:
        result = reader(path) if path.exists() else None
        if isinstance(result, Found):
            return result, ""
        if result:
            notes.append(result)
    if not notes:
        paths = ", ".join(str(p) for p, _ in candidates)
        notes.append(f"nothing in {paths}")
    return None, "; ".join(notes)


def is_offline() -> bool:
    """True when ``BAGAN_OFFLINE`` is set to 1 / true / yes / on."""
    return os.environ.get(OFFLINE_VAR, "").strip().lower() in ("1", "true", "yes", "on")


def download_with_keras(dataset: str) -> None:
    """Let Keras download ``dataset`` into its cache (imports Keras, so TensorFlow)."""
    if "tensorflow" not in sys.modules:
        # Same quiet TensorFlow start-up as the notebooks, so an offline failure
        # stays a one-line error on the command line.
        configure_tensorflow_environment()
        with silenced_native_stderr():
            import tensorflow  # noqa: F401
    import keras  # lazy: importing Keras imports TensorFlow

    if dataset.startswith("cifar100"):  # one tarball for both names; the label mode picks the labels Keras returns
        keras.datasets.cifar100.load_data(label_mode=cifar100_label_mode(dataset))
    else:  # keras.datasets.fashion_mnist, .mnist, .cifar10
        getattr(keras.datasets, dataset).load_data()


def find_and_read(dataset: str, data_dir=None, download: bool = True) -> Found:
    """Return the splits of a downloadable dataset and the path they came from.

    Raises:
        DatasetNotFoundError: the files are in none of the places (message lists them).
        ChecksumError: a file was found but is not the official one.
    """
    if dataset not in DOWNLOADABLE:
        raise KitError(f"{dataset!r} is not a downloadable dataset.", f"use one of {DOWNLOADABLE}.")
    tried = []
    for label, candidates in _places(dataset, data_dir):
        if candidates is None:
            tried.append(f"{label}: {'not given' if label.startswith('data_dir') else 'not set'}")
            continue
        found, note = _try(candidates)
        if found is not None:
            return found
        tried.append(f"{label}: {note}")

    if not download:
        tried.append("download: skipped (download=False)")
    elif is_offline():
        tried.append(f"download: skipped ({OFFLINE_VAR}={os.environ[OFFLINE_VAR]})")
    else:
        try:
            download_with_keras(dataset)
        except Exception as exc:  # offline, proxy, disk full...: report, don't crash
            tried.append(f"download: failed ({type(exc).__name__}: {exc})")
        else:
            # Read back what Keras cached, so the checksums are verified too.
            found, note = _try(_keras_cache_candidates(dataset))
            if found is not None:
                return found
            tried.append(f"download: Keras reported success but {note}")

    raise DatasetNotFoundError(
        f"Dataset {dataset!r} not found. Tried: "
        + "; ".join(f"({i}) {t}" for i, t in enumerate(tried, 1))
        + ".",
        f"put the files ({_file_description(dataset)}) in {REPO_DATA_DIR / SUBFOLDERS[dataset][0]}/ or in a "
        f"folder named by the {ENV_VAR} environment variable (or pass data_dir=...); "
        "see data/README.md for layouts and checksums.",
    )


def _file_description(dataset: str) -> str:
    if dataset == "cifar10":
        return f"{CIFAR10_TARBALL} or its extracted cifar-10-batches-py/ folder"
    if dataset.startswith("cifar100"):
        return f"{CIFAR100_TARBALL} or its extracted cifar-100-python/ folder with {', '.join(CIFAR100_FILES)}"
    return "the four official .gz files " + ", ".join(IDX_FILES)
