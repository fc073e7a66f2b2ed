# bench/vmm: hull's VMM next to QEMU microvm booting the same test guest.
$(BUILD)/bench/vmmbench: bench/vmm/vmmbench.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -o $@ $<

bench-vmm: $(BUILD)/bench/vmmbench $(BUILD)/vmm-boot $(TESTGUEST)
	bench/vmm/run.sh
