insmod /lib/modules/fpgacap.ko pattern_devices=1
/bin/segdbg /dev/fpgacap-slave 2
/bin/segdbg /dev/fpgacap-slave 10
