"""Resource limits for a worker, set after fork and before student code is imported."""

from __future__ import annotations

import resource

from grader._wire import Limits

# field of Limits -> (resource limit, the unit of the value)
_LIMITS = {
    "memory_mb": (resource.RLIMIT_AS, 1024 * 1024),
    "file_size_mb": (resource.RLIMIT_FSIZE, 1024 * 1024),
    "open_files": (resource.RLIMIT_NOFILE, 1),
    "cpu_seconds": (resource.RLIMIT_CPU, 1),
}


def apply(limits: Limits) -> str:
    """Set the limits; say which, for the report."""
    for name, (which, unit) in _LIMITS.items():
        soft = int(getattr(limits, name)) * unit
        _, hard = resource.getrlimit(which)
        if hard != resource.RLIM_INFINITY:
            soft = min(soft, hard)
        resource.setrlimit(which, (soft, soft if hard == resource.RLIM_INFINITY else hard))
    return "resource limits: " + ", ".join(f"{name.replace('_', ' ')} {getattr(limits, name)}"
                                          for name in sorted(_LIMITS))
