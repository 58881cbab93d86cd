"""Custom data: an image folder per class (folder:PATH) and arrays in a file (npz:PATH), and their errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from bagan_lib.data import load_dataset
from bagan_lib.errors import KitError
from folder_snapshot import snapshot



# --------------------------------------------------------------------------
# folder:PATH
# --------------------------------------------------------------------------
def save_png(path: Path, value: int, mode: str = "L", size=(6, 5)) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    colour = value if mode == "L" else (value, 0, 255 - value)
    Image.new(mode, size, colour).save(path)


def test_folder_greyscale(tmp_path):
    save_png(tmp_path / "b_dog" / "1.png", 10)
    save_png(tmp_path / "b_dog" / "2.PNG", 20)  # extensions are case-insensitive
    save_png(tmp_path / "a_cat" / "1.png", 30)
    (tmp_path / "a_cat" / "notes.txt").write_text("not an image, ignored")
    ds = load_dataset(f"folder:{tmp_path}")
    assert ds.name == f"folder:{tmp_path}" and ds.class_names == ("a_cat", "b_dog")
    assert ds.x_train.shape == (3, 5, 6, 1) and ds.x_train.dtype == np.uint8
    assert ds.y_train.tolist() == [0, 1, 1] and ds.x_train[:, 0, 0, 0].tolist() == [30, 10, 20]
    assert ds.x_test.shape == (0, 5, 6, 1) and ds.y_test.shape == (0,)
    assert ds.class_counts("test").tolist() == [0, 0]


def test_folder_mixed_becomes_rgb_with_train_test(tmp_path):
    save_png(tmp_path / "train" / "cat" / "1.png", 40)
    save_png(tmp_path / "train" / "dog" / "1.png", 50, mode="RGB")
    Image.new("RGB", (6, 5), (1, 2, 3)).save(tmp_path / "train" / "dog" / "2.jpg", quality=100)
    save_png(tmp_path / "test" / "dog" / "1.bmp", 60)
    ds = load_dataset(f"folder:{tmp_path}")
    assert ds.class_names == ("cat", "dog")
    assert ds.x_train.shape == (3, 5, 6, 3) and ds.x_test.shape == (1, 5, 6, 3)
    assert ds.x_train[0, 0, 0].tolist() == [40, 40, 40]  # grey replicated
    assert ds.x_train[1, 0, 0].tolist() == [50, 0, 205]
    assert ds.y_test.tolist() == [1]


def only_one_class(root: Path) -> None:
    save_png(root / "only" / "1.png", 1)


def empty_class_folder(root: Path) -> None:
    save_png(root / "a" / "1.png", 1)
    (root / "b").mkdir()


def mixed_sizes(root: Path) -> None:
    save_png(root / "a" / "1.png", 1)
    save_png(root / "b" / "1.png", 1, size=(7, 7))


def unreadable_image(root: Path) -> None:
    save_png(root / "a" / "1.png", 1)
    (root / "b").mkdir()
    (root / "b" / "x.png").write_text("not a png")


def unknown_test_class(root: Path) -> None:
    save_png(root / "train" / "a" / "1.png", 1)
    save_png(root / "train" / "b" / "1.png", 1)
    save_png(root / "test" / "zebra" / "1.png", 1)


@pytest.mark.parametrize(
    "build, match",
    [
        (None, "is not an existing folder"),
        (only_one_class, "one class"),
        (empty_class_folder, "has no images"),
        (mixed_sizes, "differ in size.*resize"),
        (unreadable_image, r"Cannot read image .*x\.png"),
        (unknown_test_class, "zebra"),
    ],
    ids=["missing", "one-class", "empty-class", "sizes", "unreadable", "unknown-test-class"],
)
def test_folder_errors(tmp_path, build, match):
    if build:
        build(tmp_path / "root")
    before = snapshot(tmp_path)
    with pytest.raises(KitError, match=match) as info:
        load_dataset(f"folder:{tmp_path / 'root'}")
    assert info.value.fix  # every error says how to fix it
    assert snapshot(tmp_path) == before


# --------------------------------------------------------------------------
# npz:PATH
# --------------------------------------------------------------------------
def test_npz_minimal_and_full(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, (6, 10, 12), dtype=np.uint8)
    np.savez(tmp_path / "min.npz", x=x, y=np.array([0, 1, 2, 0, 1, 2]))
    ds = load_dataset(f"npz:{tmp_path / 'min.npz'}")
    assert ds.class_names == ("0", "1", "2") and ds.x_train.shape == (6, 10, 12, 1)
    assert ds.x_test.shape == (0, 10, 12, 1)
    np.testing.assert_array_equal(ds.x_train[..., 0], x)

    np.savez(
        tmp_path / "full.npz",
        x=x[..., None].repeat(3, -1).astype(np.float32),  # whole numbers 0..255 are accepted
        y=np.array([0, 1, 2, 1, 0, 1], dtype=np.uint8),
        class_names=np.array(["cat", "dog", "eel"]),
        x_test=x[:2, ..., None].repeat(3, -1),
        y_test=np.array([[2], [1]]),  # Keras-style (N, 1)
    )
    ds = load_dataset(f"npz:{tmp_path / 'full.npz'}")
    assert ds.class_names == ("cat", "dog", "eel") and ds.x_train.dtype == np.uint8
    assert ds.x_train.shape == (6, 10, 12, 3) and ds.y_test.tolist() == [2, 1]
    assert ds.class_counts().tolist() == [2, 3, 1]


@pytest.mark.parametrize(
    "arrays, match",
    [
        ({"y": np.array([0, 1])}, r"no array 'x'.*arrays present: \['y'\]"),
        ({"x": np.zeros((2, 4, 4), np.uint8)}, r"no array 'y'.*arrays present: \['x'\]"),
        ({"x": np.zeros((3, 4, 4), np.uint8), "y": np.array([0, 1])}, "Length mismatch"),
        (
            {"x": np.zeros((2, 4, 4), np.uint8), "y": np.array([0, 2]), "class_names": np.array(["a", "b"])},
            "labels out of range",
        ),
        ({"x": np.zeros((2, 4, 4), np.uint8), "y": np.array([0, -1])}, "labels out of range"),
        ({"x": np.zeros((2, 4, 4), np.uint8), "y": np.array([0.0, 1.0])}, "must be integers"),
        ({"x": np.zeros((2, 4, 4), np.uint8), "y": np.array([1, 1])}, "fewer than 2 classes"),
        ({"x": np.full((2, 4, 4), 2.5), "y": np.array([0, 1])}, r"x_range=\[0, 1\]"),
        ({"x": np.zeros((2, 3, 4, 4), np.uint8), "y": np.array([0, 1])}, "channels look first"),
        (
            {"x": np.zeros((2, 4, 4), np.uint8), "y": np.array([0, 1]), "x_test": np.zeros((1, 4, 4), np.uint8)},
            "x_test / y_test",
        ),
    ],
    ids=["no-x", "no-y", "length", "out-of-range", "negative", "float-labels", "one-class", "float-x", "nchw", "half-test"],
)
def test_npz_errors(tmp_path, arrays, match):
    np.savez(tmp_path / "d.npz", **arrays)
    before = snapshot(tmp_path)
    with pytest.raises(KitError, match=match) as info:
        load_dataset(f"npz:{tmp_path / 'd.npz'}")
    assert info.value.fix
    assert snapshot(tmp_path) == before


def test_npz_missing_file_and_object_arrays(tmp_path):
    with pytest.raises(KitError, match="does not exist"):
        load_dataset(f"npz:{tmp_path / 'nope.npz'}")
    names = np.array(["a", "b"], dtype=object)
    np.savez(tmp_path / "obj.npz", x=np.zeros((2, 4, 4), np.uint8), y=np.array([0, 1]), class_names=names)
    before = snapshot(tmp_path)
    with pytest.raises(KitError, match="object array"):
        load_dataset(f"npz:{tmp_path / 'obj.npz'}")
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize("labels, names, match", [
    (np.repeat([0, 5], 3), None, r"without gaps: 2 distinct labels \(0, 5\)"),
    (np.repeat([0, 10**8], 3), None, "the largest 100000000"),
    (np.repeat([0, 1], 3), np.array(["a", "b", "c"]), r"1 of the 3 classes .* no training images in y: 2 \('c'\)"),
    (np.repeat([0, 2], 3), np.array(["a", "b", "c"]), r"no training images in y: 1 \('b'\)"),
], ids=["gaps", "label-1e8", "unused-name", "gap-with-names"])
def test_npz_labels_are_checked_once_when_the_file_is_loaded(tmp_path, labels, names, match):
    """Issue 18, defect 7: labels with gaps ({0, 5}) or unused class names were accepted and failed only after
    pre-training (a traceback for v3); a label of 10**8 made 10**8 class names (a MemoryError)."""
    arrays = {"x": np.zeros((6, 4, 4), np.uint8), "y": labels}
    if names is not None:
        arrays["class_names"] = names
    np.savez(tmp_path / "d.npz", **arrays)
    with pytest.raises(KitError, match=match) as info:
        load_dataset(f"npz:{tmp_path / 'd.npz'}")
    assert "np.unique(y, return_inverse=True)" in info.value.fix


@pytest.mark.parametrize("content, match", [
    (b"\x93NUMPY\x01\x00" + b"\x00" * 100, r"\.npy file"),
    (bytes(range(256)) * 8, "not an .npz file"),
    (b"", "not an .npz file"),
], ids=["npy", "random-bytes", "empty"])
def test_npz_that_is_no_npz_is_named_for_what_it_is(tmp_path, content, match):
    """Issue 18, defect 8: a .npy gave a traceback, and random bytes a message that blamed pickled data."""
    (tmp_path / "d.npz").write_bytes(content)
    with pytest.raises(KitError, match=match) as info:
        load_dataset(f"npz:{tmp_path / 'd.npz'}")
    assert "pickle" not in str(info.value)
