"""Code that runs inside the sandboxed child, beside student code.

Nothing here decides a grade: it runs scenarios and reports what it saw as plain
data. The parent, which never imports student code, draws every conclusion.
"""

# The watchdog's line in a worker's log when the loop has been stuck in one step; the
# parent looks for it when it has to stop a worker that ran out of time.
STUCK_MARK = "aiograde: event loop stuck at "
