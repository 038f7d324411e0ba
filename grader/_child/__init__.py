"""Code that runs inside the sandboxed child, beside student code.

Nothing here decides a grade: it runs scenarios and reports what it saw as plain
data. The parent, which never imports student code, draws every conclusion.
"""
