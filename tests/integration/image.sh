#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# envlock exec --image: the sandbox's root is an OCI image's (built here by
# tests/tools/make_run_image.py from this machine's sh, cat, ls...): its
# files and layers as the image says (the upper layer's file, a whiteout),
# none of the host's system directories, the image read-only, the working
# directory writable on the host; the tree made once in the cache and used
# again; a layout directory and its tar; an image whose blob does not
# match its digest refused, nothing left in the cache; the options that do
# not go with --image. As root and as the unprivileged user.
. "$(dirname "$0")/lib.sh"
need python3 ldd
user=envlock-test
base=$(mktemp -d /var/tmp/envlock-image.XXXXXX)
chmod 755 "$base"
trap 'rm -rf "$scratch" "$base"' EXIT
. "$(dirname "$0")/sandbox_halves.sh"

python3 "$EL_SOURCE_DIR/tests/tools/make_run_image.py" "$base/img" >/dev/null
chmod -R a+rX "$base/img" "$base/img.tar"
# The same image with one layer's bytes changed after its digest was taken.
cp -r "$base/img" "$base/bad"
layer=$(python3 -c 'import json,sys; m=json.load(open(sys.argv[1]+"/index.json"))["manifests"][0]["digest"][7:]; print(json.load(open(sys.argv[1]+"/blobs/sha256/"+m))["layers"][1]["digest"][7:])' "$base/bad")
printf 'x' | dd of="$base/bad/blobs/sha256/$layer" bs=1 seek=600 conv=notrunc status=none
chmod -R a+rX "$base/bad"

half_checks() {
	local half=$1 dir=$base/$1 p="[$1]"
	local -a as=()

	mkdir -p "$dir/work"
	if [ "$half" = user ]; then
		chown -R "$user:$user" "$dir"
		as=(setpriv --reuid="$user" --regid="$user" --clear-groups --reset-env --)
	fi
	cd "$dir/work"
	el() { "${as[@]}" env ENVLOCK_CACHE_DIR="$dir/cache" "$ENVLOCK" "$@"; }

	run "$scratch/out" "$scratch/err" el exec --no-lock --image "$base/img" -- sh -c \
		'cat /etc/os-release; ls /srv; ls /; test -e /usr/bin/python3 && echo host-python || echo no-host-python
		 (echo w >/usr/bin/x) 2>/dev/null && echo image-writable || echo image-read-only
		 echo made >here.txt; pwd'
	check_eq "$p exec --image: exit 0" 0 "$status"
	check_eq "$p exec --image: the image's tree, its upper layer, its whiteout, none of the host's" \
		"$(printf '%s\n' ID=envlock-test-image new bin dev etc home lib lib64 proc run srv tmp usr var \
			no-host-python image-read-only "$dir/work")" "$(cat "$scratch/out")"
	check_eq "$p exec --image: nothing on stderr" "" "$(cat "$scratch/err")"
	check_eq "$p exec --image: the working directory is the host's" made "$(cat here.txt 2>&1)"
	check_eq "$p exec --image: one tree in the cache" 1 "$(ls "$dir/cache/images" | wc -l)"
	local made
	made=$(stat -c %Y.%i "$dir/cache/images/"*)
	run "$scratch/out" "$scratch/err" el exec --no-lock --image "$base/img" -- cat /etc/os-release
	check_eq "$p exec --image again: exit 0" 0 "$status"
	check_eq "$p exec --image again: the same tree, not made again" "$made" "$(stat -c %Y.%i "$dir/cache/images/"*)"
	check_eq "$p exec --image again: nothing beside it in the cache" 1 "$(ls -A "$dir/cache/images" | wc -l)"
	# The layout as one tar (podman save --format oci-archive): a tree of its own, the same files.
	run "$scratch/out" "$scratch/err" el exec --no-lock --image "$base/img.tar" -- sh -c 'cat /etc/os-release; ls /srv'
	check_eq "$p exec --image of the tar: the same tree" "$(printf '%s\n' ID=envlock-test-image new)" \
		"$(cat "$scratch/out")"
	check_eq "$p exec --image of the tar: a second tree in the cache" 2 "$(ls -A "$dir/cache/images" | wc -l)"
	# The changed copy names the same image (its index.json is the same): the tree made
	# from the checked blobs is the one used, as a content-addressed store would.
	run "$scratch/out" "$scratch/err" el exec --no-lock --image "$base/bad" -- cat /etc/os-release
	check_eq "$p exec --image of a changed copy of a cached image: the cached tree" \
		"0 ID=envlock-test-image" "$status $(cat "$scratch/out")"
	# With no tree made yet: refused, nothing run, nothing left.
	run "$scratch/out" "$scratch/err" "${as[@]}" env ENVLOCK_CACHE_DIR="$dir/cache2" "$ENVLOCK" exec --no-lock \
		--image "$base/bad" -- sh -c 'echo ran'
	check_eq "$p exec --image of a changed blob: 125" 125 "$status"
	check_eq "$p exec --image of a changed blob: the message" \
		"envlock: exec: $base/bad: blob sha256:$layer: its content does not match its digest" "$(cat "$scratch/err")"
	check_eq "$p exec --image of a changed blob: nothing ran" "" "$(cat "$scratch/out")"
	check_eq "$p exec --image of a changed blob: nothing left in the cache" "" "$(ls -A "$dir/cache2/images")"
	# The plan shows where the root comes from.
	run "$scratch/out" "$scratch/err" el exec --no-lock --image "$base/img" --dry-run -- true
	check_eq "$p --dry-run: the image's /usr bound read-only" yes \
		"$(grep -Eq "^  ro-bind +/usr +from $dir/cache/images/layout-[a-z0-9]+-[0-9a-f]{64}/usr\$" "$scratch/out" && echo yes || cat "$scratch/out")"
	check_eq "$p --dry-run: bin is the image's link" yes \
		"$(grep -Eq '^  symlink +/bin -> usr/bin$' "$scratch/out" && echo yes || cat "$scratch/out")"
	# A cache in the working directory: the job could change the tree, refused.
	run "$scratch/out" "$scratch/err" "${as[@]}" env ENVLOCK_CACHE_DIR="$dir/work/cache" "$ENVLOCK" exec --no-lock \
		--image "$base/img" -- true
	check_eq "$p a cache the sandbox would show: 125" 125 "$status"
	check_eq "$p a cache the sandbox would show: the message" yes \
		"$(grep -qx "envlock: exec: --image: the sandbox would show $dir/work/cache/images/layout-[a-z0-9]*-[0-9a-f]*, where the image's tree is kept (the cache is in a directory it binds: set ENVLOCK_CACHE_DIR outside it)" "$scratch/err" && echo yes || cat "$scratch/err")"
	# A relative cache directory: the tree is bound from its real path.
	mkdir -p "$dir/relbase"
	[ "$half" = user ] && chown "$user:$user" "$dir/relbase"
	cd "$dir/relbase"
	run "$scratch/out" "$scratch/err" "${as[@]}" env ENVLOCK_CACHE_DIR=relcache "$ENVLOCK" exec --no-lock \
		-C "$dir/work" --image "$base/img" -- cat /etc/os-release
	check_eq "$p a relative cache directory" "0 ID=envlock-test-image" "$status $(cat "$scratch/out")"
	cd "$base"
}

for half in "${halves[@]}"; do
	half_checks "$half"
done

# What does not go with --image yet: said before anything is made.
cd "$base"
run "$scratch/out" "$scratch/err" env ENVLOCK_CACHE_DIR="$base/cache-usage" "$ENVLOCK" exec --image "$base/img" -- true
check_eq "--image without --lock or --no-lock: 125" 125 "$status"
check_eq "--image without --lock or --no-lock: the message" "envlock: exec: --image takes the lock to check the machine against with --lock FILE, or runs without one: --no-lock
Try 'envlock exec --help' for more information." "$(cat "$scratch/err")"

# With a lock: only what the image cannot carry is judged; a lock's data
# that changed since is said not judged, and the run goes on.
echo before >"$base/declared"
run "$scratch/out" "$scratch/err" env ENVLOCK_CACHE_DIR="$scratch/cache-lock" "$ENVLOCK" capture --data "$base/declared" -o "$base/image.lock"
check_eq "a lock for the image run: capture exits 0" 0 "$status"
echo after >"$base/declared"
run "$scratch/out" "$scratch/err" env ENVLOCK_CACHE_DIR="$scratch/cache-lock" "$ENVLOCK" exec --lock "$base/image.lock" \
	--image "$base/img" -- true
check_eq "--image --lock: a changed data entry is not judged, the run goes on" "0 envlock: note: exec: 1 finding not judged: the image carries data" \
	"$status $(cat "$scratch/err")"
run "$scratch/out" "$scratch/err" env ENVLOCK_CACHE_DIR="$base/cache-usage" "$ENVLOCK" exec --no-lock --record r.json \
	--image "$base/img" -- true
check_eq "--image with --record: the message" "envlock: exec: --image cannot be recorded yet: the record would not name the image
Try 'envlock exec --help' for more information." "$(cat "$scratch/err")"
run "$scratch/out" "$scratch/err" env ENVLOCK_CACHE_DIR="$base/cache-usage" "$ENVLOCK" exec --no-lock --python /usr/bin/python3 \
	--image "$base/img" -- true
check_eq "--image with --python: the message" "envlock: exec: --python does not go with --image: the image's interpreter is on its PATH
Try 'envlock exec --help' for more information." "$(cat "$scratch/err")"
check_eq "--image refused: no cache made" no "$([ -e "$base/cache-usage" ] && echo yes || echo no)"
run "$scratch/out" "$scratch/err" env ENVLOCK_CACHE_DIR="$base/cache-usage" "$ENVLOCK" exec --no-lock --image "$base/nosuch" -- true
check_eq "--image of a missing image: 125" 125 "$status"
check_eq "--image of a missing image: the message" "envlock: exec: $base/nosuch: No such file or directory" "$(cat "$scratch/err")"
# A docker save unpacked into a directory names its files by path: only its tar is taken.
mkdir -p "$base/dsdir"
echo '[]' >"$base/dsdir/manifest.json"
run "$scratch/out" "$scratch/err" env ENVLOCK_CACHE_DIR="$base/cache-usage" "$ENVLOCK" exec --no-lock --image "$base/dsdir" -- true
check_eq "--image of a docker save directory: the message" \
	"125 envlock: exec: $base/dsdir: a docker save directory names its files by path, not by digest: give envlock its tar (docker save -o FILE)" \
	"$status $(cat "$scratch/err")"
mkfifo "$base/fifo"
run "$scratch/out" "$scratch/err" env ENVLOCK_CACHE_DIR="$base/cache-usage" "$ENVLOCK" exec --no-lock --image "$base/fifo" -- true
check_eq "--image of a FIFO: the message" "125 envlock: exec: $base/fifo: neither a directory nor a regular file" \
	"$status $(cat "$scratch/err")"
cd /
finish
