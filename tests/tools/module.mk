# Small helper programs for the bats suites, built into build/tools/.
TEST_TOOLS := $(patsubst tests/tools/%.c,$(BUILD)/tools/%,$(wildcard tests/tools/*.c))

$(BUILD)/tools/%: tests/tools/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -o $@ $<

CHECK_DEPS += $(TEST_TOOLS)
.PHONY: test-tools
test-tools: $(TEST_TOOLS)
