"""load_dataset: built-in datasets, the file lookup order, checksums and custom data.

No test touches the network: every test that could reach Keras' download
replaces ``sources.download_with_keras``. Error tests also check that loading
wrote nothing.
"""

from __future__ import annotations

import hashlib
import io
import pickle
import shutil
import struct
import subprocess
import sys
import tarfile
import types
from collections import OrderedDict
from pathlib import Path

import numpy as np
import pytest

from bagan_lib.data import CLASS_NAMES, DATASET_NAMES, Dataset, load_dataset, sources
from bagan_lib.data.formats import read_cifar_batch
from bagan_lib.errors import ChecksumError, DatasetNotFoundError, KitError
from folder_snapshot import snapshot

FASHION_NAMES = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)  # fmt: skip
REAL_DOWNLOAD = sources.download_with_keras  # `isolated` replaces it; one test calls it with a fake keras
MNIST_TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
MNIST_TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


def link_idx_files(src: Path, dst: Path) -> Path:
    """Symlink the four official gz files from ``src`` into ``dst`` (cheap copies)."""
    dst.mkdir(parents=True, exist_ok=True)
    for name in sources.IDX_FILES:
        (dst / name).symlink_to(src / name)
    return dst


@pytest.fixture
def isolated(tmp_path, monkeypatch):
    """No real lookup place is visible: empty repo data/, HOME, KERAS_HOME; no env var; no download."""
    for sub in ("repo_data", "home", "keras_home"):
        (tmp_path / sub).mkdir()
    monkeypatch.setattr(sources, "REPO_DATA_DIR", tmp_path / "repo_data")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras_home"))
    monkeypatch.delenv("BAGAN_DATA_DIR", raising=False)
    monkeypatch.delenv("BAGAN_OFFLINE", raising=False)

    def offline(name):
        raise Exception(f"URL fetch failure for {name}: [Errno -2] Name or service not known")

    monkeypatch.setattr(sources, "download_with_keras", offline)
    return tmp_path


# --------------------------------------------------------------------------
# Fashion-MNIST and MNIST from the official idx files
# --------------------------------------------------------------------------
def test_fashion_mnist_via_data_dir(isolated, shared_data_dir, repo_root):
    before = snapshot(repo_root / "data")
    ds = load_dataset("fashion_mnist", data_dir=shared_data_dir)
    assert isinstance(ds, Dataset) and ds.name == "fashion_mnist"
    assert ds.class_names == FASHION_NAMES and ds.n_classes == 10
    assert ds.x_train.shape == (60000, 28, 28, 1) and ds.x_train.dtype == np.uint8
    assert ds.x_test.shape == (10000, 28, 28, 1) and ds.x_test.dtype == np.uint8
    assert ds.y_train.dtype == np.int64 and ds.y_test.dtype == np.int64
    assert ds.class_counts().tolist() == [6000] * 10
    assert ds.class_counts("test").tolist() == [1000] * 10
    assert ds.source == str(shared_data_dir / "fashion-mnist")
    assert snapshot(repo_root / "data") == before
    assert "60000" in repr(ds) and len(repr(ds)) < 200


def test_official_order_matches_the_idx_files(isolated, shared_data_dir):
    # Labels of the first training images in the official files (and keras.datasets).
    ds = load_dataset("fashion_mnist", data_dir=shared_data_dir)
    assert ds.y_train[:5].tolist() == [9, 0, 0, 3, 0]
    assert ds.y_test[:5].tolist() == [9, 2, 1, 1, 6]


def test_mnist_via_env_var(isolated, shared_data_dir, monkeypatch):
    monkeypatch.setenv("BAGAN_DATA_DIR", str(shared_data_dir))
    ds = load_dataset("mnist", download=False)
    assert ds.class_names == tuple("0123456789")
    assert ds.x_train.shape == (60000, 28, 28, 1) and ds.x_test.shape == (10000, 28, 28, 1)
    assert ds.class_counts().tolist() == MNIST_TRAIN_COUNTS
    assert ds.class_counts("test").tolist() == MNIST_TEST_COUNTS
    assert ds.y_train[:5].tolist() == [5, 0, 4, 1, 9]
    assert ds.source == str(shared_data_dir / "mnist")


def test_fashion_mnist_via_env_var(isolated, shared_data_dir, monkeypatch):
    monkeypatch.setenv("BAGAN_DATA_DIR", str(shared_data_dir))
    ds = load_dataset("fashion_mnist")
    assert ds.class_counts().tolist() == [6000] * 10


def test_lookup_order_and_folder_spellings(isolated, shared_data_dir, monkeypatch):
    fashion = shared_data_dir / "fashion-mnist"
    explicit = link_idx_files(fashion, isolated / "explicit")  # files directly in the folder
    env = isolated / "env"
    link_idx_files(fashion, env / "fashion_mnist")  # underscore spelling
    link_idx_files(fashion, isolated / "repo_data" / "fashion_mnist")  # data/<name>/ in the repo
    monkeypatch.setenv("BAGAN_DATA_DIR", str(env))

    assert load_dataset("fashion_mnist", data_dir=explicit).source == str(explicit)
    assert load_dataset("fashion_mnist").source == str(env / "fashion_mnist")
    monkeypatch.delenv("BAGAN_DATA_DIR")
    assert load_dataset("fashion_mnist").source == str(isolated / "repo_data" / "fashion_mnist")


def test_keras_cache_layouts(isolated, shared_data_dir, monkeypatch):
    cache = isolated / "keras_home" / "datasets"
    link_idx_files(shared_data_dir / "fashion-mnist", cache / "fashion-mnist")
    ds = load_dataset("fashion_mnist", download=False)
    assert ds.source == str(cache / "fashion-mnist")

    # Keras keeps MNIST as mnist.npz; its pinned sha256 is checked.
    rng = np.random.default_rng(0)
    npz = cache / "mnist.npz"
    np.savez(
        npz,
        x_train=rng.integers(0, 256, (20, 28, 28), dtype=np.uint8),
        y_train=np.arange(20, dtype=np.uint8) % 10,
        x_test=rng.integers(0, 256, (10, 28, 28), dtype=np.uint8),
        y_test=np.arange(10, dtype=np.uint8),
    )
    with pytest.raises(ChecksumError, match=sources.KERAS_MNIST_NPZ_SHA256):
        load_dataset("mnist", download=False)
    monkeypatch.setattr(sources, "KERAS_MNIST_NPZ_SHA256", hashlib.sha256(npz.read_bytes()).hexdigest())
    ds = load_dataset("mnist", download=False)
    assert ds.x_train.shape == (20, 28, 28, 1) and ds.source == str(npz)


def test_download_fills_the_keras_cache_then_is_read_back(isolated, shared_data_dir, monkeypatch):
    calls = []

    def fake_keras_download(name):
        calls.append(name)
        cache = isolated / "keras_home" / "datasets" / "fashion-mnist"
        link_idx_files(shared_data_dir / "fashion-mnist", cache)

    monkeypatch.setattr(sources, "download_with_keras", fake_keras_download)
    ds = load_dataset("fashion_mnist")
    assert calls == ["fashion_mnist"]
    assert ds.source.endswith("fashion-mnist") and ds.class_counts().tolist() == [6000] * 10


def test_checksum_mismatch(isolated, shared_data_dir):
    folder = link_idx_files(shared_data_dir / "fashion-mnist", isolated / "corrupt")
    bad = folder / "train-labels-idx1-ubyte.gz"
    bad.unlink()
    data = bytearray((shared_data_dir / "fashion-mnist" / bad.name).read_bytes())
    data[100] ^= 0xFF  # flip one byte
    bad.write_bytes(bytes(data))
    expected = sources.IDX_SHA256["fashion_mnist"][bad.name]
    actual = hashlib.sha256(bytes(data)).hexdigest()

    before = snapshot(isolated)
    with pytest.raises(ChecksumError) as info:
        load_dataset("fashion_mnist", data_dir=folder)
    message = str(info.value)
    assert str(bad) in message and expected in message and actual in message
    assert "delete" in message and "download it again" in message
    assert snapshot(isolated) == before


def test_mnist_files_are_not_accepted_as_fashion_mnist(isolated, shared_data_dir):
    folder = link_idx_files(shared_data_dir / "mnist", isolated / "fashion-mnist")
    with pytest.raises(ChecksumError, match="train-images-idx3-ubyte.gz"):
        load_dataset("fashion_mnist", data_dir=isolated)
    assert folder.is_dir()


def test_not_found_lists_every_place(isolated, monkeypatch):
    empty = isolated / "empty_env"
    empty.mkdir()
    monkeypatch.setenv("BAGAN_DATA_DIR", str(empty))
    given = isolated / "does_not_exist"
    before = snapshot(isolated)
    with pytest.raises(DatasetNotFoundError) as info:
        load_dataset("fashion_mnist", data_dir=given)
    message = str(info.value)
    for place in (
        given,
        given / "fashion_mnist",
        given / "fashion-mnist",
        empty,
        empty / "fashion-mnist",
        isolated / "repo_data" / "fashion_mnist",
        isolated / "keras_home" / "datasets" / "fashion-mnist",
    ):
        assert str(place) in message
    assert "download: failed" in message and "Name or service not known" in message
    assert "BAGAN_DATA_DIR" in message and "data/README.md" in message
    assert "fashion_mnist" in message
    assert isinstance(info.value, FileNotFoundError)  # also catchable as a plain missing file
    assert snapshot(isolated) == before


def test_not_found_without_download_and_incomplete_folder(isolated, shared_data_dir, monkeypatch):
    def must_not_download(name):
        pytest.fail("download=False must not download")  # pragma: no cover

    monkeypatch.setattr(sources, "download_with_keras", must_not_download)
    partial = isolated / "partial"
    partial.mkdir()
    name = "train-images-idx3-ubyte.gz"
    (partial / name).symlink_to(shared_data_dir / "mnist" / name)
    with pytest.raises(DatasetNotFoundError) as info:
        load_dataset("mnist", data_dir=partial, download=False)
    message = str(info.value)
    assert "download: skipped (download=False)" in message
    assert "incomplete" in message and "t10k-labels-idx1-ubyte.gz" in message
    assert "BAGAN_DATA_DIR: not set" in message


def test_bagan_offline_skips_the_download(isolated, monkeypatch):
    def must_not_download(name):
        pytest.fail("BAGAN_OFFLINE=1 must not download")  # pragma: no cover

    monkeypatch.setattr(sources, "download_with_keras", must_not_download)
    monkeypatch.setenv("BAGAN_OFFLINE", "1")
    with pytest.raises(DatasetNotFoundError, match=r"download: skipped \(BAGAN_OFFLINE=1\)"):
        load_dataset("cifar10")


def test_never_falls_back_to_another_dataset(isolated, shared_data_dir):
    # MNIST files are available, but asking for CIFAR-10 must still fail.
    with pytest.raises(DatasetNotFoundError, match="cifar10"):
        load_dataset("cifar10", data_dir=shared_data_dir)


# --------------------------------------------------------------------------
# CIFAR-10 python batches (fake, tiny, in the exact pickle format)
# --------------------------------------------------------------------------
class Py2Pickler(pickle._Pickler):
    """Writes pickles the way Python 2 wrote the official batches.

    Python 2 ``str`` (keys, dtype codes, the raw pixel bytes) is stored with the
    BINSTRING opcodes, which Python 3 can only load with ``encoding="bytes"``.
    """

    dispatch = pickle._Pickler.dispatch.copy()

    def save_as_py2_str(self, obj):
        data = obj.encode("latin-1") if isinstance(obj, str) else obj
        if len(data) < 256:
            self.write(pickle.SHORT_BINSTRING + bytes([len(data)]) + data)
        else:
            self.write(pickle.BINSTRING + struct.pack("<i", len(data)) + data)
        self.memoize(obj)

    dispatch[str] = save_as_py2_str
    dispatch[bytes] = save_as_py2_str


def py2_pickle(obj) -> bytes:
    buffer = io.BytesIO()
    Py2Pickler(buffer, protocol=2).dump(obj)
    # numpy 1.x (and so the official files) named the module numpy.core.
    return buffer.getvalue().replace(b"numpy._core.multiarray", b"numpy.core.multiarray")


def fake_batch(n: int, offset: int) -> tuple[dict, np.ndarray]:
    rng = np.random.default_rng(offset)
    data = rng.integers(0, 256, (n, 3072), dtype=np.uint8)
    batch = {
        "batch_label": "fake batch",
        "labels": [(offset + i) % 10 for i in range(n)],
        "data": data,
        "filenames": [f"img_{offset + i}.png" for i in range(n)],
    }
    return batch, data


def write_fake_cifar(folder: Path) -> dict[str, np.ndarray]:
    folder.mkdir(parents=True)
    raw = {}
    for i, name in enumerate(sources.CIFAR10_BATCHES):
        batch, raw[name] = fake_batch(4, offset=10 * i)
        (folder / name).write_bytes(py2_pickle(batch))
    meta = {"label_names": ["airplane", "automobile"], "num_cases_per_batch": 4, "num_vis": 3072}
    (folder / "batches.meta").write_bytes(py2_pickle(meta))
    return raw


def make_tarball(batches: Path, tarball: Path) -> None:
    with tarfile.open(tarball, "w:gz") as tar:
        tar.add(batches, arcname="cifar-10-batches-py")


def check_fake_cifar(ds: Dataset, raw: dict[str, np.ndarray]) -> None:
    assert ds.x_train.shape == (20, 32, 32, 3) and ds.x_test.shape == (4, 32, 32, 3)
    assert ds.x_train.dtype == np.uint8 and ds.y_train.dtype == np.int64
    assert ds.class_names[0] == "airplane" and ds.n_classes == 10
    first = raw["data_batch_1"][0]
    # data row = 1024 red, 1024 green, 1024 blue values, each row-major 32x32.
    assert ds.x_train[0, 0, 0].tolist() == [first[0], first[1024], first[2048]]
    assert ds.x_train[0, 2, 5, 1] == first[1024 + 2 * 32 + 5]
    np.testing.assert_array_equal(ds.x_test[3, :, :, 2], raw["test_batch"][3, 2048:].reshape(32, 32))
    assert ds.y_train[:6].tolist() == [0, 1, 2, 3, 0, 1]  # batch 2 starts at offset 10


def test_cifar10_batches_folder(isolated):
    raw = write_fake_cifar(isolated / "data" / "cifar-10-batches-py")
    before = snapshot(isolated)
    ds = load_dataset("cifar10", data_dir=isolated / "data")
    check_fake_cifar(ds, raw)
    assert ds.source == str(isolated / "data" / "cifar-10-batches-py")
    assert snapshot(isolated) == before


def test_cifar10_in_keras3_cache_layout(isolated):
    cache = isolated / "keras_home" / "datasets" / "cifar-10-batches-py-target" / "cifar-10-batches-py"
    raw = write_fake_cifar(cache)
    check_fake_cifar(load_dataset("cifar10", download=False), raw)


def test_cifar10_tarball_read_without_extracting(isolated, monkeypatch):
    raw = write_fake_cifar(isolated / "build" / "cifar-10-batches-py")
    folder = isolated / "cifar10"
    folder.mkdir()
    tarball = folder / sources.CIFAR10_TARBALL
    make_tarball(isolated / "build" / "cifar-10-batches-py", tarball)
    shutil.rmtree(isolated / "build")

    before = snapshot(isolated)
    with pytest.raises(ChecksumError) as info:  # the real md5 does not match the fake
        load_dataset("cifar10", data_dir=isolated)
    assert sources.CIFAR10_TARBALL_MD5 in str(info.value) and "md5" in str(info.value)

    monkeypatch.setattr(sources, "CIFAR10_TARBALL_MD5", hashlib.md5(tarball.read_bytes()).hexdigest())
    ds = load_dataset("cifar10", data_dir=isolated)
    check_fake_cifar(ds, raw)
    assert ds.source == str(tarball)
    assert snapshot(isolated) == before  # nothing extracted


def test_cifar10_refuses_pickled_code(isolated):
    raw = write_fake_cifar(isolated / "cifar10")
    evil = {"data": raw["data_batch_1"], "labels": OrderedDict()}  # any non-numpy class
    (isolated / "cifar10" / "data_batch_1").write_bytes(py2_pickle(evil))
    with pytest.raises(KitError, match="data_batch_1.*not a valid CIFAR-10"):
        load_dataset("cifar10", data_dir=isolated)


# --------------------------------------------------------------------------
# CIFAR-100 (fake, tiny, in the official format: one train and one test pickle, and meta)
# --------------------------------------------------------------------------
CIFAR100_FINE = {"train": [0, 99, 42, 7, 1, 98], "test": [3, 99, 0, 50]}
CIFAR100_COARSE = {"train": [4, 19, 8, 7, 1, 18], "test": [12, 19, 4, 16]}


def write_fake_cifar100(folder: Path) -> dict[str, np.ndarray]:
    """``train``, ``test`` and ``meta`` as the official cifar-100-python/ holds them (Python 2 pickles)."""
    folder.mkdir(parents=True)
    raw = {}
    for i, split in enumerate(("train", "test")):
        n = len(CIFAR100_FINE[split])
        raw[split] = np.random.default_rng(100 + i).integers(0, 256, (n, 3072), dtype=np.uint8)
        batch = {"filenames": [f"img_{j}.png" for j in range(n)], "batch_label": f"{split}ing batch 1 of 1",
                 "fine_labels": CIFAR100_FINE[split], "coarse_labels": CIFAR100_COARSE[split], "data": raw[split]}
        (folder / split).write_bytes(py2_pickle(batch))
    meta = {"fine_label_names": list(CLASS_NAMES["cifar100"]), "coarse_label_names": list(CLASS_NAMES["cifar100_coarse"])}
    (folder / "meta").write_bytes(py2_pickle(meta))
    (folder / "file.txt~").write_bytes(b"")  # the official tarball carries this stray file too
    return raw


def check_fake_cifar100(ds: Dataset, raw: dict[str, np.ndarray], mode: str = "fine") -> None:
    assert ds.x_train.shape == (6, 32, 32, 3) and ds.x_test.shape == (4, 32, 32, 3)
    assert ds.x_train.dtype == np.uint8 and ds.y_train.dtype == np.int64
    first = raw["train"][0]
    # a row is 1024 red, 1024 green, 1024 blue values (CHW), each 32x32 row-major: HWC after decoding
    assert ds.x_train[0, 0, 0].tolist() == [first[0], first[1024], first[2048]]
    assert ds.x_train[0, 2, 5, 1] == first[1024 + 2 * 32 + 5]
    np.testing.assert_array_equal(ds.x_test[3, :, :, 2], raw["test"][3, 2048:].reshape(32, 32))
    labels = CIFAR100_FINE if mode == "fine" else CIFAR100_COARSE
    assert ds.y_train.tolist() == labels["train"] and ds.y_test.tolist() == labels["test"]


def test_cifar100_folder_fine_and_coarse(isolated):
    raw = write_fake_cifar100(isolated / "data" / "cifar-100-python")
    before = snapshot(isolated)
    fine = load_dataset("cifar100", data_dir=isolated / "data")
    check_fake_cifar100(fine, raw, "fine")
    assert fine.name == "cifar100" and fine.n_classes == 100 and fine.source == str(isolated / "data" / "cifar-100-python")
    assert fine.class_names[:3] == ("apple", "aquarium_fish", "baby") and fine.class_names[99] == "worm"
    assert fine.class_names == CLASS_NAMES["cifar100"]
    coarse = load_dataset("CIFAR-100_coarse", data_dir=isolated / "data")
    check_fake_cifar100(coarse, raw, "coarse")
    assert coarse.name == "cifar100_coarse" and coarse.n_classes == 20
    assert coarse.class_names[4] == "fruit_and_vegetables" and coarse.class_names[19] == "vehicles_2"
    np.testing.assert_array_equal(coarse.x_train, fine.x_train)  # the same images, other labels
    assert snapshot(isolated) == before


def test_cifar100_class_names_come_from_meta(isolated):
    folder = isolated / "cifar100"
    write_fake_cifar100(folder)
    renamed = {"fine_label_names": [f"f{i}" for i in range(100)], "coarse_label_names": [f"c{i}" for i in range(20)]}
    (folder / "meta").write_bytes(py2_pickle(renamed))
    assert load_dataset("cifar100", data_dir=isolated).class_names[42] == "f42"
    assert load_dataset("cifar100_coarse", data_dir=isolated).class_names[7] == "c7"
    (folder / "meta").write_bytes(py2_pickle({"fine_label_names": ["a", "b"], "coarse_label_names": []}))
    with pytest.raises(KitError, match=r"meta is not a valid CIFAR-100 meta file .*2 fine label names"):
        load_dataset("cifar100", data_dir=isolated)


def test_cifar100_tarball_checksum_then_read_without_extracting(isolated, monkeypatch):
    raw = write_fake_cifar100(isolated / "build" / "cifar-100-python")
    folder = isolated / "cifar100"
    folder.mkdir()
    tarball = folder / sources.CIFAR100_TARBALL
    with tarfile.open(tarball, "w:gz") as tar:
        tar.add(isolated / "build" / "cifar-100-python", arcname="cifar-100-python")
    shutil.rmtree(isolated / "build")

    before = snapshot(isolated)
    with pytest.raises(ChecksumError) as info:  # the official md5 does not match the made-up tarball
        load_dataset("cifar100", data_dir=isolated)
    message = str(info.value)
    assert "eb9058c3a382ffc7106e4002c42a8d85" in message and "md5" in message and str(tarball) in message
    assert hashlib.md5(tarball.read_bytes()).hexdigest() in message

    monkeypatch.setattr(sources, "CIFAR100_TARBALL_MD5", hashlib.md5(tarball.read_bytes()).hexdigest())
    fine = load_dataset("cifar100", data_dir=isolated)
    check_fake_cifar100(fine, raw, "fine")
    assert fine.source == str(tarball) and fine.class_names == CLASS_NAMES["cifar100"]
    coarse = load_dataset("cifar100_coarse", data_dir=isolated)
    check_fake_cifar100(coarse, raw, "coarse")
    assert coarse.class_names == CLASS_NAMES["cifar100_coarse"]
    assert snapshot(isolated) == before  # nothing extracted


def test_cifar100_keras_download_then_read_back(isolated, monkeypatch):
    """Keras' own download, with the label mode of the name; its Keras 3 cache layout is read back and checked."""
    calls = []

    def load_data(label_mode="fine"):  # stands in for keras.datasets.cifar100.load_data: fills the cache
        calls.append(label_mode)
        write_fake_cifar100(isolated / "keras_home" / "datasets" / "cifar-100-python-target" / "cifar-100-python")

    fake_keras = types.ModuleType("keras")
    fake_keras.datasets = types.SimpleNamespace(cifar100=types.SimpleNamespace(load_data=load_data))
    monkeypatch.setitem(sys.modules, "keras", fake_keras)
    monkeypatch.setitem(sys.modules, "tensorflow", types.ModuleType("tensorflow"))  # no TensorFlow start-up
    monkeypatch.setattr(sources, "download_with_keras", REAL_DOWNLOAD)  # the real one, undoing `isolated`
    ds = load_dataset("cifar100_coarse")
    assert calls == ["coarse"] and ds.n_classes == 20
    assert ds.source == str(isolated / "keras_home" / "datasets" / "cifar-100-python-target" / "cifar-100-python")
    assert load_dataset("cifar100").y_train.tolist() == CIFAR100_FINE["train"] and calls == ["coarse"]  # cached


def test_cifar100_not_found_lists_every_place(isolated):
    given = isolated / "does_not_exist"
    before = snapshot(isolated)
    with pytest.raises(DatasetNotFoundError) as info:
        load_dataset("cifar100_coarse", data_dir=given)
    message = str(info.value)
    for place in (given, given / "cifar100", given / "cifar-100-python", given / "cifar100" / "cifar-100-python",
                  isolated / "repo_data" / "cifar-100-python",
                  isolated / "keras_home" / "datasets" / "cifar-100-python-target" / "cifar-100-python",
                  isolated / "keras_home" / "datasets" / "cifar-100-python"):
        assert str(place) in message
    assert "BAGAN_DATA_DIR: not set" in message and "download: failed" in message
    assert "cifar-100-python.tar.gz or its extracted cifar-100-python/ folder with train, test, meta" in message
    assert f"in {isolated / 'repo_data' / 'cifar100'}/" in message and "data/README.md" in message
    assert snapshot(isolated) == before


def test_cifar100_incomplete_folder_and_pickled_code(isolated):
    raw = write_fake_cifar100(isolated / "cifar100")
    (isolated / "cifar100" / "test").unlink()
    with pytest.raises(DatasetNotFoundError, match=r"incomplete \(missing test\)"):
        load_dataset("cifar100", data_dir=isolated, download=False)
    evil = {"data": raw["train"], "fine_labels": OrderedDict(), "coarse_labels": []}  # any non-numpy class
    (isolated / "cifar100" / "test").write_bytes(py2_pickle(evil))
    with pytest.raises(KitError, match="cifar100/test is not a valid CIFAR-100 python file"):
        load_dataset("cifar100", data_dir=isolated)


# --------------------------------------------------------------------------
# digits and synthetic_cells
# --------------------------------------------------------------------------
def test_digits():
    ds = load_dataset("digits")
    assert ds.source == "scikit-learn" and ds.class_names == tuple("0123456789")
    assert ds.x_train.shape == (1437, 8, 8, 1) and ds.x_test.shape == (360, 8, 8, 1)
    assert ds.x_train.dtype == np.uint8 and ds.y_train.dtype == np.int64
    allowed = {int(np.rint(v * 255 / 16)) for v in range(17)}
    assert set(np.unique(ds.x_train).tolist()) <= allowed and ds.x_train.max() == 255
    assert (np.abs(ds.class_counts("test") - 36) <= 1).all()  # stratified 80/20

    again = load_dataset("digits", seed=42)
    np.testing.assert_array_equal(again.y_test, ds.y_test)
    other = load_dataset("digits", seed=7)
    assert not np.array_equal(other.y_test, ds.y_test)


def test_synthetic_cells_integration(monkeypatch):
    calls = []

    def generate(split="train", seed=0, *, rendering="legible"):
        calls.append((split, seed, rendering))
        n = 6 if split == "train" else 3
        rng = np.random.default_rng(seed)
        return rng.integers(0, 256, (n, 64, 64, 3), dtype=np.uint8), np.arange(n, dtype=np.int64) % 3

    fake = types.ModuleType("bagan_lib.data.synthetic_cells")
    fake.CLASS_NAMES = ("healthy", "infected", "dividing")
    fake.generate = generate
    monkeypatch.setitem(sys.modules, "bagan_lib.data.synthetic_cells", fake)

    ds = load_dataset("synthetic_cells", seed=5)
    assert calls == [("train", 5, "legible"), ("validation", 5, "legible")]
    assert ds.class_names == fake.CLASS_NAMES and ds.source == "generated (seed=5, legible rendering)"
    assert ds.x_train.shape == (6, 64, 64, 3) and ds.x_test.shape == (3, 64, 64, 3)
    calls.clear()
    fine = load_dataset("synthetic_cells_fine", seed=5)
    assert calls == [("train", 5, "fine"), ("validation", 5, "fine")]
    assert fine.name == "synthetic_cells_fine" and fine.source == "generated (seed=5, fine rendering)"


# --------------------------------------------------------------------------
# Names, the Dataset container, import cost
# --------------------------------------------------------------------------
def test_unknown_name_lists_valid_names():
    with pytest.raises(KitError) as info:
        load_dataset("imagenet")
    message = str(info.value)
    for name in DATASET_NAMES + ("folder:PATH", "npz:PATH"):
        assert name in message
    with pytest.raises(KitError, match="no path"):
        load_dataset("folder:")


def test_name_spelling_is_forgiving(isolated, shared_data_dir):
    assert load_dataset("Fashion-MNIST", data_dir=shared_data_dir).name == "fashion_mnist"
    with pytest.raises(DatasetNotFoundError, match="Dataset 'cifar10' not found"):
        load_dataset("CIFAR-10", download=False)
    with pytest.raises(DatasetNotFoundError, match="Dataset 'cifar100' not found"):
        load_dataset("CIFAR-100", download=False)


def test_dataset_checks_its_invariants():
    x = np.zeros((2, 4, 4, 1), np.uint8)
    y = np.array([0, 1], np.int64)
    ds = Dataset("t", ("a", "b"), x, y, x[:0], y[:0], "test")
    assert ds.image_shape == (4, 4, 1) and ds.class_counts().tolist() == [1, 1]
    with pytest.raises(KitError, match="uint8"):
        Dataset("t", ("a", "b"), x.astype(np.float32), y, x[:0], y[:0], "test")
    with pytest.raises(KitError, match="outside"):
        Dataset("t", ("a",), x, y, x[:0], y[:0], "test")
    with pytest.raises(KitError, match="split"):
        ds.class_counts("validation")


def test_importing_the_package_does_not_import_tensorflow():
    code = (
        "import sys, bagan_lib, bagan_lib.data; "
        "bad = [m for m in ('tensorflow', 'keras', 'sklearn') if m in sys.modules]; "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    repo = Path(__file__).resolve().parents[2]
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=repo)
    assert result.returncode == 0, result.stdout + result.stderr


def test_cifar_reader_accepts_python3_pickles():
    # Batches re-saved by Python 3 (bytes keys, protocol 2) read the same way.
    batch, data = fake_batch(2, 0)
    batch = {key.encode(): value for key, value in batch.items()}
    x, y = read_cifar_batch(io.BytesIO(pickle.dumps(batch, protocol=2)), "mem")
    assert x.shape == (2, 32, 32, 3) and y.tolist() == [0, 1]
    np.testing.assert_array_equal(x[1, :, :, 0], data[1, :1024].reshape(32, 32))
