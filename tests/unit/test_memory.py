"""The mmap threshold that `serve` and `worker` set: glibc's dynamic one rises past asyncio's
256 KiB read buffers once one is freed, and the heap then fragments (docs/operations.md)."""

import subprocess
import sys

from marketlink.memory import set_mmap_threshold

# In a fresh interpreter: free one 300 KiB block (glibc's dynamic threshold, if still on, rises
# above it), then count the blocks that have their own mapping before and after a 200 KiB one.
PROBE = """
import ctypes, sys
from marketlink.memory import set_mmap_threshold

class Mallinfo2(ctypes.Structure):
    _fields_ = [(n, ctypes.c_size_t) for n in
                ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks",
                 "uordblks", "fordblks", "keepcost")]

libc = ctypes.CDLL(None)
libc.mallinfo2.restype = Mallinfo2
libc.malloc.restype = ctypes.c_void_p
libc.free.argtypes = (ctypes.c_void_p,)
took = set_mmap_threshold(int(sys.argv[1]))
libc.free(libc.malloc(300 * 1024))
before = libc.mallinfo2().hblks
block = libc.malloc(200 * 1024)
print(took, libc.mallinfo2().hblks - before)
libc.free(block)
"""


def probe(threshold: int) -> str:
    return subprocess.run([sys.executable, "-c", PROBE, str(threshold)], capture_output=True,
                          text=True, check=True).stdout.strip()


def test_a_set_threshold_keeps_large_blocks_in_their_own_mappings():
    assert probe(131_072) == "True 1"


def test_without_it_glibc_raises_its_threshold_and_the_block_goes_to_the_heap():
    assert probe(0) == "False 0"


def test_zero_leaves_the_c_library_alone():
    assert set_mmap_threshold(0) is False
