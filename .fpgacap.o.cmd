cmd_/work/main/fpgacap.o := ld -m elf_x86_64 -z noexecstack --no-warn-rwx-segments   -r -o /work/main/fpgacap.o @/work/main/fpgacap.mod 
