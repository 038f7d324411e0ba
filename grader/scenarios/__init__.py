"""Scenarios: trusted code that the child runs against a student module, one module per exercise."""

import importlib
import pkgutil

for _info in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_info.name}")
