"""Everything that depends on which backend Keras runs on.

This is the only module in Kerazoo allowed to branch on the backend: model files,
datasets and the CLI call the small functions here instead.
"""

from __future__ import annotations

import contextlib
import dataclasses
import importlib
import importlib.metadata
import importlib.util
import os
import sys
import tempfile
import threading

BACKENDS = ("tensorflow", "jax", "torch")
DEFAULT_BACKEND = "tensorflow"


class BackendError(RuntimeError):
    """The requested backend cannot be used in this process."""


def select(name: str | None) -> str:
    """Choose the Keras backend before keras is imported; returns the backend in effect.

    `None` keeps KERAS_BACKEND (or the default). Asking for a different backend after keras
    was imported is refused: Keras fixes its backend at import time.
    """
    if name is not None and name not in BACKENDS:
        raise BackendError(f"unknown backend {name!r}; choose one of {', '.join(BACKENDS)}.")
    wanted = name or os.environ.get("KERAS_BACKEND") or DEFAULT_BACKEND
    if wanted not in BACKENDS:
        raise BackendError(f"KERAS_BACKEND={wanted!r} is not supported; choose one of {', '.join(BACKENDS)}.")
    if "keras" in sys.modules:
        current = sys.modules["keras"].backend.backend()
        if current != wanted:
            raise BackendError(
                f"keras is already running on {current!r} in this process, so it cannot switch to "
                f"{wanted!r}; start a new process with KERAS_BACKEND={wanted}."
            )
        return current
    if importlib.util.find_spec(_module_of(wanted)) is None:
        raise BackendError(
            f"backend {wanted!r} is not installed; install it with pip install 'kerazoo[{wanted}]'."
        )
    os.environ["KERAS_BACKEND"] = wanted
    # keras imports tensorflow (when installed) on every backend; keep its C++ start-up chatter
    # (CUDA probing, oneDNN notices) off the user's terminal unless they asked for it.
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    return wanted


_started = False
_native_sink = None


def keep_native_logs_off_the_terminal() -> None:
    """For a whole command: point file descriptor 2 at a temporary file and give Python's sys.stderr
    its own handle on the terminal.

    TensorFlow, XLA and absl log from C++ straight to descriptor 2 (absl before its InitializeLog
    ignores TF_CPP_MIN_LOG_LEVEL), at import and later too (tf.data's first use prints an
    "I0000 ... Memory patch applied" line mid-training). Python's own output (progress, warnings,
    errors, tracebacks) still reaches the terminal; ZOO_VERBOSE=1 (`zoo --verbose`) leaves all as is.
    """
    global _native_sink
    if os.environ.get("ZOO_VERBOSE") or _native_sink is not None:
        return
    sys.stderr.flush()
    terminal = os.fdopen(os.dup(2), "w", buffering=1, encoding=sys.stderr.encoding, errors="backslashreplace")
    _native_sink = tempfile.TemporaryFile()
    os.dup2(_native_sink.fileno(), 2)
    sys.stderr = terminal
    from zoo.core import launch

    if launch.launched():
        # gloo prints "[Gloo] Rank 0 is connected to ..." from C++ to descriptor 1: keep stdout for
        # the command's own output (one JSON object with --json) by sending descriptor 1 to the sink too
        sys.stdout.flush()
        sys.stdout = os.fdopen(os.dup(1), "w", buffering=1, encoding=sys.stdout.encoding)
        os.dup2(_native_sink.fileno(), 1)


@contextlib.contextmanager
def quiet_native_stderr():
    """Keep the C++ start-up lines of TensorFlow, XLA and absl (written straight to file descriptor
    2, past Python and past TF_CPP_MIN_LOG_LEVEL) off the terminal while a framework is imported.

    They are kept in a temporary file and shown when ZOO_VERBOSE is set (`zoo --verbose`) or
    when the import fails, so nothing a user needs is lost.
    """
    if os.environ.get("ZOO_VERBOSE"):
        yield
        return
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as sink:
        os.dup2(sink.fileno(), 2)
        failed = True
        try:
            yield
            failed = False
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            if failed:
                sink.seek(0)
                sys.stderr.write(sink.read().decode(errors="replace"))


def import_quietly(module: str):
    """importlib.import_module, with the frameworks' native start-up chatter kept off stderr."""
    if module in sys.modules:
        return sys.modules[module]
    with quiet_native_stderr():
        return importlib.import_module(module)


def start(join: bool = False) -> None:
    """Import keras and let the backend probe its devices now, quietly: TensorFlow logs its failed
    CUDA initialisation at the first device query, which would otherwise land mid-command.
    `join`: this command trains data-parallel (`zoo train --distribute`), so a process of a group
    (zoo launch's, or a TF_CONFIG cluster's) joins it now."""
    global _started
    if _started:
        return
    _started = True
    with quiet_native_stderr():
        import keras

        from zoo.core import launch

        if launch.launched() or join:
            # JAX's group must form before its first computation, TensorFlow's before its first op
            join_group()
        if keras.backend.backend() == "tensorflow":
            import tensorflow as tf

            tf.config.list_physical_devices()


# How long a process waits in a collective for a peer before it gives up (torch, TensorFlow; JAX has
# its own).
GROUP_TIMEOUT_S = 300


def join_group() -> None:
    """Join the process group `zoo launch` (or torchrun) started this process in; alone: nothing.

    JAX: jax.distributed.initialize through keras.distribution.initialize (gloo collectives on CPU);
    torch: torch.distributed with gloo (nccl where CUDA is); TensorFlow: a
    MultiWorkerMirroredStrategy, made before TensorFlow runs its first op (it configures the
    collectives then), used for its collectives only (see _train_through_collectives).
    """
    import keras

    from zoo.core import launch

    world = launch.world()
    if world.size == 1:
        return
    name = keras.backend.backend()
    if name == "jax":
        import jax

        if not jax.distributed.is_initialized():
            jax.config.update("jax_cpu_collectives_implementation", "gloo")
            keras.distribution.initialize(world.master, world.size, world.rank)
    elif name == "torch":
        import datetime

        import torch.distributed as dist

        if not dist.is_initialized():
            cuda = _torch_cuda()
            if cuda:  # one GPU per process: Keras's "cuda" is the current device
                import torch

                torch.cuda.set_device(world.local_rank % torch.cuda.device_count())
            dist.init_process_group(
                "nccl" if cuda else "gloo",
                init_method=f"tcp://{world.master}",
                rank=world.rank,
                world_size=world.size,
                timeout=datetime.timedelta(seconds=GROUP_TIMEOUT_S),
            )
    else:
        global _tf_workers
        if _tf_workers is None:
            import tensorflow as tf

            if launch.launched():  # zoo launch's own cluster, whatever TF_CONFIG the shell had
                os.environ["TF_CONFIG"] = launch.tf_config(world)
            elif "TF_CONFIG" not in os.environ:
                raise BackendError(
                    "on tensorflow, start the processes with zoo launch or give each its TF_CONFIG; "
                    "torchrun's environment serves the torch backend."
                )
            gpus = tf.config.list_physical_devices("GPU")
            if gpus:  # one GPU per process, as on torch: the collectives carry one value each
                tf.config.set_visible_devices(gpus[world.local_rank % len(gpus)], "GPU")
            waiting = tf.distribute.experimental.CommunicationOptions(timeout_seconds=GROUP_TIMEOUT_S)
            _tf_workers = tf.distribute.MultiWorkerMirroredStrategy(communication_options=waiting)


# TensorFlow's group (a MultiWorkerMirroredStrategy) once join_group() made it.
_tf_workers = None


def _torch_cuda() -> bool:
    import torch

    return torch.cuda.is_available()


def current() -> str:
    """The backend keras runs on (imports keras)."""
    import keras

    return keras.backend.backend()


def _module_of(backend: str) -> str:
    return {"tensorflow": "tensorflow", "jax": "jax", "torch": "torch"}[backend]


def seed_everything(seed: int) -> None:
    """Seed python, numpy and the backend, and ask the backend for deterministic kernels."""
    import keras

    with quiet_native_stderr():  # Keras seeds (so imports) TensorFlow when it is installed, on any backend
        keras.utils.set_random_seed(seed)
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        tf.config.experimental.enable_op_determinism()
    elif backend == "torch":
        import torch

        torch.use_deterministic_algorithms(True, warn_only=True)
    elif backend == "jax":
        pass  # jax on CPU is deterministic; keras seeds its SeedGenerator above


def global_rng_state():
    """The backend's global random state that Keras layers may draw from, as numpy, or None.

    torch: Keras's Dropout without an explicit seed takes torch's fast path, whose masks come from
    torch's global generator (not the layer's SeedGenerator), so a checkpoint must keep it. JAX and
    TensorFlow draw every mask from the layers' SeedGenerator state.
    """
    import keras

    if keras.backend.backend() == "torch":
        import torch

        return torch.random.get_rng_state().numpy()
    return None


def set_global_rng_state(state) -> None:
    """Restore what global_rng_state() returned (nothing to do where it returned None)."""
    import keras

    if state is not None and keras.backend.backend() == "torch":
        import torch

        torch.random.set_rng_state(torch.from_numpy(state.copy()))


def installed(probe: bool = False) -> list[dict]:
    """One row per supported backend: installed or not, version, and (with `probe`, which imports
    each framework) the devices it sees; without it, devices is an empty list."""
    rows = []
    for name in BACKENDS:
        module = _module_of(name)
        if importlib.util.find_spec(module) is None:
            rows.append({"backend": name, "installed": False, "version": None, "devices": []})
            continue
        rows.append(
            {
                "backend": name,
                "installed": True,
                "version": importlib.metadata.version(module),
                "devices": _devices(name) if probe else [],
            }
        )
    return rows


def _devices(backend: str) -> list[str]:
    """Device names as the backend reports them (imports the framework: `zoo backends --probe`)."""
    try:
        with quiet_native_stderr():  # device probing logs CUDA attempts on machines without one
            return _ask_devices(backend)
    except Exception as exc:  # a broken install should be reported, not crash `zoo backends`
        return [f"error: {exc}"]


def _ask_devices(backend: str) -> list[str]:
    if backend == "tensorflow":
        import tensorflow as tf

        return [d.name.replace("/physical_device:", "") for d in tf.config.list_physical_devices()]
    if backend == "jax":
        import jax

        return [f"{d.platform}:{d.id}" for d in jax.devices()]
    if backend == "torch":
        import torch

        return ["cpu"] + [f"cuda:{i}" for i in range(torch.cuda.device_count())]
    return []


@dataclasses.dataclass
class Replicas:
    """What data_parallel() set up: `devices` replicas over `processes` processes, this one `rank`.

    `global_batches`: each process feeds its shard and the shards form one global batch (JAX), so
    evaluation data is sharded too; otherwise (torch, TensorFlow) each process computes on its own
    shard and only gradients are averaged, so each evaluates the whole validation set itself.
    """

    devices: int
    processes: int = 1
    rank: int = 0
    global_batches: bool = True

    model: object = None

    def prepare(self, model) -> None:
        """After compile, with several processes: torch wraps the model in DistributedDataParallel,
        TensorFlow averages its gradients over the processes."""
        self.model = model
        if self.processes > 1 and current() == "torch":
            _train_through_ddp(model)
        elif self.processes > 1 and current() == "tensorflow":
            _train_through_collectives(model)

    def callbacks(self) -> list:
        """Epoch-log callbacks for fit: where each process measured its own shard (torch, TensorFlow),
        the epoch's metrics are averaged over the processes (equal shards: the one-process figures)."""
        return [_average_logs_over_processes()] if not self.global_batches else []


@contextlib.contextmanager
def data_parallel():
    """Build, compile (then Replicas.prepare) and fit inside this block to replicate the model and
    split each batch across the replicas (the global batch size stays what the recipe says).

    Yields Replicas. One process: JAX: keras.distribution.DataParallel over all devices; TensorFlow:
    tf.distribute.MirroredStrategy over the GPUs, or the logical CPU devices where there is no GPU;
    torch is refused. Several processes (zoo launch, torchrun; join_group() has run): JAX:
    DataParallel over every process's devices, each feeding its own shard; torch: DDP; TensorFlow
    (zoo launch or TF_CONFIG): gradients averaged by the MultiWorkerMirroredStrategy's collectives.
    """
    import keras

    from zoo.core import launch

    world = launch.world()
    name = keras.backend.backend()
    if world.size > 1:
        join_group()
        if name == "jax":
            with _jax_data_parallel(auto_shard_dataset=False) as devices:
                replicas = Replicas(devices, world.size, world.rank)
                yield replicas
            if replicas.model is not None:
                _localize(replicas.model)
        else:
            yield Replicas(world.size, world.size, world.rank, global_batches=False)
        return
    if name == "jax":
        with _jax_data_parallel() as devices:
            yield Replicas(devices)
    elif name == "tensorflow":
        import tensorflow as tf

        devices = tf.config.list_logical_devices("GPU") or tf.config.list_logical_devices("CPU")
        strategy = tf.distribute.MirroredStrategy([d.name for d in devices])
        with strategy.scope():
            yield Replicas(strategy.num_replicas_in_sync)
    else:
        raise BackendError(
            "data_parallel training in one process runs on the jax and tensorflow backends; on torch, "
            "start several processes: zoo launch --nproc N train ... (see docs/SCALING.md)."
        )


@contextlib.contextmanager
def leader_first():
    """Several processes: rank 0 runs the block, then the others (e.g. one download, then reads).
    Alone: just the block."""
    from zoo.core import launch

    world = launch.world()
    if world.size == 1:
        yield
        return
    join_group()
    if world.leader:
        yield
        _barrier()
    else:
        _barrier()
        yield


def _barrier() -> None:
    name = current()
    if name == "jax":
        from jax.experimental import multihost_utils

        multihost_utils.sync_global_devices("zoo")
    elif name == "torch":
        import torch.distributed as dist

        dist.barrier()
    else:
        _tf_all_reduce([0.0])  # returns once every process has sent its value


def saving_is_collective() -> bool:
    """True when saving weights is a step every process must take: JAX across processes (rank 0
    saving alone failed in JAX's check that a value placed on every process's devices is the same
    on each, measured with keras 3.15 / jax 0.10)."""
    import keras

    from zoo.core import launch

    return keras.backend.backend() == "jax" and launch.world().size > 1


@contextlib.contextmanager
def _jax_data_parallel(**options):
    import keras

    devices = keras.distribution.list_devices()
    previous = keras.distribution.distribution()
    keras.distribution.set_distribution(keras.distribution.DataParallel(devices=devices, **options))
    try:
        yield len(devices)
    finally:
        keras.distribution.set_distribution(previous)


def _localize(model) -> None:
    """JAX: every variable (and the optimizer's) back on this process's own device. After
    multi-process training they span every process's devices, and this process alone could not
    evaluate or save with them. Each holds the same replicated value, so a local copy is exact."""
    import numpy as np

    optimizer = getattr(model, "optimizer", None)
    extra = [*(optimizer.variables if optimizer is not None else []), *model.metrics_variables]
    for variable in [*model.variables, *extra]:
        value = np.asarray(variable.value)
        variable._layout = None  # Keras would lay the new value out over the mesh again
        variable.assign(value)


def _average_logs_over_processes():
    import keras

    from zoo.core import launch

    class AverageLogs(keras.callbacks.Callback):
        """Means over equal slices (loss, accuracy) are averaged; the rest (AUC, which does not
        average, and every val_ figure) are rank 0's."""

        def on_epoch_end(self, epoch, logs=None):
            names = sorted(logs or {})
            mean = [n for n in names if n in ("loss", "accuracy")]
            first = [n for n in names if n not in mean]
            size = launch.world().size
            logs.update(
                zip(mean, [v / size for v in _sum_over_processes([logs[n] for n in mean])], strict=True)
            )
            logs.update(zip(first, _rank0_values([logs[n] for n in first]), strict=True))

    return AverageLogs()


def _rank0_values(values: list[float]) -> list[float]:
    """Rank 0's numbers, in every process: a sum to which only rank 0 adds anything."""
    from zoo.core import launch

    return _sum_over_processes(values if launch.world().leader else [0.0] * len(values))


def _sum_over_processes(values: list[float]) -> list[float]:
    """Each number summed over the processes of the group (torch or TensorFlow)."""
    if not values:
        return []
    if current() == "torch":
        import torch
        import torch.distributed as dist

        device = "cuda" if dist.get_backend() == "nccl" else "cpu"
        tensor = torch.tensor(values, dtype=torch.float64, device=device)
        dist.all_reduce(tensor)
        return tensor.tolist()
    return [float(t) for t in _tf_all_reduce([float(v) for v in values])]


def _tf_all_reduce(values: list) -> list:
    """The sum over the processes of each value (TensorFlow tensors or numbers), by the collectives of
    join_group()'s MultiWorkerMirroredStrategy; in a tf.function too (the train step)."""
    import tensorflow as tf

    device = _tf_workers.extended.worker_devices[0]
    with tf.device(device):  # the collectives need tensors placed on this worker's device
        # python numbers in float64; tensors and arrays keep their dtype (sparse gradients made dense)
        values = [
            tf.identity(tf.cast(v, "float64") if isinstance(v, float) else tf.convert_to_tensor(v))
            for v in values
        ]
    pairs = [(v, device) for v in values]
    # the strategy's cross-device ops directly: its public batch_reduce_to asks for its scope, which
    # Keras's fit (under the default strategy) cannot be in
    collectives = _tf_workers.extended._cross_device_ops
    summed = collectives.batch_reduce(tf.distribute.ReduceOp.SUM, pairs)
    return [_tf_workers.experimental_local_results(s)[0] for s in summed]


def _train_through_collectives(model) -> None:
    """Keras's own TensorFlow train step, with every gradient averaged over the processes before
    the optimizer applies it, and every process started from rank 0's weights: each process fits its
    own slice of the global batch, as DDP does on torch. (The strategy's own fit path is not used:
    Keras 3.15's fit under MultiWorkerMirroredStrategy fails, docs/SCALING.md.)"""
    import numpy as np

    from zoo.core import launch

    world = launch.world()
    weights = [w if world.leader else np.zeros_like(w) for w in model.get_weights()]
    model.set_weights([np.asarray(w) for w in _tf_all_reduce(weights)])
    # one step per call: the collectives fail inside the tf.while_loop of steps_per_execution > 1
    # ("You must feed a value for placeholder tensor ...", TF 2.21)
    model.steps_per_execution = 1
    optimizer = model.optimizer
    apply_gradients = optimizer.apply_gradients

    def apply_averaged(gradients_and_variables):
        # a variable the loss does not reach has no gradient: left out, as Keras's optimizer does
        pairs = [(g, v) for g, v in gradients_and_variables if g is not None]
        summed = _tf_all_reduce([g for g, _ in pairs])
        return apply_gradients([(g / world.size, v) for g, (_, v) in zip(summed, pairs, strict=True)])

    optimizer.apply_gradients = apply_averaged


def _train_through_ddp(model) -> None:
    """Keras's torch train step, with the forward pass through DistributedDataParallel: DDP
    broadcasts rank 0's weights now and averages the gradients in backward (the Keras model is a
    torch.nn.Module, as Keras's guide to distributed training with PyTorch uses it)."""
    import keras
    import torch
    from keras.src.trainers.data_adapters import data_adapter_utils

    ddp = torch.nn.parallel.DistributedDataParallel(model)

    def train_step(data):
        x, y, sample_weight = data_adapter_utils.unpack_x_y_sample_weight(data)
        y_pred = ddp(x, training=True) if model._call_has_training_arg else ddp(x)
        model.zero_grad()
        loss = model._compute_loss(x=x, y=y, y_pred=y_pred, sample_weight=sample_weight, training=True)
        model._loss_tracker.update_state(loss, sample_weight=keras.tree.flatten(x)[0].shape[0])
        loss = model.optimizer.scale_loss(loss)
        loss.backward()
        weights = model.trainable_weights[:]
        with torch.no_grad():
            model.optimizer.apply([v.value.grad for v in weights], weights)
        return model.compute_metrics(x, y, y_pred, sample_weight=sample_weight)

    model.train_step = train_step  # holds ddp; not an attribute: a submodule would loop state_dict


def run_saved_model(path, x):
    """The `serve` outputs of a TF SavedModel (TensorFlow reads it whatever the Keras backend)."""
    import numpy as np
    import tensorflow as tf

    loaded = tf.saved_model.load(str(path))  # held: its variables die with it
    return np.asarray(loaded.serve(x))


def input_gradient(fn, x):
    """d sum(fn(x)) / dx as a numpy array of x's shape: gradients with respect to an input.

    `fn` maps a backend tensor to a tensor with keras ops or Keras layers (e.g. a classifier
    head on a feature map, for Grad-CAM). One body per backend: each has its own autodiff.
    """
    import keras
    import numpy as np

    backend = keras.backend.backend()
    x = np.asarray(x, dtype="float32")
    if backend == "tensorflow":
        import tensorflow as tf

        tensor = tf.convert_to_tensor(x)
        with tf.GradientTape() as tape:
            tape.watch(tensor)
            total = keras.ops.sum(fn(tensor))
        return tape.gradient(total, tensor).numpy()
    if backend == "jax":
        import jax

        return np.asarray(jax.grad(lambda value: keras.ops.sum(fn(value)))(jax.numpy.asarray(x)))
    if backend == "torch":
        tensor = keras.ops.convert_to_tensor(x).detach().requires_grad_(True)
        keras.ops.sum(fn(tensor)).backward()
        return tensor.grad.detach().cpu().numpy()
    raise BackendError(f"no gradient helper for backend {backend!r}.")


def compile_inference(fn, model, trace: bool = False):
    """`fn` (a function of tensors that reads `model`'s weights) compiled for inference.

    JAX: jit, with the model's variables passed in as arguments (a Keras StatelessScope), so
    they are not baked into the compiled program; TensorFlow: tf.function; torch: eager under
    no_grad, or with `trace` a `torch.jit.trace` of fn per input shape: the traced module holds the
    model's own parameters, so a weight change is seen, and it is used only when its first outputs
    equal eager's (else eager stays). Measured: mnist_mlp batch 1 0.81 -> 0.02 ms, cifar_resnet 13.7
    -> 5.3 ms, char_gpt's cached decoding step 12.1 -> 2.5 ms.
    """
    import keras

    backend = keras.backend.backend()
    if backend == "jax":
        import jax

        @jax.jit
        def stateless(values, *args):
            with keras.StatelessScope(state_mapping=list(zip(model.variables, values, strict=True))):
                return fn(*args)

        return lambda *args: stateless([v.value for v in model.variables], *args)
    if backend == "tensorflow":
        import tensorflow as tf

        function = tf.function(fn, reduce_retracing=True)
        concrete: dict = {}
        tracing = threading.Lock()  # zoo serve calls from several threads; Keras tracing is not safe

        # XLA (jit_compile) made mnist_mlp's call 3x faster (186 -> 59 us), but in a long process that
        # compiles many models (the test suite) XLA's LLVM JIT ran out of memory and crashed, so it
        # stays off.
        def call(*args):
            # The concrete function of each input signature, called directly: the tf.function's own
            # per-call binding and cache lookup cost mnist_mlp more than its forward pass.
            if not all(isinstance(a, tf.Tensor) for a in args):
                return function(*args)
            key = tuple((tuple(a.shape), a.dtype) for a in args)
            if key not in concrete and len(concrete) < MAX_TRACES:
                with tracing:
                    if key not in concrete:
                        specs = [tf.TensorSpec(a.shape, a.dtype) for a in args]
                        concrete[key] = tf.function(fn).get_concrete_function(*specs)
            return (concrete.get(key) or function)(*args)

        return call
    if backend == "torch":
        import torch

        traced: dict = {}

        def no_grad(*args):
            with torch.no_grad():
                if not trace or not all(isinstance(a, torch.Tensor) for a in args):
                    return fn(*args)
                key = tuple((tuple(a.shape), a.dtype) for a in args)
                if key not in traced and len(traced) < MAX_TRACES:
                    traced[key] = _torch_trace(model, fn, args)
                return (traced.get(key) or fn)(*args)

        return no_grad
    raise BackendError(f"no compiler for backend {backend!r}.")


def numpy_inference(fn, model):
    """numpy in, numpy out: `fn` compiled by compile_inference (traced on torch), its input converted
    by compiled_input. What zoo.predictor and two_tower's score run."""
    import keras
    import numpy as np

    call, as_input = compile_inference(fn, model, trace=True), compiled_input()
    return lambda x: np.asarray(keras.ops.convert_to_numpy(call(as_input(x))))


def compiled_input():
    """numpy -> what a compile_inference function takes fastest. JAX: the float32 numpy array itself
    (jit moves it to the device; keras.ops.convert_to_tensor first cost about 25 us per call, as much
    as mnist_mlp's whole jitted forward pass); otherwise a tensor of the backend."""
    import keras
    import numpy as np

    if keras.backend.backend() == "jax":
        return lambda x: np.asarray(x, dtype="float32")
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        return lambda x: tf.convert_to_tensor(np.asarray(x, dtype="float32"))  # half Keras's cost
    if keras.ops.convert_to_tensor(np.zeros(1)).device.type == "cpu":  # torch on the CPU: Keras's
        import torch  # conversion copies (mnist batch 256: 33 us); torch.from_numpy shares the array

        def shared(x):  # the caller's float32 array itself (read, never written); tensors as they are
            if isinstance(x, torch.Tensor):
                return keras.ops.convert_to_tensor(x, "float32")
            return torch.from_numpy(np.require(x, "float32", ["C_CONTIGUOUS", "WRITEABLE"]))

        return shared
    return lambda x: keras.ops.convert_to_tensor(x, "float32")


MAX_TRACES = 16  # one trace per input shape; a server's odd batch sizes beyond these run eagerly


def _torch_trace(model, fn, args):
    """`torch.jit.trace` of `fn` (a function of tensors reading `model`'s weights) in inference mode, or
    None where tracing fails or its outputs differ from eager's. Integer scalar arguments (a cache
    position) are checked at a second value too, since a trace can bake a value in. (The tracer's
    "tensor to a Python boolean" warning is not a refusal: Keras's own layers raise it for checks
    that do not depend on the data.)"""
    import keras
    import torch

    def same(got, expected) -> bool:
        got, expected = keras.tree.flatten(got), keras.tree.flatten(expected)
        return len(got) == len(expected) and all(map(_torch_close, got, expected))

    moved = [
        [*args[:i], a + 1, *args[i + 1 :]]
        for i, a in enumerate(args)
        if isinstance(a, torch.Tensor) and a.ndim == 0 and not a.is_floating_point()
    ]
    try:
        graph = _jit_trace(model, fn, args)
        return graph if all(same(graph(*a), fn(*a)) for a in [list(args), *moved]) else None
    except Exception:  # noqa: BLE001  any model the tracer cannot follow runs eagerly
        return None


def _jit_trace(model, fn, args):
    """`torch.jit.trace` of fn(*args) inside a module that holds `model` as a submodule, so the graph
    reads the model's parameters (a weight change is seen) rather than copies of them."""
    import warnings

    import torch

    class Holder(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.model = model

        def forward(self, *inputs):
            return fn(*inputs)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the tracer's notes on Python values in Keras's code
        return torch.jit.trace(Holder(), tuple(args), check_trace=False)


def _torch_close(a, b) -> bool:
    """Two outputs of a torch computation agree (float noise aside): tensors of one shape, or both None."""
    import torch

    if a is None or b is None:
        return a is b
    if not (isinstance(a, torch.Tensor) and isinstance(b, torch.Tensor) and a.shape == b.shape):
        return False
    if not a.is_floating_point():
        return torch.equal(a, b)  # token ids, counts: exactly
    return bool(torch.allclose(a, b, rtol=1e-5, atol=1e-6))


def compile_training(model) -> None:
    """After `model.compile`: torch runs `fit`'s forward pass and loss as a `torch.jit.trace` per batch
    shape; the other backends compile fit's step already (jit, tf.function), so they are left as is.

    Keras on torch runs every layer of every step through its eager Python machinery; the traced
    graph runs the same torch ops without it (mnist_mlp's forward + loss + backward 1,785 -> 813 us
    per step here). The optimizer, the loss tracker and the metrics stay Keras's own. A shape's
    trace is used only when, on its first batch, it gives eager's outputs, loss, gradients and variable
    updates from the same random state; models that assign variables in training (BatchNorm's moving
    statistics) or draw randomness through Keras seed generators (a trace would fix the draw) stay
    eager, as do batches with sample weights.
    """
    if current() == "torch":
        model.train_step = _TracedTrainStep(model)  # an attribute, as DDP's step is (data_parallel)


class _TracedTrainStep:
    """Keras's torch train_step with the forward pass and loss run by a trace per batch shape.
    `graphs` maps each shape seen to its trace, or to None where that shape trains eagerly."""

    def __init__(self, model):
        self.model, self.eager_step, self.graphs = model, model.train_step, {}

    def __call__(self, data):
        import keras
        import torch

        model = self.model
        x, y, sample_weight = keras.utils.unpack_x_y_sample_weight(data)
        if sample_weight is not None or not all(isinstance(t, torch.Tensor) for t in (x, y)):
            return self.eager_step(data)
        key = (tuple(x.shape), x.dtype, tuple(y.shape), y.dtype)
        if key not in self.graphs and len(self.graphs) < MAX_TRACES:
            self.graphs[key] = _torch_trace_training(model, x, y)
        graph = self.graphs.get(key)
        if graph is None:
            return self.eager_step(data)
        model.zero_grad()
        loss, y_pred = graph(x, y)
        model._loss_tracker.update_state(loss, sample_weight=x.shape[0])
        model.optimizer.scale_loss(loss).backward()
        weights = model.trainable_weights[:]
        with torch.no_grad():
            model.optimizer.apply([v.value.grad for v in weights], weights)
        return model.compute_metrics(x, y, y_pred, sample_weight=None)


def _torch_trace_training(model, x, y):
    """The traced (loss, y_pred) of a training-mode forward pass on (x, y), or None where tracing fails
    or its loss, outputs, gradients or variable updates differ from eager's. Leaves the model's
    variables, gradients and the random state as they were."""
    import torch

    def step(x, y):
        y_pred = model(x, training=True)
        return model._compute_loss(x=x, y=y, y_pred=y_pred, sample_weight=None, training=True), y_pred

    state = [v.value.detach().clone() for v in model.non_trainable_variables]
    cuda = torch.cuda.is_available()  # dropout on a GPU draws from the CUDA generators
    rng = (torch.get_rng_state(), torch.cuda.get_rng_state_all() if cuda else None)

    def set_rng():
        torch.set_rng_state(rng[0])
        if cuda:
            torch.cuda.set_rng_state_all(rng[1])

    def restore():
        for variable, value in zip(model.non_trainable_variables, state, strict=True):
            variable.assign(value)
        set_rng()

    def run(step):
        """One training-mode pass from the saved state: loss, y_pred, updated variables, gradients."""
        set_rng()
        model.zero_grad()
        loss, y_pred = step(x, y)
        loss.backward()
        grads = [v.value.grad for v in model.trainable_weights]
        model.zero_grad()
        updated = [v.value.detach().clone() for v in model.non_trainable_variables]
        restore()
        return [loss.detach(), y_pred.detach(), *grads], updated

    try:
        expected, eager_state = run(step)
        if any(not torch.equal(a, b) for a, b in zip(state, eager_state, strict=True)):
            return None  # a variable is assigned in training (or a seed generator drawn): not traceable
        graph = _jit_trace(model, step, (x, y))
        restore()
        got, traced_state = run(graph)
        same = all(torch.equal(a, b) for a, b in zip(state, traced_state, strict=True))
        return graph if same and all(map(_torch_close, got, expected)) else None
    except Exception:  # noqa: BLE001  any model the tracer cannot follow trains eagerly
        model.zero_grad()
        restore()
        return None


def gradients(loss_fn, variables, reads=()):
    """(loss, gradients of loss_fn() with respect to `variables`), one body per backend.

    `reads` lists every other variable loss_fn may read or assign (e.g. both nets of a GAN and
    their batch-norm statistics); JAX needs them to be explicit, because it differentiates a pure
    function of the variables' values. Assignments made by loss_fn (moving statistics) persist.
    """
    import keras

    backend = keras.backend.backend()
    variables = list(variables)
    if backend == "tensorflow":
        import tensorflow as tf

        with tf.GradientTape() as tape:
            loss = loss_fn()
        return loss, tape.gradient(loss, variables)
    if backend == "torch":
        import torch

        loss = loss_fn()
        return loss, list(torch.autograd.grad(loss, [v.value for v in variables]))
    if backend == "jax":
        import jax

        differentiated = {id(v) for v in variables}
        others = [v for v in reads if id(v) not in differentiated]

        def pure(values):
            mapping = list(zip(variables, values, strict=True)) + [(v, v.value) for v in others]
            with keras.StatelessScope(state_mapping=mapping) as scope:
                loss = loss_fn()
            return loss, [scope.get_current_value(v) for v in others]

        (loss, updated), grads = jax.value_and_grad(pure, has_aux=True)([v.value for v in variables])
        for variable, value in zip(others, updated, strict=True):
            variable.assign(value)
        return loss, grads
    raise BackendError(f"no gradient helper for backend {backend!r}.")


class StatefulTrainStep:
    """Mixin for a keras.Model: write one stateful `stateful_train_step(data)` (gradients() and
    optimizer.apply) and `fit` runs it on every backend, callbacks and all.

    TensorFlow and torch call it as it is. JAX's fit calls a pure train_step(state, data) under
    jit; here that runs the same code inside a StatelessScope holding the state, as Keras's own
    optimizer.stateless_apply does, and returns the assigned values as the new state.
    """

    def train_step(self, *args):
        import keras

        if keras.backend.backend() != "jax":
            return self.stateful_train_step(*args)
        state, data = args
        groups = (
            self.trainable_variables,
            self.non_trainable_variables,
            self.optimizer.variables,
            self.metrics_variables,
        )
        mapping = [
            pair
            for refs, values in zip(groups, state, strict=True)
            for pair in zip(refs, values, strict=True)
        ]
        with keras.StatelessScope(state_mapping=mapping) as scope:
            logs = self.stateful_train_step(data)
        return logs, tuple([scope.get_current_value(v) for v in refs] for refs in groups)
