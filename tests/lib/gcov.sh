# SPDX-License-Identifier: GPL-2.0-only
# Coverage out of a guest (sourced). collect_gcov LOG MODULE_BUILD OUT puts
# the .gcda files the guest printed (tar, gzip, base64 between markers) in
# OUT, laid out as the module's build directory, next to copies of the
# build's .gcno files: lcov -c -d OUT reads them (sources stay where the
# build compiled them).
collect_gcov() {
	local log=$1 mod=$2 out=$3 tmp
	rm -rf "$out"
	mkdir -p "$out"
	tmp=$(mktemp -d)
	tr -d '\r' <"$log" | sed -n '/^FPGACAP-GCOV-BEGIN/,/^FPGACAP-GCOV-END/p' |
		grep -v '^FPGACAP-GCOV-' | base64 -d | tar -xzf - -C "$tmp" ||
		{ say "no coverage data in $log"; rm -rf "$tmp"; return 0; }
	# In the guest's debugfs the files sit under the build's absolute path.
	local f n=0
	while IFS= read -r f; do
		local rel=${f#"$tmp"}
		rel=${rel#"$mod"/}
		mkdir -p "$out/$(dirname "$rel")"
		cp "$f" "$out/$rel"
		n=$((n + 1))
	done < <(find "$tmp" -name '*.gcda')
	(cd "$mod" && find . -name '*.gcno' -exec cp --parents {} "$out/" \;)
	rm -rf "$tmp"
	say "coverage: $n .gcda files in $out"
}
