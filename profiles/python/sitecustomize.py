# SPDX-License-Identifier: Apache-2.0
# envlock's Python seeding hook.
#
# `envlock exec` writes this file, built into it, to the read-only
# /run/envlock/python/sitecustomize.py and puts that directory first on
# PYTHONPATH; Python's site.py then imports this file as `sitecustomize`
# before the program runs. When seeding is on (`--seed N`, or `python-seed
# on` in the profile) it also sets ENVLOCK_SEED=N and PYTHONHASHSEED=N.
#
# With ENVLOCK_SEED a number from 0 to 4294967295 (the range PYTHONHASHSEED
# and numpy take), it:
#   - seeds `random` now;
#   - seeds numpy, torch and tensorflow right after each is first imported by
#     the program, never importing them itself (an import finder at the front
#     of sys.meta_path wraps their loaders); one already imported, by a .pth
#     file say, is seeded now;
#   - with ENVLOCK_TORCH_DETERMINISTIC=1 (the pytorch profile), turns on
#     torch's deterministic mode and turns TF32 off;
#   - with ENVLOCK_TF_DETERMINISTIC=1 (the tensorflow profile), turns on
#     TensorFlow's op determinism (TF 2.8 and later), and seeds with Keras's
#     set_random_seed where Keras is already loaded.
# JAX is left alone: it has no global random state to seed. A program makes
# its keys explicitly (jax.random.key(seed)) and can read ENVLOCK_SEED.
#
# It also keeps bytecode out of the trees the run can write: it sets
# sys.pycache_prefix (what PYTHONPYCACHEPREFIX sets) to /run/envlock/pycache,
# a tmpfs of the run's, so the repository gets no __pycache__. With a prefix
# Python looks for every module's bytecode there, and would compile the
# read-only trees' (the standard library, torch: seconds) again on each run;
# so a source file in a directory the run cannot write keeps its own
# __pycache__, which it can read and never gains. Set here rather than in
# the environment, so that the modules imported before this hook (the
# standard library, .pth files) are not compiled again on every run either.
# A prefix the program chose itself (PYTHONPYCACHEPREFIX set by a profile)
# and PYTHONDONTWRITEBYTECODE are left alone.
#
# Then it runs the sitecustomize this one shadows (Debian's, say), if any.
# A seeding failure prints one line, `envlock: sitecustomize: ...`, on stderr
# and the program goes on. Standard library only, Python 3.8 and later.

import importlib.machinery
import os
import sys

_SEED_MAX = 2**32 - 1


def _say(what):
    sys.stderr.write("envlock: sitecustomize: %s\n" % " ".join(str(what).split()))


def _guard(what, fn, *args):
    try:
        fn(*args)
    except Exception as e:
        _say("%s failed: %s: %s" % (what, type(e).__name__, e))


def _seed_numpy(np, seed):
    np.random.seed(seed)


def _seed_torch(torch, seed):
    # torch.manual_seed seeds the CPU generator and every CUDA device's, the
    # latter lazily: CUDA is not initialised here. torch.cuda.manual_seed_all
    # repeats that CUDA part, as lazily; kept for a build whose manual_seed
    # would skip it.
    _guard("torch.manual_seed", torch.manual_seed, seed)
    cuda = getattr(torch, "cuda", None)
    if cuda is not None and hasattr(cuda, "manual_seed_all"):
        _guard("torch.cuda.manual_seed_all", cuda.manual_seed_all, seed)
    if os.environ.get("ENVLOCK_TORCH_DETERMINISTIC") == "1":
        _guard("torch deterministic mode", _torch_deterministic, torch)
        _torch_tf32_off(torch)


def _torch_deterministic(torch):
    # PyTorch docs, Reproducibility (notes/randomness): "Avoiding
    # nondeterministic algorithms" (use_deterministic_algorithms: an op with
    # no deterministic implementation raises instead of varying) and "CUDA
    # convolution benchmarking" / "CUDA convolution determinism" (benchmark
    # off so cuDNN picks its algorithm the same way every run, deterministic
    # so the picked algorithm is itself deterministic).
    # https://pytorch.org/docs/stable/notes/randomness.html
    # Its CUBLAS_WORKSPACE_CONFIG requirement is pinned by the default profile.
    torch.use_deterministic_algorithms(True)
    torch.backends.cudnn.benchmark = False
    torch.backends.cudnn.deterministic = True


def _torch_tf32_off(torch):
    # On Ampere and later GPUs, TF32 rounds float32 matmul and convolution
    # inputs to a 10-bit mantissa: results then depend on the GPU
    # generation, not only on the code. Off in both places torch allows it
    # (cuDNN's switch defaults to on), and float32 matmul precision
    # "highest" (PyTorch 1.12 and later), which says the same for matmul.
    # Each step on its own, so that an older torch without one still gets
    # the others. PyTorch docs, CUDA semantics, "TensorFloat-32 (TF32) on
    # Ampere (and later) devices":
    # https://docs.pytorch.org/docs/stable/notes/cuda.html#tensorfloat-32-tf32-on-ampere-and-later-devices
    precision = getattr(torch, "set_float32_matmul_precision", None)
    if precision is not None:
        _guard('torch.set_float32_matmul_precision("highest")', precision, "highest")
    for path in ("backends.cuda.matmul.allow_tf32", "backends.cudnn.allow_tf32"):
        _guard("torch.%s = False" % path, _set_attr, torch, path, False)


def _set_attr(obj, path, value):
    *owners, name = path.split(".")
    for owner in owners:
        obj = getattr(obj, owner)
    setattr(obj, name, value)


def _seed_tensorflow(tf, seed):
    # With ENVLOCK_TF_DETERMINISTIC=1 (the tensorflow profile), what
    # enable_op_determinism's docs ask for: tf.keras.utils.set_random_seed,
    # then enable_op_determinism (TF 2.8 and later; before, the profile's
    # TF_DETERMINISTIC_OPS does it).
    # https://www.tensorflow.org/api_docs/python/tf/config/experimental/enable_op_determinism
    # set_random_seed is random.seed + np.random.seed + tf.random.set_seed
    # (Keras 3 also resets its global SeedGenerator and, under its torch
    # backend, seeds torch), so tf.random.set_seed stands in for it where
    # Keras is not loaded yet: random and numpy are seeded here anyway, and
    # reaching tf.keras.utils would import Keras (tf.keras is a lazy module
    # in current TF), which the program may never use. Without the pin,
    # tf.random.set_seed alone, as before: set_random_seed would also
    # re-seed numpy in the middle of a program that drew from it before
    # importing tensorflow.
    # https://www.tensorflow.org/api_docs/python/tf/random/set_seed
    # https://www.tensorflow.org/api_docs/python/tf/keras/utils/set_random_seed
    if os.environ.get("ENVLOCK_TF_DETERMINISTIC") != "1":
        tf.random.set_seed(seed)
        return
    keras_utils = _loaded_attr(_loaded_attr(tf, "keras"), "utils")
    set_random_seed = _loaded_attr(keras_utils, "set_random_seed")
    if set_random_seed is not None:
        _guard("tf.keras.utils.set_random_seed", set_random_seed, seed)
    else:
        _guard("tf.random.set_seed", tf.random.set_seed, seed)
    config = getattr(getattr(tf, "config", None), "experimental", None)
    enable = getattr(config, "enable_op_determinism", None)
    if enable is not None:
        _guard("tf.config.experimental.enable_op_determinism", enable)


def _loaded_attr(obj, name):
    """obj.name when it is already there, without the lookup that makes a
    lazy module (tf.keras) import what it stands for; else None."""
    try:
        return vars(obj).get(name)
    except TypeError:  # None, or an object without a __dict__
        return None


# Top-level module name -> what to call once its body has run. No "jax": with
# no global random state there is nothing to seed, and hooking it would only
# cost time.
_HOOKS = {"numpy": _seed_numpy, "torch": _seed_torch, "tensorflow": _seed_tensorflow}


# The finder and the loader below implement importlib's MetaPathFinder and
# Loader protocols without subclassing importlib.abc's classes: the import
# system only calls their methods, and on Debian's Python 3.11 importing
# importlib.abc pulls in importlib.resources, pathlib, tempfile and typing,
# some 40 ms added to every interpreter start (each DataLoader worker too).


class _SeedingLoader:
    """The real loader, plus the seeding once the module body has run."""

    def __init__(self, real, finder):
        self._real = real
        self._finder = finder

    def create_module(self, spec):
        return self._real.create_module(spec)

    def exec_module(self, module):
        self._real.exec_module(module)
        # Put the real loader back, so that the module looks as it would
        # without envlock (reload, importlib.resources, inspect).
        module.__loader__ = self._real
        if getattr(module, "__spec__", None) is not None:
            module.__spec__.loader = self._real
        self._finder.fire(module.__name__, module)

    def __getattr__(self, name):  # get_source, get_resource_reader, ...
        if name == "_real":  # not set yet (copy, pickle): no recursion
            raise AttributeError(name)
        return getattr(self._real, name)


class _SeedOnImport:
    """At the front of sys.meta_path: wraps the loaders of the modules in
    _HOOKS. Each fires once, on the first import that succeeds; after that
    (a failed import leaves it armed) find_spec is a dict lookup that returns
    None, so reloads and sub-imports (numpy.random) go the ordinary way. The
    finder stays in sys.meta_path: taking it out while the import system may
    be iterating over that list could make it skip a finder."""

    def __init__(self, seed, hooks):
        self.seed = seed
        self.pending = dict(hooks)

    def find_spec(self, fullname, path=None, target=None):
        if fullname not in self.pending:
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is not None:
                break
        else:
            return None
        if spec.loader is None or not hasattr(spec.loader, "exec_module"):
            _say("cannot seed %s: its loader %r has no exec_module" % (fullname, spec.loader))
            del self.pending[fullname]
            return spec
        spec.loader = _SeedingLoader(spec.loader, self)
        return spec

    def fire(self, name, module):
        hook = self.pending.pop(name, None)
        if hook is not None:
            _guard("seeding " + name, hook, module, self.seed)


def _seed_from_env():
    text = os.environ.get("ENVLOCK_SEED")
    if text is None:
        return None
    digits = text.isascii() and text.isdigit() and len(text.lstrip("0")) <= 10
    if not digits or int(text) > _SEED_MAX:
        shown = ascii(text if len(text) <= 32 else text[:32] + "...")
        _say("ENVLOCK_SEED=%s is not a number from 0 to %d; nothing seeded" % (shown, _SEED_MAX))
        return None
    return int(text)


def _setup():
    seed = _seed_from_env()
    if seed is None:
        return
    import random

    _guard("random.seed", random.seed, seed)
    finder = _SeedOnImport(seed, _HOOKS)
    for name in list(_HOOKS):
        if name in sys.modules:  # imported before us (a .pth file): seed now
            finder.fire(name, sys.modules[name])
    if finder.pending:
        sys.meta_path.insert(0, finder)


_PYCACHE = "/run/envlock/pycache"


def _bytecode_beside_read_only_sources():
    if sys.pycache_prefix is not None or sys.dont_write_bytecode:
        return
    if not os.access(_PYCACHE, os.W_OK):
        return  # not run by envlock exec
    import importlib._bootstrap_external as external

    prefixed = external.cache_from_source
    writable = {}

    def cache_from_source(path, debug_override=None, *, optimization=None):
        cached = prefixed(path, debug_override, optimization=optimization)
        head = os.path.dirname(path)
        can_write = writable.get(head)
        if can_write is None:
            can_write = writable[head] = os.access(head or os.curdir, os.W_OK)
        if can_write:
            return cached
        # What cache_from_source gives without a prefix: beside the source.
        return os.path.join(head, "__pycache__", os.path.basename(cached))

    external.cache_from_source = cache_from_source
    sys.pycache_prefix = _PYCACHE


def _chain():
    """Run the sitecustomize that this one shadows, as site.py would have:
    the next one on sys.path after this directory (only after: two copies of
    this hook on sys.path then cannot run each other in turn forever). It
    runs under the name sitecustomize and replaces this module in
    sys.modules, so that `import sitecustomize` gives what it would without
    envlock; this module stays reachable as _envlock_sitecustomize. Its
    exceptions propagate to site.py, which prints "Error in sitecustomize;
    ..." and goes on, as it does for any sitecustomize."""
    here = os.path.realpath(os.path.dirname(os.path.abspath(__file__)))

    def is_here(entry):
        return isinstance(entry, str) and os.path.realpath(entry or os.curdir) == here

    rest = list(sys.path)
    for i, entry in enumerate(rest):
        if is_here(entry):
            rest = rest[i + 1 :]
            break
    rest = [entry for entry in rest if not is_here(entry)]
    spec = importlib.machinery.PathFinder.find_spec("sitecustomize", rest)
    if spec is None or spec.loader is None:
        return
    from importlib.util import module_from_spec  # 8 ms: only when chaining

    module = module_from_spec(spec)
    sys.modules["_envlock_sitecustomize"] = sys.modules[__name__]
    sys.modules["sitecustomize"] = module
    spec.loader.exec_module(module)


try:
    _setup()
except Exception as e:  # never stop the program for seeding
    _say("setup failed: %s: %s" % (type(e).__name__, e))
try:
    _bytecode_beside_read_only_sources()
except Exception as e:  # the prefix alone still keeps the repository clean
    _say("bytecode cache: %s: %s" % (type(e).__name__, e))
if __name__ == "sitecustomize":
    _chain()
