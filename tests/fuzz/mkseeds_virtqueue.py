#!/usr/bin/env python3
"""Writes the seed corpus of fuzz_virtqueue (tests/fuzz/corpus/virtqueue/):
well-formed driver sessions the fuzzer mutates from.  Layout as documented
at the top of fuzz_virtqueue.c."""
import os
import struct

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "virtqueue")
NEXT, WRITE, INDIRECT = 1, 2, 4


def ring_base(q):
    return 0x1000 + q * 0x400


class Mem:
    def __init__(self, size=0x3900):
        self.b = bytearray(size)

    def put(self, addr, data):
        self.b[addr:addr + len(data)] = data

    def desc(self, q, i, addr, length, flags, nxt=0):
        self.put(ring_base(q) + 16 * i, struct.pack("<QIHH", addr, length, flags, nxt))

    def avail(self, q, heads):
        base = ring_base(q) + 0x100
        self.put(base, struct.pack("<HH", 0, len(heads)))
        for k, h in enumerate(heads):
            self.put(base + 4 + 2 * k, struct.pack("<H", h))


BLK, CONSOLE, NET = 0, 1, 2
RO = 1
MULTIPORT = 2          # feature bit 1, and ports bits: (flags >> 1) & 3 -> 1 + that % 3 ports
THREE_PORTS = 2 << 1   # (2 % 3) + 1 = 3 ports, bit 1 set too


def seed(name, device, flags, mem, ops=b""):
    data = bytes([device, flags]) + struct.pack("<H", len(mem.b)) + bytes(mem.b) + ops
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)


def blk_request(m, q, head, hdr_addr, typ, sector, data_addr, data_len, data_flags, status_addr):
    m.put(hdr_addr, struct.pack("<IIQ", typ, 0, sector))
    m.desc(q, head, hdr_addr, 16, NEXT, head + 1)
    m.desc(q, head + 1, data_addr, data_len, data_flags | NEXT, head + 2)
    m.desc(q, head + 2, status_addr, 1, WRITE)


os.makedirs(OUT, exist_ok=True)

# virtio-blk: read, write, get-id, flush
m = Mem()
blk_request(m, 0, 0, 0x3000, 0, 1, 0x3200, 512, WRITE, 0x3010)
blk_request(m, 0, 3, 0x3020, 1, 2, 0x3400, 512, 0, 0x3030)
blk_request(m, 0, 6, 0x3040, 8, 0, 0x3600, 20, WRITE, 0x3050)
m.put(0x3060, struct.pack("<IIQ", 4, 0, 0))
m.desc(0, 9, 0x3060, 16, NEXT, 10)
m.desc(0, 10, 0x3070, 1, WRITE)
m.avail(0, [0, 3, 6, 9])
seed("blk-rw", BLK, 0, m, bytes([4, 0, 0, 3, 0, 7]))

# virtio-blk: an indirect table
m = Mem()
m.put(0x3000, struct.pack("<IIQ", 0, 0, 3))
m.put(0x3800, struct.pack("<QIHH", 0x3000, 16, NEXT, 1) + struct.pack("<QIHH", 0x3200, 512, WRITE | NEXT, 2)
      + struct.pack("<QIHH", 0x3010, 1, WRITE, 0))
m.desc(0, 0, 0x3800, 48, INDIRECT)
m.avail(0, [0])
seed("blk-indirect", BLK, RO, m, bytes([3, 0, 5, 0xff, 0xff, 0xff, 0xff]))

# virtio-blk: a chain that loops
m = Mem()
blk_request(m, 0, 0, 0x3000, 0, 1, 0x3200, 512, WRITE, 0x3010)
m.desc(0, 2, 0x3010, 1, WRITE | NEXT, 0)
m.avail(0, [0])
seed("blk-loop", BLK, 0, m)

# virtio-console, multiport with 3 ports: DEVICE_READY, PORT_READY x3,
# PORT_OPEN for port 1, data both ways.
m = Mem()
for i in range(8):   # control receive buffers (queue 2)
    m.desc(2, i, 0x3100 + 0x40 * i, 0x40, WRITE)
m.avail(2, list(range(8)))
msgs = [(0, 0, 1), (0, 3, 1), (1, 3, 1), (2, 3, 1), (1, 6, 1), (0, 6, 1)]
for i, (pid, ev, val) in enumerate(msgs):   # control transmit (queue 3)
    m.put(0x3000 + 8 * i, struct.pack("<IHH", pid, ev, val))
    m.desc(3, i, 0x3000 + 8 * i, 8, 0)
m.avail(3, list(range(len(msgs))))
m.put(0x3400, b"hello from the guest\n")
m.desc(5, 0, 0x3400, 21, 0)            # port 1 transmit
m.avail(5, [0])
m.desc(4, 0, 0x3500, 64, WRITE)        # port 1 receive
m.desc(0, 0, 0x3600, 64, WRITE)        # port 0 receive
seed("console-multiport", CONSOLE, THREE_PORTS | MULTIPORT, m, bytes([6, 5]) + b"input" + bytes([4, 2, 0, 3, 4, 3, 0]))

# virtio-console without multiport
m = Mem()
m.put(0x3400, b"plain\n")
m.desc(1, 0, 0x3400, 6, 0)
m.avail(1, [0])
m.desc(0, 0, 0x3600, 64, WRITE)
seed("console-single", CONSOLE, 0, m, bytes([6, 3]) + b"abc" + bytes([4, 0, 0]))

# virtio-net: receive buffers and one frame to transmit (header + frame)
m = Mem()
for i in range(4):
    m.desc(0, i, 0x3000 + 0x100 * i, 0x100, WRITE)
m.avail(0, list(range(4)))
m.put(0x3600, bytes(12) + b"\xff" * 6 + b"\x02\x00\x00\x00\x00\x01" + b"\x88\xb5" + b"hull-fuzz-frame")
m.desc(1, 0, 0x3600, 12, NEXT, 1)
m.desc(1, 1, 0x360c, 29, 0)
m.avail(1, [0])
seed("net-txrx", NET, 0xff, m, bytes([3, 1, 3, 0]))
