"""HOSTILE (or careless): an import that never ends, swallowing every interruption."""
while True:
    try:
        pass
    except BaseException:
        pass
