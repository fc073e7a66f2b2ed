# libFuzzer target for the VMM's guest-facing parsing (virtio-mmio registers,
# split virtqueues, virtio-blk, virtio-console and virtio-net requests).  Included from
# microvm/vmm/module.mk.  `make fuzz` builds it; `make check-fuzz-vmm` runs
# it for FUZZ_RUNS inputs from the seed corpus (new inputs go to a scratch
# directory, never into the tree); `make check-fuzz` runs it with the other
# targets when tests/fuzz/module.mk is present.
VMM_FUZZ_CC ?= clang
VMM_FUZZ_FLAGS := -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
FUZZ_RUNS ?= 20000
FUZZ_TARGETS += fuzz_virtqueue

# Only the device models and what they need: no KVM, no runtime.
FUZZ_VIRTQUEUE_SRCS := tests/fuzz/fuzz_virtqueue.c microvm/vmm/virtqueue.c microvm/vmm/virtio_mmio.c \
	microvm/vmm/virtio_blk.c microvm/vmm/virtio_console.c microvm/vmm/virtio_net.c microvm/vmm/event_loop.c \
	microvm/vmm/vmm_err.c

$(BUILD)/fuzz/fuzz_virtqueue: $(FUZZ_VIRTQUEUE_SRCS) $(wildcard microvm/vmm/*.h)
	@mkdir -p $(dir $@)
	$(VMM_FUZZ_CC) $(CPPFLAGS) -std=gnu11 $(WARN) $(VMM_FUZZ_FLAGS) -o $@ $(FUZZ_VIRTQUEUE_SRCS) -lpthread

.PHONY: check-fuzz-vmm
fuzz: $(BUILD)/fuzz/fuzz_virtqueue

check-fuzz-vmm: $(BUILD)/fuzz/fuzz_virtqueue
	@scratch=$$(mktemp -d); \
	echo "# fuzz fuzz_virtqueue: $(FUZZ_RUNS) runs"; \
	$(BUILD)/fuzz/fuzz_virtqueue -runs=$(FUZZ_RUNS) -max_len=16384 -timeout=10 -rss_limit_mb=1024 \
	    -dict=tests/fuzz/virtqueue.dict -artifact_prefix=$$scratch/ $$scratch tests/fuzz/corpus/virtqueue \
	    > $$scratch/log 2>&1 || { tail -50 $$scratch/log; echo "fuzz fuzz_virtqueue failed: crash input kept in $$scratch"; exit 1; }; \
	tail -1 $$scratch/log; rm -rf $$scratch
