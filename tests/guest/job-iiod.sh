# SPDX-License-Identifier: GPL-2.0-only
# The fpgacap-iiod job: the server runs in the guest with four pattern
# devices (the counter; an FPGA design's four interleaved 16-bit channels;
# three 16-bit channels, 6-byte samples that straddle pool buffers; one for
# the checks run here) and the target's DMA devices; libiio's clients run
# on the host (tests/iiod/iiod_test.py) through a host-loopback port
# forward. Here, with tests/iiod/iiod_peer.c, on a server of their own
# before the host's clients come: a client that vanishes after OPEN, and
# the server's attribute latency without the emulator's network in the
# way, beside the floor a bare echo server sets. The job ends when the
# host says it is done
# (FPGACAP_HOST_DONE), stops the server with SIGTERM and prints its JSON
# summary, and its own server's, for the host to check. Every wait here is
# bounded: for a server to listen (it writes --port-file then), for one to
# stop.
. /net.sh
# Test-only DMA providers first (x86: fpgacap-testdma, a slave engine
# with a settable rate), so that their devices bind before the driver's.
for m in /lib/modules/test/fpgacap-testdma.ko; do
	[ -f "$m" ] || continue
	insmod "$m" || { echo "# insmod $m failed"; rc=1; }
done
insmod /lib/modules/fpgacap.ko pattern_devices=4 || rc=1
# The test engine delivers 800 kB/s: the rate its device measures is
# 100000 samples/s (8-byte samples).
ratefile=/sys/kernel/debug/fpgacap-testdma/chan0/rate
[ ! -w $ratefile ] || echo 800000 >$ratefile
net_up || echo "# network setup failed"
# QEMU's host forwards connect from 10.0.2.2: the answers go back there.
ip route add 10.0.2.2/32 dev eth0

cat >/tmp/iiod.conf <<'EOF'
# Every device: MSG_ZEROCOPY, whose completions say whether the kernel
# copied; the tests switch modes through the send_mode attribute.
mode zerocopy

[fpgacap1]
name adc
buffer-size 64K
channel voltage0 le:u16/16>>0 name=lane0
channel voltage1 le:u16/16>>0
channel voltage2 le:s12/16>>4 scale=0.5
channel voltage3 le:u16/16>>0 offset=-3

[fpgacap2]
name tri
buffer-size 64K
channel voltage0 le:u16/16>>0
channel voltage1 le:u16/16>>0
channel voltage2 le:u16/16>>0

[fpgacap3]
name guest
buffer-size 16K
EOF
# A DMA source has no clock: the design's rate is declared.
if [ -e /dev/fpgacap-memcpy ]; then
	printf '\n[fpgacap-memcpy]\nsampling-frequency 250000\n' >>/tmp/iiod.conf
fi

# Uptime in milliseconds.
now_ms() { awk '{ printf "%d\n", $1 * 1000 }' /proc/uptime; }

# Every server here runs so; keepalive's idle time is KA seconds.
KA=2
# Run in the background only: exec makes $! the server itself, which
# SIGTERM must reach.
serve() {	# serve [OPTION...] &
	exec fpgacap-iiod -C /tmp/iiod.conf --stall-timeout 2 --max-clients 8 \
		--command-timeout 3 --keepalive $KA --json "$@"
}
# Whether PID still runs (an exited child stays a zombie until it is
# waited for, and kill -0 finds a zombie too).
running() {	# running PID
	[ -r /proc/$1/status ] && ! grep -q '^State:[[:space:]]*Z' /proc/$1/status
}
# Wait until the server PID writes PORTFILE (--port-file: it listens by
# then), at most LIMIT seconds; the milliseconds it took, or fail.
listening() {	# listening PID PORTFILE LIMIT
	_t0=$(now_ms)
	while [ ! -s "$2" ]; do
		if ! running "$1"; then
			echo "exited"
			return 1
		fi
		if [ $(( $(now_ms) - _t0 )) -ge $(( $3 * 1000 )) ]; then
			echo "not listening after $3 s"
			return 1
		fi
		sleep 0.1
	done
	echo $(( $(now_ms) - _t0 ))
}
# SIGTERM to the server PID, which must end within LIMIT seconds: past
# them a watchdog kills it (SIGKILL) so that the job goes on. Sets
# stopped_ms (how long it took) and stopped_status (its exit status, or
# "killed"). Not in a subshell: only this shell can wait for the server.
stop_server() {	# stop_server PID LIMIT
	_t0=$(now_ms)
	kill -TERM "$1"
	( sleep "$2"; kill -KILL "$1" ) 2>/dev/null &
	_wd=$!
	wait "$1"
	stopped_status=$?
	stopped_ms=$(( $(now_ms) - _t0 ))
	kill "$_wd" 2>/dev/null
	wait "$_wd" 2>/dev/null
	# 128 + SIGKILL: the watchdog's.
	[ "$stopped_status" != 137 ] || stopped_status=killed
}

echo "FPGACAP-TEST-BEGIN iiod"
n=0
tap() {	# tap OK|FAIL NAME
	n=$((n + 1))
	if [ "$1" = OK ]; then echo "ok $n $2"; else echo "not ok $n $2"; fi
}
# An attribute through a connection of its own, given up after 10 s.
attr() {	# attr PORT DEVICE NAME
	printf 'READ %s %s\r\nEXIT\r\n' "$2" "$3" |
		timeout 10 nc 127.0.0.1 "$1" |
		tr -d '\r\000' | sed -n 2p
}
# The first field of iiod_peer latency's line: "median_us=N ..." -> N.
median() { m=${1#median_us=}; echo "${m%% *}"; }
ip link set lo up

# The guest's own checks run first, on a server of their own on loopback
# (port 30432): the host's clients wait for port 30431, so nothing else
# runs in the guest meanwhile and the figures are the server's and the
# emulator's alone. The echo server stays for the host's floor through the
# forward (port 30433).
if command -v iiod_peer >/dev/null; then
	iiod_peer echo 30433 &
	echo_pid=$!
	serve -l 127.0.0.1:30432 --port-file /tmp/iiod-own.port \
		>/tmp/iiod-own.json 2>/tmp/iiod-own.err &
	own=$!
	if up=$(listening $own /tmp/iiod-own.port 30); then
		tap OK "its own server listens on 127.0.0.1:30432 after $up ms"
	else
		tap FAIL "its own server listens on 127.0.0.1:30432 ($up)"
	fi

	# A client that vanishes after OPEN (no FIN, no reset) is found by
	# keepalive, and its device freed, within the bound the server's
	# socket options set (main.c): KA s idle, then 5 probes a fifth of
	# KA apart (1 s at least), the last unanswered one ending it; here
	# the first probe meets a reset, as from a host that rebooted. Then
	# the session's end (its drain waits up to 1 s after the reset) and
	# this loop's polling (0.2 s and a connection): 2 s more. A server
	# without keepalive holds the device until it stops.
	intvl=$((KA / 5)); [ $intvl -ge 1 ] || intvl=1
	bound=$(( (KA + 5 * intvl) * 1000 + 2000 ))
	if iiod_peer vanish 30432 guest 00000001; then
		t0=$(now_ms)
		state=$(attr 30432 guest state)
		while [ "$state" != idle ] &&
		      [ $(( $(now_ms) - t0 )) -le $((bound + 3000)) ]; do
			sleep 0.2
			state=$(attr 30432 guest state)
		done
		ms=$(( $(now_ms) - t0 ))
		last=$(attr 30432 guest last_session)
		echo "# $last"
		case $state/$last in
		idle/*"ended_by=the client left"*)
			if [ $ms -le $bound ]; then
				tap OK "a client that vanished after OPEN: its device free after $ms ms (keepalive ${KA} s: bound $bound ms)"
			else
				tap FAIL "a client that vanished after OPEN: its device free after $ms ms, past the keepalive bound $bound ms"
			fi ;;
		*)
			tap FAIL "a client that vanished after OPEN: state $state after $ms ms (keepalive bound $bound ms)" ;;
		esac
	else
		tap FAIL "a client that vanished after OPEN: OPEN failed"
	fi

	# Attribute reads over loopback, 1000 on one connection, against
	# the server and against the bare echo server: the echo is the floor
	# (the guest kernel's TCP and the emulator), the difference the
	# server's own work. The check is on the median: the tail under TCG
	# is the emulator's (a vCPU thread the host deschedules, code
	# translated for the first time, a timer tick: one read in a hundred
	# takes milliseconds, echo or not), while what the check guards
	# against (a reply in pieces, Nagle, a delayed-ACK wait of 40 ms at
	# least) slows every read and moves the median. x86: 1 ms (measured:
	# server 0.18 ms, echo 0.15 ms). The emulated Zynq-7000 runs the
	# same round trip about ten times slower under the same TCG (echo
	# 1.6 ms, server 2.2 ms): even a bare echo server misses 1 ms there,
	# so 10 ms, still four times under a delayed ACK.
	# The echo's reads and the server's take turns: a burst of load on
	# the host slows both alike.
	both=$(iiod_peer latency 30433,30432 guest sample_size 1000)
	floor=$(echo "$both" | sed -n 1p)
	lat=$(echo "$both" | sed -n 2p)
	echo "# attribute reads in the guest over loopback: server $lat"
	echo "# the same round trips to a bare echo server (the floor): $floor"
	med=$(median "$lat")
	case $(uname -m) in
	x86_64) limit=1000 ;;
	*) limit=10000 ;;
	esac
	# A loaded host slows the echo as much as the server: then the server
	# may add at most 1 ms to the floor (a delayed ACK adds 40).
	fmed=$(median "$floor")
	if [ -n "$fmed" ] && [ $((fmed + 1000)) -gt $limit ] 2>/dev/null; then
		limit=$((fmed + 1000))
	fi
	if [ -n "$med" ] && [ "$med" -lt $limit ] 2>/dev/null; then
		tap OK "attribute reads over loopback: median of 1000 $med us (limit $limit; echo floor $(median "$floor") us)"
	else
		tap FAIL "attribute reads over loopback: median of 1000 '$med' us (limit $limit; echo floor $(median "$floor") us)"
	fi
	# Its summary goes to the host, which parses and checks it.
	stop_server $own 5
	if [ "$stopped_status" = 0 ]; then
		tap OK "its own server stopped on SIGTERM in $stopped_ms ms, exit status 0"
	else
		tap FAIL "its own server stopped on SIGTERM: after $stopped_ms ms, exit status $stopped_status (limit 5 s)"
	fi
	sed 's/^/# /' /tmp/iiod-own.err
else
	# The same four results as above, so every target lists them.
	for t in "its own server listens" "vanished client" \
		"loopback latency" "its own server stopped"; do
		n=$((n + 1))
		echo "ok $n $t # SKIP no iiod_peer in this guest"
	done
fi

serve --port-file /tmp/iiod.port >/tmp/iiod.json 2>/tmp/iiod.err &
pid=$!
listened=
if up=$(listening $pid /tmp/iiod.port 30); then
	listened=1
	tap OK "fpgacap-iiod listens on port 30431 after $up ms"
else
	# The host's clients would wait for it until the guest's timeout.
	tap FAIL "fpgacap-iiod listens on port 30431 ($up)"
	sed 's/^/# /' /tmp/iiod.err
	FPGACAP_HOST_DONE=
fi

# IPv6 where the kernel has it: the server listens on [::] for both.
if [ -e /proc/net/if_inet6 ]; then
	reply=$(printf 'VERSION\r\n' | timeout 10 nc ::1 30431 | head -1 |
		tr -d '\r')
	case $reply in
	0.24.fpgacap) tap OK "IPv6: [::1]:30431 answers VERSION" ;;
	*) tap FAIL "IPv6: [::1]:30431 answers VERSION (got '$reply')" ;;
	esac
else
	n=$((n + 1))
	echo "ok $n IPv6 # SKIP this kernel has no IPv6"
fi

# The host runs its clients; its answer ends the wait.
if [ -n "$FPGACAP_HOST_DONE" ]; then
	nc "${FPGACAP_HOST_DONE%:*}" "${FPGACAP_HOST_DONE#*:}" </dev/null
fi
# Running is not serving: it must have listened too.
if [ -n "$listened" ] && running $pid; then
	tap OK "fpgacap-iiod served until the host was done"
else
	tap FAIL "fpgacap-iiod served until the host was done (listened: ${listened:-no})"
fi
stop_server $pid 5
ms=$stopped_ms status=$stopped_status
[ $ms -lt 1000 ] && [ "$status" != killed ] &&
	tap OK "SIGTERM stopped it in $ms ms" ||
	tap FAIL "SIGTERM stopped it in $ms ms (limit 1000; $status)"
[ "$status" = 0 ] && tap OK "exit status 0" || tap FAIL "exit status $status"
if grep -q '"stopped_by":"SIGTERM"' /tmp/iiod.json &&
	grep -q '"threads_left":0' /tmp/iiod.json; then
	tap OK "JSON summary: stopped by SIGTERM, every connection ended"
else
	tap FAIL "JSON summary: stopped by SIGTERM, every connection ended"
fi
sed 's/^/# /' /tmp/iiod.err
[ -z "$echo_pid" ] || kill "$echo_pid"
echo "1..$n"
echo "FPGACAP-TEST-END iiod rc=0"
# The summaries after the TAP block: the host parses them.
echo "FPGACAP-IIOD-JSON-BEGIN"
cat /tmp/iiod.json
echo "FPGACAP-IIOD-JSON-END"
if [ -f /tmp/iiod-own.json ]; then
	echo "FPGACAP-IIOD-OWN-JSON-BEGIN"
	cat /tmp/iiod-own.json
	echo "FPGACAP-IIOD-OWN-JSON-END"
fi
# Nothing may hold the device any more.
rmmod fpgacap || rc=1
for m in /lib/modules/test/fpgacap-testdma.ko; do
	[ -f "$m" ] || continue
	rmmod fpgacap_testdma || rc=1
done
