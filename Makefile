# hull — top-level build.  Each directory owns a module.mk fragment that
# appends to the variables below; this file only holds the common rules.
#
#   make                 build/hull
#   make check           every test (unit, unit under ASan/UBSan, bats), ends with "N passed, M failed"
#   make check-unit      unit tests only
#   make check-vmm       VMM tests only
#   make conformance     OCI runtime-tools validation suite against build/hull
#   make guest-kernel    minimal guest kernel (cached outside the tree)
#   make install PREFIX=/usr/local

PREFIX ?= /usr/local
BUILD ?= build
CC ?= gcc
PKG_CONFIG ?= pkg-config
OBJCOPY ?= objcopy

WARN := -Wall -Wextra -Werror -Wno-unused-parameter
CPPFLAGS += -D_GNU_SOURCE -I. -I$(BUILD)/gen
CFLAGS ?= -O2 -g
CFLAGS += -std=gnu11 $(WARN) -fno-strict-aliasing
LIBS := -lyajl -lseccomp -lcap -lcgroup -lpthread

SANITIZE_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined

# Filled by the module.mk fragments.
HULL_SRCS :=        # linked into build/hull and build/libhull.a
HULL_MAIN_SRCS :=   # only in build/hull (main())
UNIT_TESTS :=       # tests/unit/<name>.c, each linked against libhull.a
VMM_UNIT_TESTS :=   # unit tests that belong to `make check-vmm` too
FUZZ_TARGETS :=     # fuzz/<name>.c built with clang -fsanitize=fuzzer
CHECK_DEPS :=       # extra artefacts `make check` needs built first
INSTALL_EXTRA :=

.PHONY: all clean install check check-unit check-unit-asan check-vmm conformance fuzz bench guest-kernel
all: $(BUILD)/hull

include $(sort $(wildcard */module.mk */*/module.mk))

HULL_OBJS := $(patsubst %.c,$(BUILD)/obj/%.o,$(HULL_SRCS))
MAIN_OBJS := $(patsubst %.c,$(BUILD)/obj/%.o,$(HULL_MAIN_SRCS))
ASAN_OBJS := $(patsubst %.c,$(BUILD)/asan/%.o,$(HULL_SRCS))

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/asan/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(SANITIZE_FLAGS) -MMD -MP -c $< -o $@

$(BUILD)/libhull.a: $(HULL_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/libhull-asan.a: $(ASAN_OBJS)
	@rm -f $@
	ar rcs $@ $^

# create, run and exec copy the binary into a sealed memfd and re-exec it
# (CVE-2019-5736), so its size is paid on every container: the debug info is
# split off into build/hull.debug (found by gdb through the debug link).
$(BUILD)/hull: $(MAIN_OBJS) $(BUILD)/libhull.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@.full $(MAIN_OBJS) $(BUILD)/libhull.a $(LIBS)
	$(OBJCOPY) --only-keep-debug $@.full $@.debug
	$(OBJCOPY) --strip-all --add-gnu-debuglink=$@.debug $@.full $@
	@rm -f $@.full

# Unit tests: build/tests/<name> and build/tests-asan/<name>.
UNIT_BINS := $(addprefix $(BUILD)/tests/,$(UNIT_TESTS))
UNIT_ASAN_BINS := $(addprefix $(BUILD)/tests-asan/,$(UNIT_TESTS))

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libhull.a tests/unit/tap.h
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -o $@ $< $(BUILD)/libhull.a $(LIBS)

$(BUILD)/tests-asan/%: tests/unit/%.c $(BUILD)/libhull-asan.a tests/unit/tap.h
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(SANITIZE_FLAGS) -o $@ $< $(BUILD)/libhull-asan.a $(LIBS)

check-unit: $(UNIT_BINS)
	@tests/run-tests.sh --unit $(UNIT_BINS)

check-unit-asan: $(UNIT_ASAN_BINS)
	@tests/run-tests.sh --unit $(UNIT_ASAN_BINS)

install: $(BUILD)/hull $(INSTALL_EXTRA)
	install -D -m 0755 $(BUILD)/hull $(DESTDIR)$(PREFIX)/bin/hull
	ln -sf hull $(DESTDIR)$(PREFIX)/bin/hull-vm

clean:
	rm -rf $(BUILD)

-include $(HULL_OBJS:.o=.d) $(MAIN_OBJS:.o=.d) $(ASAN_OBJS:.o=.d)
