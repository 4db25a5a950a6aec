"""What a forked task-code process does: load the task, then generate an instance or grade a trial.

The request (a JSON file) names the action, the task package and the variant's parameters, and
for ``generate`` the input and reference directories to fill, for ``grade`` the collected output,
the inputs, the reference and where to write the grade.
"""

from __future__ import annotations

import json
from pathlib import Path

from lastexam.grading.context import GradeContext
from lastexam.tasks.instance import Instance
from lastexam.tasks.loader import load_task


def main(request_path: str) -> None:
    """Carry out one request; raises whatever the task's code raises."""
    request = json.loads(Path(request_path).read_text())
    task = load_task(Path(request["task_dir"]))
    if request["action"] == "generate":
        Instance(task, request["params"]["variant"]).materialize(Path(request["input_dir"]),
                                                                  Path(request["reference_dir"]))
        return
    context = GradeContext(
        output_dir=Path(request["output_dir"]),
        input_dir=Path(request["input_dir"]),
        reference_dir=Path(request["reference_dir"]),
        params=request["params"],
    )
    try:
        module = task.module()
        assert module is not None
        module.grade(context)
    finally:
        context.close()
    Path(request["grade_path"]).write_text(context.grade.model_dump_json(indent=2))
