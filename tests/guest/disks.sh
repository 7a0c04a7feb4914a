# SPDX-License-Identifier: GPL-2.0-only
# Sourced by jobs that use the target's disks (tests/lib/disks.sh: the
# kernel command line's FPGACAP_DISKS names them, FPGACAP_DISK_IF says how
# they attach). disk_node NAME prints the disk's block device: an SD card
# by its slot (the first card is mmcblk0), a virtio or NVMe disk by its
# serial. Cards show up a while after boot: it waits up to 10 s. Nothing
# printed, status 1: the target has no such disk, or the guest not.
disk_node() {
	local want="$1" spec slot=0 i=0 d s
	for spec in $(echo "$FPGACAP_DISKS" | tr , " "); do
		if [ "${spec%%:*}" = "$want" ]; then
			while [ $i -lt 100 ]; do
				if [ "$FPGACAP_DISK_IF" = sd ]; then
					[ -b /dev/mmcblk$slot ] &&
						{ echo /dev/mmcblk$slot; return 0; }
				else
					for d in /sys/block/*; do
						# NVMe pads its serial with spaces.
						s=$( (cat "$d/serial" ||
						      cat "$d/device/serial") 2>/dev/null |
						    tr -d ' ')
						[ "$s" = "$want" ] &&
							{ echo "/dev/${d##*/}"; return 0; }
					done
				fi
				sleep 0.1
				i=$((i + 1))
			done
			return 1
		fi
		slot=$((slot + 1))
	done
	return 1
}
