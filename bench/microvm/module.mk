# bench/microvm: the microVM level against crun and the container level.
#   make bench-microvm                       10 iterations
#   make bench-microvm BENCH_ARGS="-n 30"    see bench/microvm/run.sh --help
.PHONY: bench-microvm
bench-microvm: $(BUILD)/hull $(BUILD)/bench/benchrun $(BUILD)/microvm/initramfs.cpio.gz
	BENCHRUN=$(abspath $(BUILD)/bench/benchrun) HULL=$(abspath $(BUILD)/hull) bench/microvm/run.sh $(BENCH_ARGS)
