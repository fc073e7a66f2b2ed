# Host-side helpers of the VMM's bats suites.  Included from microvm/vmm/module.mk.
VMM_TEST_TOOLS := $(BUILD)/tools/vmm_frame_peer

$(BUILD)/tools/vmm_frame_peer: tests/tools/vmm_frame_peer.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -o $@ $<

CHECK_DEPS += $(VMM_TEST_TOOLS)
check-vmm: $(VMM_TEST_TOOLS)
