# SPDX-License-Identifier: GPL-2.0-only
# A guest's disks (sourced, after load_target). make_disks DIR makes the
# target's disks afresh as sparse raw images in DIR and sets disk_args
# (QEMU arguments) and disk_env (what the guest is told: FPGACAP_DISKS and
# FPGACAP_DISK_IF on its command line). A target lists disks as
#   disks=(NAME:SIZE[:OPTION]...)   with   disk_if=virtio | nvme | sd
# NAME is [a-z0-9]{1,12} (the disk's serial number where the interface
# has one), SIZE takes K, M, G; OPTIONs:
#   wbps=BYTES   a slow disk: QEMU's throttling writes at BYTES per second
#   eio=OFFSET   a failing disk: QEMU's blkdebug fails every write that
#                touches the 512-byte sector at OFFSET with EIO (virtio and
#                nvme report it to the guest; QEMU's SD card drops it)
# The guest finds a disk by its serial (virtio, nvme) or, on SD, by its
# slot: the first sd disk is mmcblk0 (the device trees alias mmc0, mmc1).

# Bytes of "64M", "4K", "1G" or a plain number.
disk_bytes() {
	local v=$1 n unit
	[[ $v =~ ^([0-9]+)([KMG]?)$ ]] || die "disk size or offset '$v': a number with K, M or G"
	n=${BASH_REMATCH[1]} unit=${BASH_REMATCH[2]}
	case $unit in
	K) echo $((n << 10)) ;;
	M) echo $((n << 20)) ;;
	G) echo $((n << 30)) ;;
	*) echo "$n" ;;
	esac
}

make_disks() {
	local dir=$1 spec name size opts o img drive extra i=0 sd=0 bytes
	disk_args=() disk_env=
	[ ${#disks[@]} -gt 0 ] || return 0
	case $disk_if in
	virtio|nvme|sd) ;;
	*) die "target $target: disks need disk_if=virtio, nvme or sd (not '$disk_if')" ;;
	esac
	mkdir -p "$dir"
	for spec in "${disks[@]}"; do
		IFS=: read -r name size opts <<<"$spec"
		[[ $name =~ ^[a-z0-9]{1,12}$ ]] || die "target $target: disk name '$name'"
		bytes=$(disk_bytes "$size")
		# QEMU's SD card takes power-of-two sizes only.
		[ "$disk_if" != sd ] || [ $((bytes & (bytes - 1))) = 0 ] ||
			die "target $target: SD card $name: $size is no power of two"
		img=$dir/$target-$name.img
		[[ $img =~ ^[^,:]+$ ]] || die "disk image path with ',' or ':': $img"
		rm -f "$img" "$img.blkdebug"
		truncate -s "$bytes" "$img"
		drive="format=raw,file=$img" extra=
		for o in ${opts//:/ }; do
			case $o in
			wbps=*) extra="$extra,throttling.bps-write=$(disk_bytes "${o#wbps=}")" ;;
			eio=*)
				[ "$disk_if" != sd ] ||
					die "target $target: eio= needs virtio or nvme (QEMU's SD card drops write errors)"
				printf '[inject-error]\nevent = "write_aio"\niotype = "write"\nerrno = "5"\nsector = "%s"\n' \
					$(( $(disk_bytes "${o#eio=}") / 512 )) >"$img.blkdebug"
				drive="driver=raw,file.driver=blkdebug,file.config=$img.blkdebug,file.image.filename=$img"
				;;
			*) die "target $target: disk $name: unknown option '$o'" ;;
			esac
		done
		drive=$drive$extra
		case $disk_if in
		virtio)
			disk_args+=(-drive "if=none,id=fcd$i,werror=report,rerror=report,$drive"
				    -device "virtio-blk-pci,drive=fcd$i,serial=$name") ;;
		nvme)
			disk_args+=(-drive "if=none,id=fcd$i,werror=report,rerror=report,$drive"
				    -device "nvme,drive=fcd$i,serial=$name") ;;
		sd)
			disk_args+=(-drive "if=sd,index=$sd,$drive")
			sd=$((sd + 1)) ;;
		esac
		i=$((i + 1))
		disk_env="$disk_env,$spec"
	done
	disk_env=" FPGACAP_DISKS=${disk_env#,} FPGACAP_DISK_IF=$disk_if"
}
