"""The values the ``aiograde`` command's options default to, and their choices.

Kept apart from the grading machinery (which imports pytest) so that the command reads
them, parses its arguments and starts the fork server before that machinery loads.
"""

# Lanes (grader processes) sharing one submission's tests: their tests mostly wait, so more
# lanes than cores. On 2 cores 8 took 0.90 to 0.96x the wall time of 6 (three sittings, the
# same CPU time): the real-clock units, ten of them, then all start at once; 10 gained nothing.
DEFAULT_PARALLEL = 8

# A grading waits on the real clock for part of its time (its real-clock exercises, one
# after another), so a core takes several submissions: on 2 cores, 40 students took 62 s
# with 4 jobs, 48 s with 6 and 45 s with 8, the same CPU time and the same reports
# (bench/README.md). More only contend.
JOBS_PER_CORE = 4
# Submissions already run side by side: one grader process each is enough.
PARALLEL_PER_SUBMISSION = 1

# "tampering" (the default): zero an exercise with a finding of tampering, flag the rest;
# "flag": only flag; "zero": zero every flagged exercise (see _tamper.SEVERITY).
TAMPER_POLICIES = ("tampering", "flag", "zero")
