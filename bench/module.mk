# bench/: hull side by side with crun and runc (Debian packages crun, runc).
#   make bench                       30 iterations, 100 containers for state/list
#   make bench BENCH_ARGS="-n 100"   see bench/run.sh --help
# Needs root.  Timings go to stdout; nothing is asserted.
BENCH_ARGS ?=

$(BUILD)/bench/benchrun: bench/benchrun.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -o $@ $<

bench: $(BUILD)/hull $(BUILD)/bench/benchrun
	BENCHRUN=$(abspath $(BUILD)/bench/benchrun) HULL=$(abspath $(BUILD)/hull) bench/run.sh $(BENCH_ARGS)
