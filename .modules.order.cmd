cmd_/work/main/modules.order := {   echo /work/main/fpgacap.ko; :; } > /work/main/modules.order
