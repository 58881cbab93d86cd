"""Your own images: ``folder:PATH`` (one subfolder per class) and ``npz:PATH``.

Folder layout (class names are the sorted subfolder names)::

    PATH/                      or      PATH/
      cat/  001.png ...                  train/  cat/ ...  dog/ ...
      dog/  001.jpg ...                  test/   cat/ ...  dog/ ...

Without ``train/``, every image goes to the train split and the test split
is empty: ``train`` works, but ``evaluate`` needs held-out images the models
never saw and refuses (:func:`require_test_split`). The npz layout is described
in :func:`load_npz` and data/README.md; the value range of its images is decided
by the rule of :mod:`bagan_lib.data.pixel_range`.

Labels are checked once, as an npz is loaded: they must number the classes
0 .. K-1 without gaps, every class with training images (folders have that by
construction: a class folder without images is refused).
"""

from __future__ import annotations

import zipfile
import zlib
from collections import Counter
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from bagan_lib.data.dataset import Dataset
from bagan_lib.data.pixel_range import decide_range, to_pixels
from bagan_lib.errors import KitError, os_error

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff")
ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")  # what np.savez writes: a zip archive (the second: an empty one)
NPY_MAGIC = b"\x93NUMPY"
# Pillow band names that mean "one grey channel" (alpha, if any, is dropped).
_GREY_BANDS = {("1",), ("L",), ("L", "A")}


# --------------------------------------------------------------------------
# folder:PATH
# --------------------------------------------------------------------------
def load_folder(path: str | Path, name: str | None = None) -> Dataset:
    """Load images from one subfolder per class, optionally under ``train/`` and ``test/``.

    Images are read with Pillow (first frame of animated files). If every image
    is greyscale (Pillow modes 1, L, LA) the result has 1 channel, otherwise
    all images are converted to RGB (alpha is dropped). All images must have
    the same size.
    """
    root = Path(path).expanduser()
    name = name or f"folder:{path}"
    if not root.is_dir():
        raise KitError(
            f"{root} is not an existing folder.",
            "check the path after 'folder:'; it must hold one subfolder of images per class.",
        )
    top = _subfolders(root)
    if "train" in top:
        extra = sorted(set(top) - {"train", "test"})
        if extra:
            raise KitError(
                f"{root} has train/ but also {', '.join(extra)}/.",
                "put the class folders inside train/ (and test/), nothing else beside them.",
            )
        train_files = _class_files(root / "train")
        test_files = _class_files(root / "test") if "test" in top else {}
    elif "test" in top:
        raise KitError(
            f"{root} has test/ but no train/.",
            "put the training class folders in train/, or rename test/ if it is a class.",
        )
    else:
        train_files = _class_files(root)
        test_files = {}

    class_names = tuple(sorted(train_files))
    if len(class_names) < 2:
        found = f"only {class_names[0]}/" if class_names else "no class subfolders"
        raise KitError(
            f"{root} is a folder with one class or none ({found}); a class-conditional GAN needs at least 2.",
            "make one subfolder per class, e.g. PATH/cat/*.png and PATH/dog/*.png.",
        )
    unknown = sorted(set(test_files) - set(class_names))
    if unknown:
        raise KitError(
            f"{root / 'test'} has class folders {unknown} that train/ does not have.",
            "use the same class folder names in train/ and test/.",
        )

    index = {c: i for i, c in enumerate(class_names)}
    train = [(f, index[c]) for c in class_names for f in train_files[c]]
    test = [(f, index[c]) for c in sorted(test_files) for f in test_files[c]]
    images = [_open_image(f) for f, _ in train + test]
    mode = "L" if all(im.getbands() in _GREY_BANDS for im in images) else "RGB"
    arrays = [np.asarray(im.convert(mode), dtype=np.uint8) for im in images]
    _check_same_size(arrays, [f for f, _ in train + test], root)

    x = np.stack(arrays)
    if x.ndim == 3:
        x = x[..., None]
    y = np.array([label for _, label in train + test], dtype=np.int64)
    n = len(train)
    return Dataset(name, class_names, x[:n], y[:n], x[n:], y[n:], str(root.resolve()))


def require_test_split(name: str, n_test: int, purpose: str) -> None:
    """A KitError unless the dataset ``name`` has test images (``n_test``): ``purpose`` compares with held-out
    real images no model trained on, and a folder without ``test/`` (or an npz without ``x_test``) has none."""
    if n_test:
        return
    problem = f"{name} has no test split, but {purpose} needs held-out real images that no model trained on."
    if name.startswith("folder:"):
        root = Path(name[len("folder:"):]).expanduser()
        move = "" if (root / "train").is_dir() else f" and move the class folders into {root / 'train'}/"
        raise KitError(problem, f"add held-out images of every class in {root / 'test'}/<class>/{move}, keeping "
                                "every image the runs trained on (the training data stay the same).")
    if name.startswith("npz:"):
        raise KitError(problem, "save held-out images in the .npz as x_test and y_test, keeping x and y as the "
                                "runs trained on them.")
    raise KitError(problem, "use a dataset with a test split.")


def _subfolders(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))


def _class_files(folder: Path) -> dict[str, list[Path]]:
    """Map each class subfolder of ``folder`` to its sorted image files."""
    classes = {}
    for cls in _subfolders(folder):
        files = sorted(
            p
            for p in (folder / cls).iterdir()
            if p.is_file() and not p.name.startswith(".") and p.suffix.lower() in IMAGE_EXTENSIONS
        )
        if not files:
            raise KitError(
                f"Class folder {folder / cls} has no images ({', '.join(IMAGE_EXTENSIONS)}).",
                "add images to it or remove the folder.",
            )
        classes[cls] = files
    return classes


def _open_image(path: Path) -> Image.Image:
    try:
        with Image.open(path) as im:
            im.load()  # read now, so a truncated file fails here, naming the file
            if im.mode.startswith(("I", "F")):
                raise KitError(
                    f"{path} is a {im.mode} (16-bit or float) image; the kit reads 8-bit images.",
                    "convert it to 8-bit greyscale or RGB (e.g. Pillow: im.convert('L')).",
                )
            return im.copy()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        if isinstance(exc, KitError):
            raise
        raise KitError(
            f"Cannot read image {path} ({type(exc).__name__}: {exc}).",
            "replace or delete the file; only images may sit in the class folders.",
        ) from exc


def _check_same_size(arrays: list[np.ndarray], files: list[Path], root: Path) -> None:
    sizes = Counter(a.shape[:2] for a in arrays)
    if len(sizes) == 1:
        return
    example = {}
    for a, f in zip(arrays, files):
        example.setdefault(a.shape[:2], f)
    listing = ", ".join(
        f"{h}x{w} ({count} images, e.g. {example[(h, w)]})" for (h, w), count in sizes.most_common()
    )
    raise KitError(
        f"Images in {root} differ in size: {listing}.",
        "resize them all to one size first (e.g. Pillow: Image.open(p).resize((64, 64)).save(p)) "
        "or remove the odd ones out.",
    )


# --------------------------------------------------------------------------
# npz:PATH
# --------------------------------------------------------------------------
def load_npz(path: str | Path, name: str | None = None) -> Dataset:
    """Load a ``.npz`` written with ``np.savez(path, x=..., y=...)``.

    Arrays:
        x: images, ``(N, H, W)`` or ``(N, H, W, C)`` with ``C`` in {1, 3}; uint8
           0..255, or any number type read by the range rule of
           :mod:`bagan_lib.data.pixel_range` (floats in [0, 1] are [0, 1]).
        y: integer labels ``(N,)``: the classes 0 .. K-1, each with images, no gaps.
        class_names (optional): one string per class, each used in ``y``; default ``"0", "1", ...``.
        x_test, y_test (optional, together): a test split in the same format.
        x_range (optional): ``[low, high]``, the values of black and white in
           ``x`` and ``x_test``, when the rule cannot tell (e.g. ``[0, 255]`` floats).
    """
    file = Path(path).expanduser()
    name = name or f"npz:{path}"
    if file.is_dir():
        raise KitError(f"{file} is a folder, not an .npz file.",
                       "use folder:PATH for a folder of images, or name the .npz file after 'npz:'.")
    if not file.is_file():
        raise KitError(f"{file} does not exist.", "check the path after 'npz:'.")
    arrays = _read_npz(file)
    for key in ("x", "y"):
        if key not in arrays:
            raise KitError(
                f"{file} has no array {key!r} (arrays present: {sorted(arrays) or 'none'}).",
                "save images as x and labels as y: np.savez(path, x=images, y=labels).",
            )
    if ("x_test" in arrays) != ("y_test" in arrays):
        raise KitError(f"{file} has only one of x_test / y_test.", "save both or neither.")

    x_train = _images(arrays["x"], "x", file)
    y_train = _labels(arrays["y"], "y", len(x_train), file)
    if "x_test" in arrays:
        x_test = _images(arrays["x_test"], "x_test", file, allow_empty=True)
        y_test = _labels(arrays["y_test"], "y_test", len(x_test), file)
    else:
        x_test = np.zeros((0,) + x_train.shape[1:], np.uint8)
        y_test = np.zeros(0, np.int64)
    value_range = decide_range([x_train, x_test], arrays.get("x_range"), str(file))
    x_train, x_test = to_pixels(x_train, value_range), to_pixels(x_test, value_range)

    class_names = _class_names(arrays.get("class_names"), y_train, y_test, file)
    if len(x_test) and x_test.shape[1:] != x_train.shape[1:]:
        raise KitError(
            f"x_test images are {x_test.shape[1:]} but x images are {x_train.shape[1:]} in {file}.",
            "give both splits the same image size and channels.",
        )
    return Dataset(name, class_names, x_train, y_train, x_test, y_test, str(file.resolve()))


def _class_names(names, y_train: np.ndarray, y_test: np.ndarray, file: Path) -> tuple[str, ...]:
    """The class names, with the labels checked once: at least 2 classes, labels 0 .. K-1 without gaps (a label
    of 10**8 would otherwise make 10**8 classes), every class with training images."""
    present = np.unique(y_train)
    if len(present) < 2:
        raise KitError(
            f"{file} has fewer than 2 classes in y; a class-conditional GAN needs at least 2.",
            "include images of at least two classes.",
        )
    if names is None:
        labels = np.unique(np.concatenate([y_train, y_test]))
        if labels[-1] >= len(labels):
            shown = ", ".join(str(v) for v in labels[:8]) + (", ..." if len(labels) > 8 else "")
            raise KitError(
                f"The labels in {file} are not 0 .. K-1 without gaps: {len(labels)} distinct labels ({shown}), "
                f"the largest {labels[-1]}.",
                "number the classes 0, 1, 2, ... (y = np.unique(y, return_inverse=True)[1]), or save class_names "
                "with one name per label value.",
            )
        names = np.array([str(i) for i in range(len(labels))])
    if names.ndim != 1 or names.dtype.kind not in "US":
        raise KitError(
            f"class_names in {file} must be a 1-D array of strings, got {names.dtype} {names.shape}.",
            "save it as np.array(['cat', 'dog', ...]).",
        )
    class_names = tuple(str(n.decode() if isinstance(n, bytes) else n) for n in names)
    for key, y in (("y", y_train), ("y_test", y_test)):
        if len(y) and y.max() >= len(class_names):
            raise KitError(
                f"{key} in {file} has labels out of range: max {y.max()} but only {len(class_names)} class_names.",
                "labels must be 0 .. len(class_names) - 1; add the missing class names.",
            )
    unused = sorted(set(range(len(class_names))) - set(present.tolist()))
    if unused:  # a class-conditional GAN cannot learn a class it never sees: refuse now, not after pre-training
        shown = ", ".join(f"{c} ({class_names[c]!r})" for c in unused[:8]) + (", ..." if len(unused) > 8 else "")
        raise KitError(
            f"{len(unused)} of the {len(class_names)} classes in {file} have no training images in y: {shown}.",
            "label the classes 0 .. K-1 without gaps (y = np.unique(y, return_inverse=True)[1]) and name only "
            "those in class_names, or add training images of the missing classes.",
        )
    return class_names


def _read_npz(file: Path) -> dict[str, np.ndarray]:
    # Look at the first bytes before np.load, which reads anything else as a pickle and blames that.
    try:
        with open(file, "rb") as f:
            head = f.read(len(NPY_MAGIC))
    except OSError as exc:
        raise os_error(exc, "read", file) from exc
    if head.startswith(NPY_MAGIC):
        raise KitError(f"{file} is a .npy file (one array), not an .npz archive of x and y.",
                       "save images and labels together: np.savez(path, x=images, y=labels).")
    if not head.startswith(ZIP_MAGIC):
        raise KitError(f"{file} is not an .npz file (np.savez writes a zip archive; this file is not one).",
                       "check the path after 'npz:', or save the data with np.savez(path, x=images, y=labels).")
    try:
        with np.load(file, allow_pickle=False) as npz:
            return {key: npz[key] for key in npz.files}
    except ValueError as exc:
        if "pickle" not in str(exc).lower():  # a damaged array header, not an object array
            raise KitError(f"Cannot read {file} as .npz ({exc}).", "save it again with np.savez.") from exc
        raise KitError(
            f"{file} holds an object array, which needs pickle (refused: loading it could run code).",
            "save class names as np.array(names, dtype=str) and images/labels as number arrays.",
        ) from exc
    except (OSError, zipfile.BadZipFile, EOFError, zlib.error) as exc:
        raise KitError(f"Cannot read {file} as .npz ({type(exc).__name__}: {exc}).",
                       "save it again with np.savez.") from exc


def _images(x: np.ndarray, key: str, file: Path, allow_empty: bool = False) -> np.ndarray:
    if x.ndim == 3:
        x = x[..., None]
    if x.ndim != 4 or x.shape[-1] not in (1, 3):
        hint = (
            f"channels look first; use np.transpose({key}, (0, 2, 3, 1))"
            if x.ndim == 4 and x.shape[1] in (1, 3)
            else "use (N, H, W) for greyscale or (N, H, W, 3) for RGB"
        )
        raise KitError(f"{key} in {file} has shape {x.shape}; expected (N, H, W) or (N, H, W, 1|3).", hint + ".")
    if len(x) == 0 and not allow_empty:
        raise KitError(f"{key} in {file} holds no images.", "save at least one image per class.")
    return x  # its value range is decided for x and x_test together (pixel_range)


def _labels(y: np.ndarray, key: str, n: int, file: Path) -> np.ndarray:
    if y.ndim == 2 and y.shape[1] == 1:  # Keras-style (N, 1) labels
        y = y[:, 0]
    if y.ndim != 1 or len(y) != n:
        raise KitError(
            f"Length mismatch in {file}: {n} images but {key} has shape {y.shape}.",
            f"give exactly one label per image ({key} of shape ({n},)).",
        )
    if y.dtype.kind not in "iu":
        raise KitError(
            f"{key} in {file} is {y.dtype}; labels must be integers.",
            f"save {key}.astype(np.int64) (class indices 0, 1, ...).",
        )
    if len(y) and y.min() < 0:
        raise KitError(
            f"{key} in {file} has labels out of range (negative: {y.min()}).",
            "use class indices 0 .. n_classes - 1.",
        )
    return y.astype(np.int64)
