#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Build a target's guest kernel from a Debian linux-source package and the
# fragments in tests/kernel/ (merged in order on tinyconfig), with modules so
# that out-of-tree builds find Module.symvers. Cached outside the checkout,
# keyed by the source's version and the fragments' contents; a second caller
# waits for the first. Usage: tests/build-kernel.sh TARGET (prints the dir)
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"
. "$FPGACAP_TOP/tests/lib/target.sh"
. "$FPGACAP_TOP/tests/lib/progress.sh"

load_target "${1:?usage: build-kernel.sh TARGET}"
[ -n "$kernel_source" ] || die "target $target uses Debian's kernel image"
frags=()
for f in "${kernel_config[@]}"; do frags+=("$FPGACAP_TOP/tests/kernel/$f.config"); done
src=$(kernel_source_dir "$kernel_source")
# The fragments' options and comments make the key; their license line
# does not change the kernel.
key=$( (package_version "$kernel_source"; echo "$karch ${kernel_targets[*]}"
	grep -hv SPDX-License-Identifier "${frags[@]}") | sha256sum | cut -c1-12)
out=$FPGACAP_CACHE/kernel/${kernel_source#linux-source-}-$karch-$(IFS=-; echo "${kernel_config[*]}")-$key

if [ -f "$out/.fpgacap-built" ]; then
	echo "$out"
	exit 0
fi
mkdir -p "$out"
exec 8>"$out.lock"
if ! flock -n 8; then
	say "$target kernel: another run is building it ($out/build.log); waiting for that build"
	flock 8 &
	waiter=$!
	progress_watch "$waiter" "$target kernel (another run's build)" "$out" \
		"$(kernel_objects_expected "$out")" &
	watcher=$!
	wait "$waiter" || die "$target kernel: waiting for its lock failed"
	kill "$watcher" 2>/dev/null || true
	flock 8
fi
if [ -f "$out/.fpgacap-built" ]; then
	echo "$out"
	exit 0
fi

mk() { make -s -C "$src" O="$out" "${kmake_arch[@]}" "$@"; }
mk tinyconfig >/dev/null
KCONFIG_CONFIG=$out/.config "$src/scripts/kconfig/merge_config.sh" -m -O "$out" \
	"$out/.config" "${frags[@]}" >/dev/null
mk olddefconfig >/dev/null

# Options whose dependencies are missing vanish silently: insist on each.
missing=0
while IFS= read -r line; do
	case "$line" in
	CONFIG_*=*)
		grep -qx -- "$line" "$out/.config" || {
			say "$target: config option not taken: $line"
			missing=1
		}
		;;
	"# CONFIG_"*" is not set")
		opt=${line#\# }
		opt=${opt%% *}
		! grep -q "^$opt=" "$out/.config" || {
			say "$target: config option not unset: $opt"
			missing=1
		}
		;;
	esac
done < <(cat "${frags[@]}")
[ "$missing" = 0 ] || die "fix tests/kernel/{$(IFS=,; echo "${kernel_config[*]}")}.config"

expected=$(kernel_objects_expected "$out")
say "building the $target guest kernel in $out (10-25 minutes on 2 cores;" \
	"a line a minute says how far it is)"
heavy_timed "$out/build.seconds" make -s -C "$src" O="$out" "${kmake_arch[@]}" \
	-j"$JOBS" "${kernel_targets[@]}" modules >"$out/build.log" 2>&1 &
builder=$!
progress_watch "$builder" "$target kernel" "$out" "$expected" &
watcher=$!
rc=0
wait "$builder" || rc=$?
kill "$watcher" 2>/dev/null || true
[ "$rc" = 0 ] || { tail -40 "$out/build.log" >&2; die "$target kernel build failed"; }
say "$target kernel built in $(cat "$out/build.seconds") s"
find "$out" -name '*.o' | wc -l >"$out/build.objects"
touch "$out/.fpgacap-built"
echo "$out"
