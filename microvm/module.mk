# microvm/: the host side of the microVM isolation level, and the guest init.
#
#   build/microvm/hull-init               static guest init and agent
#   build/microvm/initramfs.cpio.gz       the initramfs holding it as /init
#   build/microvm/hull-microvm-run        debug driver: run a bundle in a QEMU microVM
#
# microvm/guest/proto.c is compiled twice: into libhull (host) and into the
# static guest init.

MICROVM_HOST_SRCS := $(filter-out microvm/run_main.c,$(wildcard microvm/*.c))
HULL_SRCS += $(MICROVM_HOST_SRCS) microvm/guest/proto.c
