# SPDX-License-Identifier: GPL-2.0-only
# Progress of long steps, for a first run that would otherwise be silent
# for many minutes (sourced after common.sh).

# progress_watch PID LABEL DIR EXPECTED: until PID exits, every
# FPGACAP_PROGRESS_SECONDS (60) a line on stderr: the objects compiled in
# DIR since the call, the minutes so far, and the share of EXPECTED
# objects when that is known (> 0). Before any object appears the step is
# waiting (for the machine-wide lock, or for another run's build).
progress_watch() {
	local pid=$1 label=$2 dir=$3 expected=$4 t0=$SECONDS n n0 share
	n0=$(find "$dir" -name '*.o' 2>/dev/null | wc -l)
	while kill -0 "$pid" 2>/dev/null; do
		sleep "${FPGACAP_PROGRESS_SECONDS:-60}"
		kill -0 "$pid" 2>/dev/null || break
		n=$(( $(find "$dir" -name '*.o' 2>/dev/null | wc -l) - n0 ))
		if [ "$n" -le 0 ]; then
			say "$label: waiting ($(( (SECONDS - t0) / 60 )) min): the machine-wide lock is another run's (a guest or a kernel build)"
			continue
		fi
		share=
		[ "$expected" -gt 0 ] &&
			share=" of about $expected ($(( n * 100 / expected > 99 ? 99 : n * 100 / expected )) %)"
		say "$label: $n objects compiled$share, $(( (SECONDS - t0) / 60 )) min so far"
	done
}

# The objects a build of this kind compiled last time: the newest earlier
# build in the cache of the same kernel line, architecture and fragments
# (the key aside), else 0. kernel_objects_expected OUT_DIR
kernel_objects_expected() {
	local out=$1 d
	for d in $(ls -td "${out%-*}"-*/ 2>/dev/null); do
		d=${d%/}
		[ "$d" != "$out" ] && [ -f "$d/.fpgacap-built" ] || continue
		if [ -f "$d/build.objects" ]; then
			cat "$d/build.objects"
		else
			find "$d" -name '*.o' | wc -l
		fi
		return
	done
	echo 0
}
