"""`images:DIR`: one subfolder of PNG / JPEG / BMP files per class, read with Pillow.

DIR/<class>/*.png, or DIR/train/<class>/... and DIR/test/<class>/... (else a fixed-seed stratified
test split). Class names are the folder names, sorted. Images are resized to data.image_size (0 keeps
them, and then all must share one size) and read as grayscale or RGB (data.image_mode; "auto" is RGB
when any image has colour). A file Pillow cannot decode is refused, naming it: skipping it would
change the data set without saying so.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from projnet.config import DataConfig
from projnet.data.file_records import folder_record
from projnet.data.labelled_arrays import class_ids, split_arrays
from projnet.data.source_paths import locate, source_path
from projnet.data.splits import DatasetSplits
from projnet.errors import ProjnetError

IMAGES_PREFIX = "images:"
EXTENSIONS = {".png", ".jpg", ".jpeg", ".bmp"}
COLOUR_MODES = {"RGB", "RGBA", "P", "CMYK", "YCbCr", "LAB", "HSV"}  # "P" (palette) may hold colour


def split_roots(root: Path) -> dict[str, Path]:
    """{"train": ..., "test": ...} when DIR has train/ and test/ subfolders, else {"all": DIR}."""
    if (root / "train").is_dir() and (root / "test").is_dir():
        return {"train": root / "train", "test": root / "test"}
    return {"all": root}


def class_files(folder: Path) -> dict[str, list[Path]]:
    classes = {}
    for sub in sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")):
        classes[sub.name] = sorted(p for p in sub.rglob("*") if p.is_file() and p.suffix.lower() in EXTENSIONS)
    return classes


def locate_images(data: DataConfig) -> str:
    return locate(data, IMAGES_PREFIX, Path.is_dir)


def _open_all(paths: list[Path]) -> tuple[list, list[bytes]]:
    """(the decoded images, each file's bytes): every file is read once, for Pillow and for its digest."""
    import io

    from PIL import Image, UnidentifiedImageError

    images, contents = [], []
    for path in paths:
        try:
            content = path.read_bytes()
            with Image.open(io.BytesIO(content)) as image:
                image.load()
                images.append(image.copy())
        except (UnidentifiedImageError, OSError, ValueError) as exc:
            raise ProjnetError(f"{path} is not an image Pillow can read ({type(exc).__name__}); remove it or "
                               f"replace it") from None
        contents.append(content)
    return images, contents


def _pixels(images: list, paths: list[Path], data: DataConfig, mode: str) -> np.ndarray:
    if data.image_size:
        size = (data.image_size, data.image_size)
    else:
        sizes = {image.size for image in images}
        if len(sizes) > 1:
            (w1, h1), (w2, h2) = sorted(sizes)[:2]
            first = next(p for p, im in zip(paths, images) if im.size == (w1, h1))
            other = next(p for p, im in zip(paths, images) if im.size == (w2, h2))
            raise ProjnetError(f"images differ in size ({first} is {w1}x{h1}, {other} {w2}x{h2}); set "
                               f"data.image_size to resize them all")
        size = sizes.pop()
    rows = [np.asarray(image.convert(mode).resize(size), dtype=np.uint8) for image in images]
    return np.stack(rows).astype(np.float32) / 255.0


def load_images(data: DataConfig) -> DatasetSplits:
    from projnet.data.text_csv import read_labels_file

    root = source_path(data, IMAGES_PREFIX)
    if not root.is_dir():
        raise ProjnetError(f"{data.dataset}: {root} is not a directory")
    per_split = {split: class_files(folder) for split, folder in split_roots(root).items()}
    first = next(iter(per_split.values()))
    if not first:
        raise ProjnetError(f"{next(iter(split_roots(root).values()))} has no class subfolders (DIR/<class>/*.png)")
    for split, classes in per_split.items():
        empty = [name for name, files in classes.items() if not files]
        if empty:
            raise ProjnetError(f"{root}: class folder(s) {', '.join(map(repr, empty[:5]))} hold no "
                               f"{'/'.join(sorted(e[1:] for e in EXTENSIONS))} files")
    paths = [p for classes in per_split.values() for files in classes.values() for p in files]
    labels = np.array([name for classes in per_split.values() for name, files in classes.items() for _ in files])
    images, contents = _open_all(paths)
    mode = data.image_mode
    if mode == "auto":
        mode = "RGB" if any(image.mode in COLOUR_MODES for image in images) else "L"
    pixels = _pixels(images, paths, data, mode)
    height, width = pixels.shape[1:3]
    channels = 3 if mode == "RGB" else 1
    x = pixels.reshape(len(pixels), -1)
    n_train = sum(len(f) for f in first.values()) if "train" in per_split else len(x)
    y, y_test, values = class_ids(labels[:n_train], labels[n_train:] if "test" in per_split else None, str(root))
    names = tuple(values)
    if data.labels_file:
        names = tuple(read_labels_file(Path(data.labels_file)))
        if sorted(names) != sorted(values):
            raise ProjnetError(f"data.labels_file {data.labels_file} names other classes than the folders of {root}")
        order = {name: i for i, name in enumerate(names)}  # the user's order, not the folders' sorted one
        remap = np.array([order[v] for v in values], np.int32)
        y, y_test = remap[y], (remap[y_test] if y_test is not None else None)
    return split_arrays(data.dataset, x[:n_train], y, x[n_train:] if y_test is not None else None, y_test, data,
                        names, (height, width, channels), str(root.resolve()), (folder_record(root, paths, contents),),
                        "image", pixel_max=255.0)
