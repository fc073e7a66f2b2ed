# libFuzzer targets (clang).  `make fuzz` builds them; `make check-fuzz` runs
# each for a fixed number of inputs from its seed corpus and fails on a crash,
# a leak or undefined behaviour.  New inputs go to a scratch directory, never
# into the tree.
FUZZ_CC ?= clang
FUZZ_FLAGS := -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
FUZZ_RUNS ?= 20000
FUZZ_TARGETS += fuzz_oci_spec

# The parser target links only oci-spec/ and the error convention: it must
# stay pure (no syscalls beyond reading memory).
FUZZ_OCI_SPEC_SRCS := tests/fuzz/fuzz_oci_spec.c $(wildcard oci-spec/*.c) runtime/error.c

$(BUILD)/fuzz/fuzz_oci_spec: $(FUZZ_OCI_SPEC_SRCS) $(wildcard oci-spec/*.h) runtime/error.h
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(CPPFLAGS) -std=gnu11 $(WARN) $(FUZZ_FLAGS) -o $@ $(FUZZ_OCI_SPEC_SRCS) -lyajl

.PHONY: check-fuzz
fuzz: $(addprefix $(BUILD)/fuzz/,$(FUZZ_TARGETS))

check-fuzz: fuzz
	@set -e; for t in $(FUZZ_TARGETS); do \
	    scratch=$$(mktemp -d); \
	    echo "# fuzz $$t: $(FUZZ_RUNS) runs"; \
	    $(BUILD)/fuzz/$$t -runs=$(FUZZ_RUNS) -max_len=16384 -timeout=10 -rss_limit_mb=1024 \
	        -dict=tests/fuzz/$${t#fuzz_}.dict -artifact_prefix=$$scratch/ $$scratch tests/fuzz/corpus/$${t#fuzz_} \
	        > $$scratch/log 2>&1 || { tail -50 $$scratch/log; echo "fuzz $$t failed: crash input kept in $$scratch"; exit 1; }; \
	    tail -1 $$scratch/log; rm -rf $$scratch; \
	done
