# microvm/: the host side of the microVM isolation level, and the guest init.
#
#   build/microvm/hull-init               static guest init and agent (pid 1 in the VM)
#   build/microvm/initramfs.cpio.gz       the initramfs holding it as /init
#   build/microvm/hull-microvm-run        debug driver: run a bundle in a QEMU microVM
#
# microvm/guest/proto*.c are compiled twice: into libhull for the host, and
# into the static guest init.

MICROVM_HOST_SRCS := $(filter-out microvm/run_main.c microvm/backend_microvm.c,$(wildcard microvm/*.c))
# The isolation backend plugs into the runtime's lifecycle (runtime/backend.h).
MICROVM_HOST_SRCS += $(if $(wildcard runtime/backend.h runtime/state_dir.h),microvm/backend_microvm.c)
HULL_SRCS += $(MICROVM_HOST_SRCS) microvm/guest/proto.c microvm/guest/proto_process.c

GUEST_INIT_SRCS := microvm/guest/init.c microvm/guest/rootfs.c microvm/guest/spawn.c microvm/guest/agent.c \
                   microvm/guest/net.c microvm/guest/proto.c microvm/guest/proto_process.c
GUEST_INIT_HDRS := microvm/guest/guest.h microvm/guest/proto.h

$(BUILD)/microvm/hull-init: $(GUEST_INIT_SRCS) $(GUEST_INIT_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -std=gnu11 $(WARN) -Os -static -o $@ $(GUEST_INIT_SRCS)
	strip $@

$(BUILD)/microvm/mkinitramfs: microvm/guest/mkinitramfs.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -o $@ $<

$(BUILD)/microvm/initramfs.cpio.gz: $(BUILD)/microvm/hull-init $(BUILD)/microvm/mkinitramfs
	$(BUILD)/microvm/mkinitramfs dir dev 0755 nod dev/console 0600 c 5 1 dir proc 0555 dir sys 0555 \
	    dir newroot 0755 file init 0755 $(BUILD)/microvm/hull-init | gzip -9n > $@.tmp
	mv $@.tmp $@

$(BUILD)/microvm/hull-microvm-run: microvm/run_main.c $(BUILD)/libhull.a
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -o $@ $< $(BUILD)/libhull.a $(LIBS)

# Where the runtime finds the initramfs: installed, or in this build tree
# (hull re-executes itself from a sealed memfd, so /proc/self/exe cannot say).
MICROVM_DIRS := -DHULL_INITRD_INSTALLED=\"$(PREFIX)/lib/hull/initramfs.cpio.gz\" \
                -DHULL_INITRD_BUILT=\"$(abspath $(BUILD))/microvm/initramfs.cpio.gz\"
$(BUILD)/obj/microvm/vm_setup.o $(BUILD)/asan/microvm/vm_setup.o: CPPFLAGS += $(MICROVM_DIRS)

.PHONY: install-microvm
install-microvm: $(BUILD)/microvm/initramfs.cpio.gz
	install -D -m 0644 $< $(DESTDIR)$(PREFIX)/lib/hull/initramfs.cpio.gz
INSTALL_EXTRA += install-microvm

.PHONY: microvm
microvm: $(BUILD)/microvm/initramfs.cpio.gz $(BUILD)/microvm/hull-microvm-run
all: $(BUILD)/microvm/initramfs.cpio.gz
CHECK_DEPS += $(BUILD)/microvm/initramfs.cpio.gz $(BUILD)/microvm/hull-microvm-run
