"""Which copy of the exercises the public checks import.

Students check their own work in ``exercises/``; instructors point the same checks at
the reference solutions with ``AIOGRADE_TARGET=solutions pytest checks``.
"""

import importlib
import os
from types import ModuleType


def exercise(slug: str) -> ModuleType:
    package = os.environ.get("AIOGRADE_TARGET", "exercises")
    return importlib.import_module(f"{package}.{slug}")
