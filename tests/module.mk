# tests/: unit tests (tests/unit/test_*.c, TAP via tests/unit/tap.h) and bats
# suites (tests/bats/*.bats).  Every check target runs ONE tests/run-tests.sh
# so its last line, "N passed, M failed", covers everything it ran.
#
#   make check          build/hull, unit tests plain and under ASan/UBSan,
#                       then every bats suite
#   make check-vmm      the VMM's unit tests (VMM_UNIT_TESTS, test_vmm_*,
#                       test_virtio_*) plain and sanitized, then bats vmm_*
#   make conformance    the OCI runtime-tools validation suite against
#                       build/hull, compared with the expected failures
#
# A module adds what its tests need built first to CHECK_DEPS, and what the
# VMM's tests need (e.g. a test guest) to VMM_CHECK_DEPS, which both check
# and check-vmm build.
#
# MICROVM_PARITY_SUITES are container suites that `check` runs a second time
# at the microVM level (HULL_ISOLATION=microvm: helpers.bash's `hull` adds
# --isolation microvm; QEMU/TCG here), reported as "HULL_ISOLATION=microvm
# FILE"; `make check-microvm-parity` runs only that second pass.  A test
# that inspects a host-side detail a VM cannot have says so with
# container_only.  With BATS=..., only the chosen suites that are in the
# list get the second pass.
#
# BATS=... picks suites, e.g. `make check BATS=tests/bats/lifecycle.bats`;
# TEST_TIMEOUT=SEC overrides the per-program / per-suite time limit.

UNIT_TESTS += $(patsubst tests/unit/%.c,%,$(wildcard tests/unit/test_*.c))

BATS ?= $(sort $(wildcard tests/bats/*.bats))
VMM_BATS ?= $(sort $(wildcard tests/bats/vmm_*.bats))
MICROVM_PARITY_SUITES ?= $(addprefix tests/bats/,lifecycle.bats lifecycle_kill.bats lifecycle_tty.bats \
	exec.bats ns_process.bats ns_mounts.bats ns_network.bats)
MICROVM_PARITY = $(filter $(BATS),$(MICROVM_PARITY_SUITES))
TEST_TIMEOUT ?=
RUN_TESTS = tests/run-tests.sh $(if $(TEST_TIMEOUT),--timeout $(TEST_TIMEOUT))

# Recursive variables: UNIT_TESTS and the others are complete only once every
# module.mk has been read, which is before any recipe runs.
VMM_UNIT_NAMES = $(sort $(VMM_UNIT_TESTS) $(filter test_vmm_% test_virtio_%,$(UNIT_TESTS)))
VMM_UNIT_BINS = $(addprefix $(BUILD)/tests/,$(VMM_UNIT_NAMES)) $(addprefix $(BUILD)/tests-asan/,$(VMM_UNIT_NAMES))

# $(call build_and_run,ARTEFACTS,UNIT-PROGRAMS,BATS-SUITES): build with -k,
# so one module's broken test or tool does not hide every other result: what
# did not build counts as a failure in the one summary (run-tests.sh
# --build-log), and the rest runs.
# $(4): bats suites run again with HULL_ISOLATION=microvm.
define build_and_run
	@mkdir -p $(BUILD)
	@$(MAKE) --no-print-directory -k $(1) $(2) 2>&1 | tee $(BUILD)/$@.build.log
	@$(RUN_TESTS) --build-log $(BUILD)/$@.build.log --unit $(2) --bats $(3) \
		$(if $(strip $(4)),--env HULL_ISOLATION=microvm $(4))
endef

check: $(BUILD)/hull
	$(call build_and_run,$(CHECK_DEPS) $(VMM_CHECK_DEPS),$(UNIT_BINS) $(UNIT_ASAN_BINS),$(BATS),$(MICROVM_PARITY))

.PHONY: check-microvm-parity
check-microvm-parity: $(BUILD)/hull
	$(call build_and_run,$(CHECK_DEPS) $(VMM_CHECK_DEPS),,,$(MICROVM_PARITY))

check-vmm: $(BUILD)/hull
	$(call build_and_run,$(VMM_CHECK_DEPS),$(VMM_UNIT_BINS),$(VMM_BATS))

# ../shared/oci-validation beside the checkout, as CI places it.
OCI_VALIDATION ?= ../shared/oci-validation
conformance: $(BUILD)/hull
	@.ci/conformance --suite $(OCI_VALIDATION) --results $(BUILD)/conformance $(BUILD)/hull
