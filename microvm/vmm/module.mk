# The VMM is plain C on /dev/kvm; it links into hull (`hull vm boot`, and the
# microVM backend re-execs hull as the VMM).
HULL_SRCS += $(wildcard microvm/vmm/*.c)

VMM_UNIT_TESTS += $(patsubst tests/unit/%.c,%,$(wildcard tests/unit/test_vmm_*.c))
# The virtio device models' tests, and their libFuzzer target.
VMM_UNIT_TESTS += $(patsubst tests/unit/%.c,%,$(wildcard tests/unit/test_virtio_*.c))
include tests/fuzz/vmm.mk tests/tools/vmm.mk

# ---- the freestanding test guest (an ELF at 1 MiB, 64-bit and PVH entries)
TESTGUEST := $(BUILD)/testguest/testguest.elf
TESTGUEST_SRCS := $(wildcard microvm/vmm/testguest/*.c microvm/vmm/testguest/*.S)
TESTGUEST_OBJS := $(patsubst %,$(BUILD)/testguest/obj/%.o,$(TESTGUEST_SRCS))
TESTGUEST_CFLAGS := -std=gnu11 -O2 -Wall -Wextra -Werror -ffreestanding -nostdlib -fno-pic -fno-pie \
	-fno-stack-protector -fno-asynchronous-unwind-tables -fno-builtin -mno-sse -mno-mmx -mno-red-zone \
	-mgeneral-regs-only -mcmodel=small -I.

$(BUILD)/testguest/obj/%.c.o: %.c microvm/vmm/testguest/tg.h
	@mkdir -p $(dir $@)
	$(CC) $(TESTGUEST_CFLAGS) -c $< -o $@

$(BUILD)/testguest/obj/%.S.o: %.S
	@mkdir -p $(dir $@)
	$(CC) $(TESTGUEST_CFLAGS) -c $< -o $@

$(TESTGUEST): $(TESTGUEST_OBJS) microvm/vmm/testguest/linker.ld
	$(CC) -static -nostdlib -no-pie -Wl,--build-id=none -Wl,-z,noexecstack -Wl,--no-warn-rwx-segments \
		-T microvm/vmm/testguest/linker.ld -o $@ $(TESTGUEST_OBJS)

# ---- build/vmm-boot: `hull vm` on its own (same argv), for VMM work and benches
$(BUILD)/vmm-boot: microvm/vmm/tools/vmm_boot_main.c $(BUILD)/libhull.a
	$(CC) $(CPPFLAGS) $(CFLAGS) -o $@ $< $(BUILD)/libhull.a $(LIBS)

CHECK_DEPS += $(TESTGUEST) $(BUILD)/vmm-boot
all: $(TESTGUEST) $(BUILD)/vmm-boot

# The bats suites need the test guest and build/vmm-boot.
check-vmm: $(TESTGUEST) $(BUILD)/vmm-boot

# tests/module.mk owns the check-vmm recipe once it has one; until then
# this one runs the VMM's unit tests (plain and sanitized) and bats suites.
ifeq ($(filter check-vmm:%,$(shell grep -h '^check-vmm:' tests/module.mk 2>/dev/null)),)
VMM_UNIT_BINS = $(addprefix $(BUILD)/tests/,$(sort $(VMM_UNIT_TESTS))) \
	$(addprefix $(BUILD)/tests-asan/,$(sort $(VMM_UNIT_TESTS)))
check-vmm: $(BUILD)/hull $(addprefix $(BUILD)/tests/,$(VMM_UNIT_TESTS)) $(addprefix $(BUILD)/tests-asan/,$(VMM_UNIT_TESTS))
	@tests/run-tests.sh --unit $(VMM_UNIT_BINS) --bats $(sort $(wildcard tests/bats/vmm_*.bats))
endif
