"""Turn files a user has (PNG, JPEG, .npy) into the array a model's card asks for."""

from __future__ import annotations

from pathlib import Path

import numpy as np

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".gif"}
MAX_PIXELS = 40_000_000  # about 6300 x 6300: larger images are refused from their header, before decoding
MAX_NPY_VALUES = 200_000_000  # 800 MB of float32: larger arrays are refused from their header


class InputError(ValueError):
    """A file that cannot be turned into valid model input."""


def read_inputs(paths, spec, invert: bool | None = None, resize: bool = False):
    """Stack the inputs of several files into one batch for `spec`'s model.

    Returns (batch, sources): sources[i] is the file example i came from (an .npy may hold many).

    For image models whose card fixes a polarity (MNIST: white on black), `invert=None` detects
    dark-on-light images (bright border) and inverts them; True/False force it. Other image
    models are only inverted when `invert=True`.
    """
    batches = [_read_one(Path(p), spec, invert, resize) for p in paths]
    sources = [str(p) for p, batch in zip(paths, batches, strict=True) for _ in range(len(batch))]
    return np.concatenate(batches, axis=0), sources


def _read_one(path: Path, spec, invert, resize) -> np.ndarray:
    if not path.exists():
        raise InputError(f"file {path} does not exist.")
    if not path.is_file():
        raise InputError(f"{path} is not a file.")
    if path.suffix.lower() == ".npy":
        array = _read_npy(path)
    elif "color" in spec.input:
        array = _read_image(path, spec, resize)
    else:
        raise InputError(f"{path} is not a .npy file; {spec.name} takes .npy arrays of features.")
    return as_model_input(array, spec, path, invert)


def as_model_input(array: np.ndarray, spec, where, invert: bool | None = None) -> np.ndarray:
    """An array of one example or a batch (from a file named `where`) -> the batch `spec`'s model reads:
    shape checked, pixels checked, polarity fixed where the card fixes one."""
    array = _batch_of(array, tuple(spec.input["shape"]), where, spec.name)
    if "color" in spec.input:
        _check_pixels(array, where)
        if "polarity" in spec.input:  # only where the card fixes one (MNIST: white on black)
            array = _fix_polarity(array, invert)
        elif invert:
            array = 255.0 - array.astype("float32")
    return array


def _read_npy(path: Path) -> np.ndarray:
    _check_npy_header(path)
    try:
        array = np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError) as exc:
        raise InputError(f"{path} is not a readable .npy array ({exc}).") from None
    return check_values(array, path)


def check_values(array: np.ndarray, where) -> np.ndarray:
    """A non-empty array of finite real numbers, or InputError naming `where`."""
    if array.size == 0:
        raise InputError(
            f"{where} holds an empty array of shape {array.shape}; expected at least one example."
        )
    if not np.issubdtype(array.dtype, np.number) or np.issubdtype(array.dtype, np.complexfloating):
        raise InputError(f"{where} holds {array.dtype} values; expected real numbers.")
    if not np.all(np.isfinite(array)):
        raise InputError(f"{where} contains NaN or infinite values; expected finite numbers.")
    return array


def _check_npy_header(path: Path) -> None:
    """Refuse an .npy whose header is unreadable, claims more data than the file holds, or is huge."""
    try:
        with open(path, "rb") as f:
            version = np.lib.format.read_magic(f)
            read_header = {
                (1, 0): np.lib.format.read_array_header_1_0,
                (2, 0): np.lib.format.read_array_header_2_0,
            }
            if version not in read_header:
                raise ValueError(f"unsupported .npy format version {version}")
            shape, _, dtype = read_header[version](f)
            data_bytes = path.stat().st_size - f.tell()
    except (ValueError, OSError, EOFError) as exc:
        raise InputError(f"{path} is not a readable .npy array ({exc}).") from None
    values = int(np.prod(shape, dtype="float64"))
    if values > MAX_NPY_VALUES:
        raise InputError(
            f"{path} claims an array of shape {shape}; at most {MAX_NPY_VALUES:,} values are read."
        )
    if dtype.hasobject:
        raise InputError(f"{path} holds Python objects (a pickle); expected an array of numbers.")
    if values * dtype.itemsize > data_bytes:
        raise InputError(f"{path} is truncated: its header claims shape {shape}, more than the file holds.")


def _open_image(path: Path):
    """The image, with its size checked from the header before any pixel is decoded."""
    from PIL import Image, UnidentifiedImageError

    limit, Image.MAX_IMAGE_PIXELS = Image.MAX_IMAGE_PIXELS, None  # our own limit below, with its sentence
    try:
        image = Image.open(path)
    except UnidentifiedImageError:
        raise InputError(f"{path} is not an image file (PNG or JPEG expected).") from None
    finally:
        Image.MAX_IMAGE_PIXELS = limit
    width, height = image.size
    if width * height > MAX_PIXELS:
        image.close()
        raise InputError(
            f"{path} is {width}x{height} pixels; images up to {MAX_PIXELS:,} pixels are accepted."
        )
    return image


def _to_8_bit(image):
    """16-bit and 32-bit grayscale scaled to 0-255 (PIL's convert("L") would clip them instead)."""
    from PIL import Image

    if image.mode in ("I;16", "I;16B", "I;16L", "I"):
        values = np.asarray(image, dtype="float64")
        top = 65535.0 if image.mode.startswith("I;16") or values.max() > 255 else 255.0
        return Image.fromarray(np.round(np.clip(values, 0, top) * (255.0 / top)).astype("uint8"), mode="L")
    return image


def _read_image(path: Path, spec, resize: bool) -> np.ndarray:
    import warnings

    from PIL import Image

    height, width, channels = (*spec.input["shape"], 1)[:3]
    resize = resize or spec.input.get("resize") == "always"
    try:
        with _open_image(path) as opened, warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # the size was checked above
            image = _to_8_bit(opened).convert("RGB" if channels == 3 else "L")  # grayscale -> 3 channels
            if image.size != (width, height):
                if not resize:
                    raise InputError(
                        f"{path} is {image.size[0]}x{image.size[1]} pixels; {spec.name} expects "
                        f"{width}x{height} (pass --resize to scale it)."
                    )
                image = image.resize((width, height), Image.Resampling.LANCZOS)
            return np.asarray(image, dtype="uint8")
    except InputError:
        raise
    except (OSError, ValueError, SyntaxError) as exc:  # truncated or corrupt pixel data
        raise InputError(f"{path} is a damaged image file ({exc}).") from None


def convert_images(images: np.ndarray, spec) -> np.ndarray:
    """A batch of 0-255 images of another size or colour (N, H, W[, 1 or 3]) -> the model's size and
    colour, as image files are converted (PIL: grayscale <-> RGB, Lanczos resize)."""
    from PIL import Image

    height, width, channels = (*spec.input["shape"], 1)[:3]
    if images.ndim not in (3, 4) or (images.ndim == 4 and images.shape[-1] not in (1, 3)):
        return images  # not a batch of images: the shape check names what is expected
    if images.shape[1:3] == (height, width) and (images.shape[-1] if images.ndim == 4 else 1) == channels:
        return images
    _check_pixels(images, "the images")
    pixels = np.round(images).astype("uint8")
    converted = []
    for image in pixels:
        picture = Image.fromarray(image[..., 0] if image.ndim == 3 and image.shape[-1] == 1 else image)
        picture = picture.convert("RGB" if channels == 3 else "L").resize(
            (width, height), Image.Resampling.LANCZOS
        )
        converted.append(np.asarray(picture, dtype="uint8"))
    return np.stack(converted)


def _batch_of(array: np.ndarray, shape: tuple, path: Path, name: str) -> np.ndarray:
    """(N, *shape) from one example or a batch; a trailing channel of 1 is optional."""
    accepted = {shape}
    if shape[-1] == 1:
        accepted.add(shape[:-1])
    if array.shape in accepted:
        array = array[None]
    elif array.shape[1:] not in accepted:
        shapes = " or ".join(str(s) for s in sorted(accepted, key=len))
        raise InputError(f"{path} has shape {array.shape}; {name} expects {shapes}, or a batch of them.")
    if shape[-1] == 1 and array.shape[1:] == shape:
        array = array[..., 0]
    return array


def _check_pixels(array: np.ndarray, path: Path) -> None:
    low, high = float(array.min()), float(array.max())
    if low < 0 or high > 255:
        raise InputError(f"{path} has values in [{low:g}, {high:g}]; expected pixels in 0-255.")
    if high <= 1.0 and array.dtype.kind == "f" and high > 0:
        raise InputError(
            f"{path} has values in [{low:g}, {high:g}], which looks rescaled; expected raw pixels "
            f"in 0-255 (multiply by 255)."
        )


def _fix_polarity(images: np.ndarray, invert: bool | None) -> np.ndarray:
    """White digits on black, as the model was trained; auto-detect from the border brightness."""
    if invert is None:
        border = np.concatenate(
            [
                images[:, :2].reshape(len(images), -1),
                images[:, -2:].reshape(len(images), -1),
                images[:, :, :2].reshape(len(images), -1),
                images[:, :, -2:].reshape(len(images), -1),
            ],
            axis=1,
        )
        flip = border.mean(axis=1) > 127
    else:
        flip = np.full(len(images), bool(invert))
    images = images.astype("float32")
    images[flip] = 255.0 - images[flip]
    return images
