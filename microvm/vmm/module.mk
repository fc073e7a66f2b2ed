# The VMM is plain C on /dev/kvm; it links into hull (`hull vm boot`, and the
# microVM backend re-execs hull as the VMM).
HULL_SRCS += $(wildcard microvm/vmm/*.c)
