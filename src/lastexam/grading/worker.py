"""Entry point of the isolated grader process: ``python -m lastexam.grading.worker REQUEST.json``.

The request names the task package, the collected output, the inputs, the reference, the
variant's parameters and where to write the grade. Exit status 0 means the grade was written.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from lastexam.grading.context import GradeContext
from lastexam.tasks.loader import load_task


def main(request_path: str) -> int:
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
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
