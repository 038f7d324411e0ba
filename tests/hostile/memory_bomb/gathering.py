"""HOSTILE: allocates far more memory than any exercise needs, at import."""
hog = bytearray(16 * 1024**3)
