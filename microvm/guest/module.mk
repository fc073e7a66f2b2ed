# microvm/guest: the guest side of the microVM isolation level.
#
# The guest kernel is built outside the normal build (minutes of CPU) and
# cached outside the tree; `make guest-kernel` prints its directory last.
guest-kernel:
	@microvm/guest/kernel/build.sh
