"""Grading: the isolated grader runner and blame (the Check/Grade model is ``lastexam.contracts.grade``; the
task author's API is ``lastexam.task``)."""
