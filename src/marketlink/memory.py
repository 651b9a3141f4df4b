"""Process memory policy: glibc's mmap threshold, set once when `serve` or `worker` starts."""

import ctypes

M_MMAP_THRESHOLD = -3  # glibc's <malloc.h>


def set_mmap_threshold(threshold: int) -> bool:
    """Make malloc give allocations of ``threshold`` bytes or more their own mapping.

    Returns whether the C library took it: False for 0 (keep glibc's dynamic threshold) and
    where there is no glibc ``mallopt`` (macOS, musl answers 0)."""
    if threshold <= 0:
        return False
    try:  # the C library already loaded into this process (no ldconfig lookup at start)
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    return mallopt(M_MMAP_THRESHOLD, threshold) == 1
