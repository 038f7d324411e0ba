"""HOSTILE: exits with status 0 at import, hoping an exit code is taken for success."""
import os

os._exit(0)
