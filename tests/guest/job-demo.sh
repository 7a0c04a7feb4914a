# The main job on the emulated board: load the driver with a pattern
# source, capture and stream to the host sink, show what arrived and how
# fast; on the Zynq board also capture through the PL330 (memcpy source).
. /net.sh
insmod /lib/modules/fpgacap.ko pattern_devices=1 || rc=1
net_up || echo "network setup failed"
dev=
for d in /sys/class/fpgacap/*; do
	[ "$(cat "$d/source")" = pattern ] && dev=/dev/${d##*/}
done
echo "FPGACAP-DEMO-BEGIN"
echo "== $(uname -m) guest, kernel $(uname -r)"
for d in /sys/class/fpgacap/*; do
	fpgacap-ctl -d "/dev/${d##*/}" info
done
echo
echo "== pattern source -> zero-copy TCP -> host sink (verifying every byte)"
fpgacap-stream -d "$dev" -c 16 -s 256K --framing --verdict -q -t 5 \
	10.0.2.100:5555 || rc=1
fpgacap-ctl -d "$dev" stats
if [ -e /dev/fpgacap-memcpy ]; then
	echo
	echo "== PL330 DMA (dmaengine memcpy from on-chip RAM) -> host sink"
	fpgacap-stream -d /dev/fpgacap-memcpy -c 8 -s 128K --framing -q \
		-b 8M 10.0.2.100:5556 || rc=1
	fpgacap-ctl -d /dev/fpgacap-memcpy stats
fi
echo "FPGACAP-DEMO-END"
rmmod fpgacap || rc=1
