# The test job: load the driver with a pattern device, run every selftest
# (or those in FPGACAP_TESTS, comma-separated), unload.
. /net.sh
insmod /lib/modules/fpgacap.ko pattern_devices=1 || rc=1
for d in /sys/class/fpgacap/*; do
	[ "$(cat "$d/source" 2>/dev/null)" = pattern ] && FPGACAP_DEV=/dev/${d##*/}
done
export FPGACAP_DEV FPGACAP_KO=/lib/modules/fpgacap.ko
export FPGACAP_KO_PARAMS="pattern_devices=1"
# Both guests' NICs (e1000, GEM with a lowmem pool) transmit from the pages.
export FPGACAP_EXPECT_ZEROCOPY=1
echo "# pattern device: $FPGACAP_DEV"
# The test-only dmaengine provider, where the guest has it (x86): it makes
# fpgacap-slave.0, which fpgacap binds as /dev/fpgacap-testdma.
testdma=/lib/modules/fpgacap-testdma.ko
if [ -f $testdma ]; then
	insmod $testdma || rc=1
	export FPGACAP_TESTDMA_KO=$testdma
fi
if [ -n "$FPGACAP_SINK" ]; then
	net_up || echo "# network setup failed"
fi

for t in /tests/*_test; do
	name=${t##*/}
	if [ -n "$FPGACAP_TESTS" ]; then
		case ",$FPGACAP_TESTS," in *",$name,"*) ;; *) continue ;; esac
	fi
	echo "FPGACAP-TEST-BEGIN $name"
	"$t"
	echo "FPGACAP-TEST-END $name rc=$?"
done
rmmod fpgacap || rc=1
if [ -f $testdma ]; then
	rmmod fpgacap_testdma || rc=1
fi
