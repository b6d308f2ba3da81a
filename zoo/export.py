"""Models out of Python and smaller: `zoo export` (TF SavedModel, ONNX) and `zoo quantize --int8`.

Both use Keras's own machinery (`model.export`, `model.quantize`). Each export is checked
before it is kept: the artifact is loaded back (tf.saved_model.load, onnxruntime) and must give
the Keras model's outputs (atol 1e-4) on real sample inputs; it is written beside the target
and renamed into place, so a failed export leaves nothing behind.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import warnings
from pathlib import Path

import numpy as np

from zoo import datasets
from zoo.core import backend, model_dir, registry
from zoo.core.outputs import check_folder

# zoo's format name -> (Keras's format name, the backends whose export Keras supports here).
FORMATS = {
    "saved_model": ("tf_saved_model", ("tensorflow", "jax")),
    "onnx": ("onnx", ("tensorflow", "torch")),  # jax would need the jax2onnx package
}
TOLERANCE = 1e-4


def example_inputs(spec, n: int = 32) -> np.ndarray:
    """Real inputs for checking an artifact: the bundled test sample, or seeded normal features."""
    try:
        x, _ = datasets.load_sample(spec.dataset)
        x = x[:n]
    except (FileNotFoundError, KeyError):  # agents, tabular models and users' data ship no sample
        x = np.random.default_rng(0).standard_normal((n, *spec.input["shape"]))
    return x.astype("float32").reshape((len(x), *spec.input["shape"]))


def _check_exportable(name: str, fmt: str):
    spec = model_dir.resolve(name)
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}; formats: {', '.join(FORMATS)}.")
    if "export" not in spec.task.abilities:
        exportable = registry.with_ability("export")
        raise ValueError(f"{name} ({spec.kind}) is not exportable yet; exportable: {', '.join(exportable)}.")
    supported = FORMATS[fmt][1]
    if backend.current() not in supported:
        raise ValueError(
            f"{fmt} export runs on the {' or '.join(supported)} backend, not {backend.current()}; "
            f"rerun with --backend {supported[0]}."
        )
    return spec


def run_artifact(path: Path, fmt: str, x: np.ndarray) -> np.ndarray:
    """The outputs of an exported artifact, loaded the way a deployment would load it."""
    if fmt == "saved_model":
        return backend.run_saved_model(path, x)
    import onnxruntime

    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return session.run(None, {session.get_inputs()[0].name: x})[0]


def export(name: str, fmt: str, out_dir: str | os.PathLike, weights: str = "pretrained") -> dict:
    """Export NAME's model to OUT_DIR/NAME (SavedModel folder) or OUT_DIR/NAME.onnx, verified."""
    spec = _check_exportable(name, fmt)
    name = spec.name  # a model directory's model name, not its path
    check_folder(out_dir)
    model = spec.load(weights)
    x = example_inputs(spec)
    expected = np.asarray(model.predict(x, verbose=0))
    model(x[:1])  # JAX's exporter needs a model that has been called
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / (name if fmt == "saved_model" else f"{name}.onnx")
    staging = Path(tempfile.mkdtemp(prefix=f".{name}-export-", dir=out_dir))
    try:
        artifact = staging / target.name
        model.export(str(artifact), format=FORMATS[fmt][0], verbose=False)
        try:
            outputs = run_artifact(artifact, fmt, x)
        except Exception as exc:  # noqa: BLE001  the converter wrote a file its runtime rejects
            others = [b for b in FORMATS[fmt][1] if b != backend.current()]
            reason = str(exc).splitlines()[0][:200]
            raise ValueError(
                f"the {fmt} file Keras wrote for {name} on {backend.current()} does not run ({reason}); "
                f"nothing was written; try --backend {' or '.join(others) or 'another'}."
            ) from None
        difference = float(np.abs(outputs - expected).max())
        if not difference <= TOLERANCE:
            raise ValueError(
                f"the {fmt} export of {name} differs from the Keras model by {difference:.2e} "
                f"(tolerance {TOLERANCE}); nothing was written."
            )
        if target.is_dir():
            shutil.rmtree(target)
        os.replace(artifact, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return {
        "model": name,
        "format": fmt,
        "backend": backend.current(),
        "path": str(target),
        "checked_on": int(len(x)),
        "max_abs_diff": difference,
    }


def weights_bytes(model) -> int:
    """Size of the model's variables as a .weights.h5 file."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "model.weights.h5"
        model.save_weights(path)
        return path.stat().st_size


QUANTIZABLE = ("Dense", "EinsumDense", "Embedding")


def quantizable_share(model) -> float:
    """The share of a model's weights in the layer types Keras's int8 mode quantizes."""

    quantizable = [layer for layer in model.layers if type(layer).__name__ in QUANTIZABLE]
    inside = sum(int(np.prod(v.shape)) for layer in quantizable for v in layer.weights)
    return inside / max(1, model.count_params())


def quantize_int8(name: str, data_dir=None, sample: bool = False) -> dict:
    """Keras int8 weight quantization of NAME: size and metrics before and after, on one split."""
    spec = registry.get(name)
    if "quantize" not in spec.task.abilities:
        raise ValueError(
            f"--int8 is measured on classifiers; {name} is {spec.kind}. "
            f"Try {', '.join(registry.with_ability('quantize'))}."
        )
    task = spec.tasks()
    model = spec.load()
    share = quantizable_share(model)
    if share < 0.1:
        raise ValueError(
            f"{name} keeps only {share:.1%} of its weights in Dense, EinsumDense or Embedding layers, the "
            f"ones Keras's int8 mode quantizes (not Conv2D): there is nothing to gain."
        )
    before = task.evaluate(model, data_dir=data_dir, sample=sample)
    float_bytes = weights_bytes(model)
    with warnings.catch_warnings():  # Keras warns once per layer type it leaves in float
        warnings.filterwarnings("ignore", message=".*does not have a `quantize` method")
        model.quantize("int8")
    after = task.evaluate(model, data_dir=data_dir, sample=sample)
    return {
        "model": name,
        "backend": backend.current(),
        "split": after["split"],
        "n": after["n"],
        "float32": {"bytes": float_bytes, "metrics": before["metrics"]},
        "int8": {"bytes": weights_bytes(model), "metrics": after["metrics"]},
        "accuracy_delta": after["metrics"]["accuracy"] - before["metrics"]["accuracy"],
    }
