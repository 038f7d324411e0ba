"""Resource limits for a worker, set after fork and before student code is imported."""

from __future__ import annotations

import resource
from typing import Any

# name -> (resource limit, the unit of the value)
_LIMITS = {
    "memory_mb": (resource.RLIMIT_AS, 1024 * 1024),
    "file_size_mb": (resource.RLIMIT_FSIZE, 1024 * 1024),
    "open_files": (resource.RLIMIT_NOFILE, 1),
    "cpu_seconds": (resource.RLIMIT_CPU, 1),
}


def apply(limits: dict[str, Any]) -> str:
    """Set the limits; say which, for the report."""
    for name, value in limits.items():
        if name not in _LIMITS or value is None:
            continue
        which, unit = _LIMITS[name]
        soft = int(value) * unit
        _, hard = resource.getrlimit(which)
        if hard != resource.RLIM_INFINITY:
            soft = min(soft, hard)
        resource.setrlimit(which, (soft, soft if hard == resource.RLIM_INFINITY else hard))
    return "resource limits: " + ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in
                                          sorted(limits.items()) if k in _LIMITS)
