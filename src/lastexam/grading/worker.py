"""A task's own code at work: generate an instance (in a process forked by the fork server) or grade a
trial (``python -m lastexam.grading.worker REQUEST``, inside the grader sandbox).

The request (a JSON file) names the task package and the variant's parameters; for ``generate``
the input and reference directories to fill, for ``grade`` the collected output, the inputs, the
reference, the grader's work directory and where to write the grade.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from lastexam.grading.tools import socket_runner
from lastexam.task import Grading
from lastexam.tasks.loader import load_task


def main(request_path: str) -> None:
    """Carry out one request; raises whatever the task's code raises."""
    request = json.loads(Path(request_path).read_text())
    task = load_task(Path(request["task_dir"]))
    if request["action"] == "generate":
        from lastexam.tasks.instance import generate_instance  # the grader sandbox never needs it (nor its cost)

        generate_instance(task, request["params"], Path(request["input_dir"]), Path(request["reference_dir"]))
        return
    tool_fd = os.environ.get("ALE_TOOL_FD")
    context = Grading(
        output_dir=Path(request["output_dir"]), input_dir=Path(request["input_dir"]),
        reference_dir=Path(request["reference_dir"]), params=request["params"], work_dir=Path(request["work_dir"]),
        tools=socket_runner(int(tool_fd)) if tool_fd else None,
    )
    try:
        module = task.module()
        assert module is not None
        module.grade(context)
    finally:
        context.close()
    Path(request["grade_path"]).write_text(context.grade.model_dump_json(indent=2))


if __name__ == "__main__":
    main(sys.argv[1])
