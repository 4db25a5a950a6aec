"""The contracts every layer shares, as plain data: the trial request, key and result, the agent's run and
usage, the trajectory, checks and grades, run facts, and the sandbox's limits and paths.

This package imports nothing else of the project (a test checks it), so a worker, the results store or a
report can load it without the agent loop, the sandbox backend or the analysis stack.
"""
