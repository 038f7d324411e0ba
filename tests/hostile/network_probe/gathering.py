"""HOSTILE: looks for a way out: returns the network interfaces it can see."""
import socket


async def slow_square(x, delay):
    return sorted(name for _, name in socket.if_nameindex())
