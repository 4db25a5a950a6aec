"""What the isolated grader process does: load the task, grade, write the grade.

The request (a JSON file) names the task package, the collected output, the inputs, the
reference, the variant's parameters and where to write the grade.
"""

from __future__ import annotations

import json
from pathlib import Path

from lastexam.grading.context import GradeContext
from lastexam.tasks.loader import load_task


def main(request_path: str) -> None:
    """Grade one trial as the request describes; raises whatever the grader raises."""
    request = json.loads(Path(request_path).read_text())
    task = load_task(Path(request["task_dir"]))
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
