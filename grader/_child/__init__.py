"""Code that runs inside the sandboxed child, beside student code.

Nothing here decides a grade: it runs scenarios and reports what it saw as plain
data. The parent, which never imports student code, draws every conclusion.
"""

# The watchdog's line in a worker's log when the loop has been stuck in one step; the
# parent looks for it when it has to stop a worker that ran out of time.
STUCK_MARK = "aiograde: event loop stuck at "

# What a worker sees of the machine besides its own folders and the Python it runs on (the
# parent lists it too, for each sandbox: here, so the parent needs no import of confine).
SYSTEM_PATHS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32",
                "/etc/passwd", "/etc/group", "/etc/hosts", "/etc/nsswitch.conf", "/etc/localtime",
                "/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/alternatives",
                "/etc/ssl")
