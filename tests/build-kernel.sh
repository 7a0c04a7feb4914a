#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Build a target's guest kernel from a Debian linux-source package and the
# fragments in tests/kernel/ (merged in order on tinyconfig, or on the
# defconfig a target names in kernel_defconfig), with modules so
# that out-of-tree builds find Module.symvers (the package comes from the
# target's kernel_suite, or is the host's own). Cached outside the checkout,
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
src=$(kernel_source_dir "$kernel_source" "$kernel_suite")
# The fragments' options and comments make the key; their license line
# does not change the kernel.
base=${kernel_defconfig:-tinyconfig}
key=$( (package_version "$kernel_source" "$kernel_suite"; echo "$karch ${kernel_targets[*]}"
	[ "$base" = tinyconfig ] || echo "$base, no modules"
	grep -hv SPDX-License-Identifier "${frags[@]}") | sha256sum | cut -c1-12)
out=$FPGACAP_CACHE/kernel/${kernel_source#linux-source-}-$karch-$(IFS=-; echo "${kernel_config[*]}")-$key

if [ -f "$out/.fpgacap-built" ]; then
	echo "$out"
	exit 0
fi
# FPGACAP_CHECK_ONLY: say that the kernel would need building (3).
[ -z "${FPGACAP_CHECK_ONLY:-}" ] || exit 3
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
mk "$base" >/dev/null
# A distribution's defconfig builds hundreds of drivers as modules that no
# guest loads: none (the fragments name what the guest needs built in).
[ "$base" = tinyconfig ] ||
	sed -i 's/^\(CONFIG_[A-Za-z0-9_]*\)=m$/# \1 is not set/' "$out/.config"
KCONFIG_CONFIG=$out/.config "$src/scripts/kconfig/merge_config.sh" -m -O "$out" \
	"$out/.config" "${frags[@]}" >/dev/null
mk olddefconfig >/dev/null

# Options whose dependencies are missing vanish silently: insist on each
# this kernel knows. One it does not know (removed or merged into another
# in its release, as DMA_API_DEBUG_SG into DMA_API_DEBUG) is only named.
known=$(find "$src" -name 'Kconfig*' -not -path "$src/Documentation/*" -print0 |
	xargs -0 grep -hE '^[[:space:]]*(menu)?config [A-Z0-9_]+' | awk '{ print "CONFIG_" $2 }' |
	sort -u)
missing=0
while IFS= read -r line; do
	opt=
	case "$line" in
	CONFIG_*=*) opt=${line%%=*} ;;
	"# CONFIG_"*" is not set") opt=${line#\# }; opt=${opt%% *} ;;
	esac
	[ -n "$opt" ] || continue
	if ! grep -qx -- "$opt" <<<"$known"; then
		say "$target: $opt is not an option of $kernel_source; skipped"
		continue
	fi
	case "$line" in
	CONFIG_*=*)
		grep -qx -- "$line" "$out/.config" || {
			say "$target: config option not taken: $line"
			missing=1
		}
		;;
	*)
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
say "$target kernel built in $(cat "$out/build.seconds") s ($(cat "$out/build.seconds.cpu") s of CPU)"
find "$out" -name '*.o' | wc -l >"$out/build.objects"
touch "$out/.fpgacap-built"
echo "$out"
