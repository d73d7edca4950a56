#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The Python seeding hook that `envlock exec` puts first on PYTHONPATH
# (profiles/python/sitecustomize.py), run straight with python3, no sandbox:
# random seeded at start, numpy and torch at their first import (a stand-in
# numpy checks the import machinery where the real one is missing), torch's
# deterministic mode and TF32 off under the pytorch profile, TensorFlow's op
# determinism under the tensorflow profile (stand-in torch and tensorflow
# record what the hook calls), none of it under default, inert without a
# seed, never importing the frameworks itself, the shadowed sitecustomize
# still run once, and a bad seed reported in one line. For python3 on PATH and
# Debian's /usr/bin/python3, those that are there; checks whose package an
# interpreter lacks are skipped parts (skip_part).
. "$(dirname "$0")/lib.sh"

hook=$EL_SOURCE_DIR/profiles/python
[ -f "$hook/sitecustomize.py" ] || skip "$hook/sitecustomize.py is missing"

# The interpreters, each once (the one on PATH may be Debian's).
pythons=()
seen=" "
for py in "$(command -v python3 || true)" /usr/bin/python3; do
	[ -x "$py" ] || continue
	exe=$(env -u PYTHONPATH "$py" -c 'import sys; print(sys.executable)' 2>/dev/null) || continue
	case $seen in *" $exe "*) continue ;; esac
	seen="$seen$exe "
	pythons+=("$exe") # not a pyenv shim: a second less for each of the runs
done
[ "${#pythons[@]}" -gt 0 ] || skip "no python3 here"

# skip_framework NAME: $py cannot import NAME, so its NAME checks are not run.
# packaging/install-deps.sh gives Debian's interpreter numpy and torch, so
# there that is a failure under ENVLOCK_TEST_STRICT; another python3 on PATH
# (a pyenv's) need not have them.
skip_framework() {
	if [ "$py" -ef /usr/bin/python3 ]; then
		skip_part "$label cannot import $1: its $1 checks"
	else
		skip_part --allowed "only Debian's /usr/bin/python3 gets $1 from packaging/install-deps.sh" \
			"$label cannot import $1: its $1 checks"
	fi
}

# plain PY ARGS...: stdout of python without the hook and without the variables.
plain() {
	env -u PYTHONPATH -u ENVLOCK_SEED -u ENVLOCK_TORCH_DETERMINISTIC -u ENVLOCK_TF_DETERMINISTIC "$@"
}
# hooked [VAR=VALUE...] PY ARGS...: python with only the hook on PYTHONPATH
# (a PYTHONPATH= among the VARs replaces it); $scratch/out, $scratch/err, $status.
hooked() {
	run "$scratch/out" "$scratch/err" env -u ENVLOCK_SEED -u ENVLOCK_TORCH_DETERMINISTIC \
		-u ENVLOCK_TF_DETERMINISTIC PYTHONPATH="$hook" "$@"
}
out() { cat "$scratch/out"; }
err() { cat "$scratch/err"; }

# A stand-in numpy: records its seeds, imports its random submodule as numpy does.
mkdir -p "$scratch/fake/numpy" "$scratch/fake-bad/numpy"
printf 'from . import random\n' >"$scratch/fake/numpy/__init__.py"
printf 'seeds = []\ndef seed(n):\n    seeds.append(n)\n' >"$scratch/fake/numpy/random.py"
printf 'from . import random\n' >"$scratch/fake-bad/numpy/__init__.py"
printf 'def seed(n):\n    raise ValueError("no seeding\\ntoday")\n' >"$scratch/fake-bad/numpy/random.py"
# Stand-in torch and tensorflow: record the calls the hook makes and keep the
# switches it sets, at the defaults of the real ones (torch 1.12 and later:
# matmul TF32 off, cuDNN TF32 on). With EL_STUB_OLD=1 they are the versions
# before set_float32_matmul_precision (torch 1.12) and enable_op_determinism
# (TF 2.8). The tensorflow one has tf.keras as current TF does, a lazy module
# that imports Keras on first use (it records that instead), or, with
# EL_STUB_KERAS=loaded, Keras already loaded.
mkdir -p "$scratch/fake/torch" "$scratch/fake/tensorflow"
cat >"$scratch/fake/torch/__init__.py" <<'PY'
import os, types
calls = []
def manual_seed(n): calls.append(("manual_seed", n))
def use_deterministic_algorithms(on): calls.append(("use_deterministic_algorithms", on))
cuda = types.SimpleNamespace(manual_seed_all=lambda n: calls.append(("cuda.manual_seed_all", n)))
backends = types.SimpleNamespace(
    cuda=types.SimpleNamespace(matmul=types.SimpleNamespace(allow_tf32=False)),
    cudnn=types.SimpleNamespace(allow_tf32=True, benchmark=False, deterministic=False))
if os.environ.get("EL_STUB_OLD") != "1":
    def set_float32_matmul_precision(p): calls.append(("set_float32_matmul_precision", p))
PY
cat >"$scratch/fake/tensorflow/__init__.py" <<'PY'
import os, types
calls = []
class _LazyKeras(types.ModuleType):
    def __getattr__(self, name):
        calls.append(("Keras imported for tf.keras." + name,))
        raise AttributeError(name)
random = types.SimpleNamespace(set_seed=lambda n: calls.append(("random.set_seed", n)))
config = types.SimpleNamespace(experimental=types.SimpleNamespace())
if os.environ.get("EL_STUB_OLD") != "1":
    config.experimental.enable_op_determinism = lambda: calls.append(("enable_op_determinism",))
    keras = _LazyKeras("keras")
    if os.environ.get("EL_STUB_KERAS") == "loaded":
        keras.utils = types.SimpleNamespace(
            set_random_seed=lambda n: calls.append(("keras.utils.set_random_seed", n)))
PY
# profile_env NAME: the hook's variables (ENVLOCK_*) that `envlock exec
# --profile NAME --seed 42` sets, as its --dry-run plan shows them.
profile_env() {
	"$ENVLOCK" exec --no-lock --profile "$1" --seed 42 --dry-run -- true |
		sed -n '/^environment:$/,/^[^ ]/s/^  \(ENVLOCK_[A-Z_]*=.*\)$/\1/p'
}
for profile in default pytorch tensorflow; do
	text=$(profile_env $profile)
	mapfile -t "env_$profile" <<<"$text"
done
check_eq "default: the hook's variables" "ENVLOCK_SEED=42" "${env_default[*]}"
check_eq "pytorch: the hook's variables" "ENVLOCK_SEED=42 ENVLOCK_TORCH_DETERMINISTIC=1" "${env_pytorch[*]}"
check_eq "tensorflow: the hook's variables" "ENVLOCK_SEED=42 ENVLOCK_TF_DETERMINISTIC=1" "${env_tensorflow[*]}"

# Another sitecustomize, later on PYTHONPATH, that says it ran.
mkdir -p "$scratch/chain" "$scratch/chain-bad"
printf 'print("chained sitecustomize ran")\n' >"$scratch/chain/sitecustomize.py"
printf 'raise RuntimeError("chained one broke")\n' >"$scratch/chain-bad/sitecustomize.py"

for py in "${pythons[@]}"; do
	v=$(plain "$py" -c 'import sys; print(sys.version.split()[0])')
	label="$py ($v)"

	# ---- random, seeded at start ----
	want42=$(plain "$py" -c 'import random; random.seed(42); print(repr(random.random()))')
	draw='import random; print(repr(random.random()))'
	hooked ENVLOCK_SEED=42 "$py" -c "$draw"
	check_eq "$label: seed 42: random.random() as after random.seed(42)" "$want42" "$(out)"
	check_eq "$label: seed 42: exit 0" 0 "$status"
	check_eq "$label: seed 42: nothing on stderr" "" "$(err)"
	first=$(out)
	hooked ENVLOCK_SEED=42 "$py" -c "$draw"
	check_eq "$label: seed 42: a second run draws the same" "$first" "$(out)"
	hooked ENVLOCK_SEED=43 "$py" -c "$draw"
	check_eq "$label: seed 43 draws something else" differs "$([ "$(out)" != "$first" ] && echo differs || out)"

	# ---- the hook imports none of the frameworks ----
	hooked ENVLOCK_SEED=42 "$py" -c \
		'import sys; print(sorted({m.split(".")[0] for m in sys.modules} & {"numpy", "torch", "tensorflow", "jax"}))'
	check_eq "$label: the hook imports no framework" "[]" "$(out)"

	# ---- no seed: inert ----
	probe='import sys; print([type(f).__name__ for f in sys.meta_path]); print("random" in sys.modules)
import random; print(random.random() != random.random())'
	hooked "$py" -c "$probe"
	check_eq "$label: no seed: as plain python" "$(plain "$py" -c "$probe")" "$(out)"
	check_eq "$label: no seed: nothing on stderr" "" "$(err)"

	# ---- the shadowed sitecustomize ----
	whose='import sys; print(getattr(sys.modules.get("sitecustomize"), "__file__", None))'
	theirs=$(plain "$py" -c "$whose")
	if [ "$theirs" != None ]; then
		hooked ENVLOCK_SEED=42 "$py" -c "$whose"
		check_eq "$label: the interpreter's own sitecustomize still runs" "$theirs" "$(out)"
	fi
	hooked ENVLOCK_SEED=42 PYTHONPATH="$hook:$scratch/chain" "$py" -c "$draw"
	check_eq "$label: chained: its marker once, then the seeded draw" \
		"$(printf 'chained sitecustomize ran\n%s' "$want42")" "$(out)"
	check_eq "$label: chained: nothing on stderr" "" "$(err)"
	hooked PYTHONPATH="$hook:$scratch/chain" "$py" -c 'import sitecustomize; print(sitecustomize.__file__)'
	check_eq "$label: chained without a seed: marker once, and it is sitecustomize" \
		"$(printf 'chained sitecustomize ran\n%s' "$scratch/chain/sitecustomize.py")" "$(out)"
	hooked ENVLOCK_SEED=42 PYTHONPATH="$hook:$scratch/chain-bad" "$py" -c "$draw"
	check_eq "$label: chained one raising: the program runs, seeded" "$want42" "$(out)"
	check_eq "$label: chained one raising: site.py's report" \
		"$(printf 'Error in sitecustomize; set PYTHONVERBOSE for traceback:\nRuntimeError: chained one broke')" "$(err)"

	# ---- a bad seed ----
	hooked ENVLOCK_SEED=abc "$py" -c 'print("ran")'
	check_eq "$label: ENVLOCK_SEED=abc: the program runs" "0 ran" "$status $(out)"
	check_eq "$label: ENVLOCK_SEED=abc: one line on stderr" \
		"1 envlock: sitecustomize:" "$(wc -l <"$scratch/err") $(cut -c1-23 "$scratch/err")"

	# ---- the import machinery, with a stand-in numpy ----
	hooked ENVLOCK_SEED=42 PYTHONPATH="$hook:$scratch/fake" "$py" -c '
import numpy.random, numpy, importlib
importlib.reload(numpy)
print(numpy.random.seeds, type(numpy.__loader__).__name__, numpy.__spec__.loader is numpy.__loader__)'
	check_eq "$label: stand-in numpy: seeded once, by \`import numpy.random\`, not again on reload; its own loader" \
		"[42] SourceFileLoader True" "$(out)"
	check_eq "$label: stand-in numpy: nothing on stderr" "" "$(err)"
	hooked ENVLOCK_SEED=42 PYTHONPATH="$hook:$scratch/fake-bad" "$py" -c 'import numpy; print("ran")'
	check_eq "$label: numpy.random.seed raising: the program runs" "0 ran" "$status $(out)"
	check_eq "$label: numpy.random.seed raising: one line" \
		"envlock: sitecustomize: seeding numpy failed: ValueError: no seeding today" "$(err)"

	# ---- pytorch and tensorflow profiles, with the stand-ins ----
	torch_probe='import torch; b = torch.backends
print(torch.calls)
print(b.cuda.matmul.allow_tf32, b.cudnn.allow_tf32, b.cudnn.benchmark, b.cudnn.deterministic)'
	hooked "${env_pytorch[@]}" PYTHONPATH="$hook:$scratch/fake" "$py" -c "$torch_probe"
	check_eq "$label: stand-in torch, pytorch profile: seeded, deterministic, TF32 off, precision highest" \
		"$(printf '%s\n%s' "[('manual_seed', 42), ('cuda.manual_seed_all', 42), ('use_deterministic_algorithms', True), ('set_float32_matmul_precision', 'highest')]" \
			'False False False True')" "$(out)"
	check_eq "$label: stand-in torch, pytorch profile: nothing on stderr" "" "$(err)"
	hooked "${env_pytorch[@]}" EL_STUB_OLD=1 PYTHONPATH="$hook:$scratch/fake" "$py" -c "$torch_probe"
	check_eq "$label: stand-in torch < 1.12, pytorch profile: TF32 off all the same" \
		"$(printf '%s\n%s' "[('manual_seed', 42), ('cuda.manual_seed_all', 42), ('use_deterministic_algorithms', True)]" \
			'False False False True')" "$(out)"
	check_eq "$label: stand-in torch < 1.12, pytorch profile: nothing on stderr" "" "$(err)"
	hooked "${env_default[@]}" PYTHONPATH="$hook:$scratch/fake" "$py" -c "$torch_probe"
	check_eq "$label: stand-in torch, default profile: seeded only, torch's defaults kept" \
		"$(printf '%s\n%s' "[('manual_seed', 42), ('cuda.manual_seed_all', 42)]" 'False True False False')" "$(out)"
	check_eq "$label: stand-in torch, default profile: nothing on stderr" "" "$(err)"

	tf_probe='import tensorflow as tf; print(tf.calls)'
	hooked "${env_tensorflow[@]}" EL_STUB_KERAS=loaded PYTHONPATH="$hook:$scratch/fake" "$py" -c "$tf_probe"
	check_eq "$label: stand-in TF >= 2.8, Keras loaded, tensorflow profile: Keras's seeding, then op determinism" \
		"[('keras.utils.set_random_seed', 42), ('enable_op_determinism',)]" "$(out)"
	check_eq "$label: stand-in TF >= 2.8, Keras loaded, tensorflow profile: nothing on stderr" "" "$(err)"
	hooked "${env_tensorflow[@]}" PYTHONPATH="$hook:$scratch/fake" "$py" -c "$tf_probe"
	check_eq "$label: stand-in TF >= 2.8, lazy tf.keras, tensorflow profile: Keras not imported, tf seeded, op determinism" \
		"[('random.set_seed', 42), ('enable_op_determinism',)]" "$(out)"
	check_eq "$label: stand-in TF >= 2.8, lazy tf.keras, tensorflow profile: nothing on stderr" "" "$(err)"
	hooked "${env_tensorflow[@]}" EL_STUB_OLD=1 PYTHONPATH="$hook:$scratch/fake" "$py" -c "$tf_probe"
	check_eq "$label: stand-in TF < 2.8, tensorflow profile: tf.random.set_seed, as before" \
		"0 [('random.set_seed', 42)]" "$status $(out)"
	check_eq "$label: stand-in TF < 2.8, tensorflow profile: nothing on stderr" "" "$(err)"
	hooked "${env_default[@]}" EL_STUB_KERAS=loaded PYTHONPATH="$hook:$scratch/fake" "$py" -c "$tf_probe"
	check_eq "$label: stand-in TF >= 2.8, Keras loaded, default profile: tf.random.set_seed only" \
		"[('random.set_seed', 42)]" "$(out)"
	check_eq "$label: stand-in TF >= 2.8, default profile: nothing on stderr" "" "$(err)"

	# ---- numpy ----
	if plain "$py" -c 'import numpy' >/dev/null 2>&1; then
		want=$(plain "$py" -c 'import numpy as np; np.random.seed(42); print(repr(np.random.rand()))')
		hooked ENVLOCK_SEED=42 "$py" -c 'import numpy as np; print(repr(np.random.rand()))'
		check_eq "$label: numpy: np.random.rand() as after np.random.seed(42)" "$want" "$(out)"
		hooked ENVLOCK_SEED=42 "$py" -c 'import numpy.random; import numpy as np; print(repr(np.random.rand()))'
		check_eq "$label: numpy: the same with \`import numpy.random\` first" "$want" "$(out)"
		check_eq "$label: numpy: nothing on stderr" "" "$(err)"
	else
		skip_framework numpy
	fi

	# ---- torch ----
	# Each import of torch takes seconds: one run for each case.
	probe='print(repr(torch.rand(1).item()), torch.are_deterministic_algorithms_enabled(),
      torch.backends.cudnn.benchmark, torch.backends.cudnn.deterministic)
b = torch.backends
print(b.cuda.matmul.allow_tf32, b.cudnn.allow_tf32, getattr(torch, "get_float32_matmul_precision", str)())'
	if base=$(plain "$py" -c "import torch; torch.manual_seed(42); $probe" 2>/dev/null); then
		want=$(echo "$base" | head -n1 | cut -d' ' -f1)
		defaults=$(echo "$base" | head -n1 | cut -d' ' -f2-)
		tf32_defaults=$(echo "$base" | sed -n 2p)
		probe="import torch; $probe"
		hooked ENVLOCK_SEED=42 "$py" -c "$probe"
		check_eq "$label: torch: torch.rand(1) as after torch.manual_seed(42)" "$want" "$(out | head -n1 | cut -d' ' -f1)"
		check_eq "$label: torch: no envlock line on stderr" 0 "$(grep -c '^envlock:' "$scratch/err" || true)"
		check_eq "$label: torch: without ENVLOCK_TORCH_DETERMINISTIC: torch's defaults" \
			"$defaults" "$(out | head -n1 | cut -d' ' -f2-)"
		check_eq "$label: torch: without ENVLOCK_TORCH_DETERMINISTIC: not deterministic" \
			False "$(out | head -n1 | cut -d' ' -f2)"
		check_eq "$label: torch: without ENVLOCK_TORCH_DETERMINISTIC: torch's TF32 defaults" \
			"$tf32_defaults" "$(out | sed -n 2p)"
		hooked "${env_pytorch[@]}" "$py" -c "$probe"
		check_eq "$label: torch, pytorch profile: seeded, deterministic, no cuDNN benchmark, TF32 off, precision highest" \
			"$(printf '%s\n%s' "$want True False True" 'False False highest')" "$(out)"
		check_eq "$label: torch, pytorch profile: nothing on stderr" "" "$(err)"
	else
		skip_framework torch
	fi
	echo "ok: $label"
done

finish
