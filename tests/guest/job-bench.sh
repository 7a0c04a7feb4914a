# SPDX-License-Identifier: GPL-2.0-only
# The benchmark job: every mode side by side in one boot, the micro-
# benchmarks, the figures as JSON between markers for the host to collect.
# FPGACAP_BENCH_BYTES sets the bytes per run.
. /net.sh
insmod /lib/modules/fpgacap.ko pattern_devices=1 || rc=1
net_up || echo "network setup failed"
for d in /sys/class/fpgacap/*; do
	[ "$(cat "$d/source")" = pattern ] && dev=/dev/${d##*/}
done
echo "FPGACAP-BENCH-BEGIN"
fpgacap-bench -d "$dev" --compare --sweep 16K,64K,256K,1M -c 8 \
	-b "${FPGACAP_BENCH_BYTES:-16M}" --memcpy --handoff --setup --json -q \
	10.0.2.100:5556 || rc=1
echo "FPGACAP-BENCH-END"
rmmod fpgacap || rc=1
