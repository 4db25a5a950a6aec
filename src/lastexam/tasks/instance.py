"""Instances: a task with one variant's parameters, and how its inputs and reference are made."""

from __future__ import annotations

import hashlib
import shutil
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import jinja2

from lastexam.contracts.sandbox import INPUT_DIR, OUTPUT_DIR
from lastexam.tasks.canary import CANARY_FILE, canary_notice
from lastexam.tasks.loader import Task


def variant_seed(task_id: str, variant: int, salt: str | None = None) -> int:
    """A stable seed for one variant: the same on every machine and every run.

    With a ``salt`` (a secret of the evaluator's), the seed is ``sha256(salt|task|variant)``: the public
    seeds then reproduce only the public instances, and nobody without the salt can regenerate these.
    """
    text = f"{task_id}@{variant}" if salt is None else f"{salt}|{task_id}|{variant}"
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:4], "big")


def salt_hash(salt: str) -> str:
    """What results record of a salt: a short hash that tells salts apart and cannot be turned back into one."""
    return hashlib.sha256(f"ale-salt:{salt}".encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Instance:
    """One variant of a task: ``cluster/task@N``."""

    task: Task
    variant: int
    salt: str | None = field(default=None, repr=False)
    """The evaluator's secret mixed into the seed (``variant_seed``); None for the public instance."""

    @property
    def id(self) -> str:
        return f"{self.task.id}@{self.variant}"

    @property
    def salt_hash(self) -> str | None:
        """``salt_hash(salt)``, or None for the public instance."""
        return None if self.salt is None else salt_hash(self.salt)

    def salted(self, salt: str | None) -> Instance:
        """The same variant with ``salt`` mixed into its seed (None: the public instance)."""
        return replace(self, salt=salt)

    @property
    def params(self) -> dict[str, Any]:
        """The variant's parameters; always holds ``variant`` and ``seed``."""
        spec = self.task.spec.variants
        base = dict(spec.params[self.variant]) if spec.params is not None else {}
        return {"variant": self.variant, "seed": variant_seed(self.task.id, self.variant, self.salt), **base}

    def render_instruction(self) -> str:
        """The instruction as the agent sees it (``render_instruction`` with this variant's params)."""
        return render_instruction(self.task, self.params)

    def materialize(self, input_dir: Path, reference_dir: Path) -> None:
        """Write the instance's inputs and hidden reference in this process (``generate_instance``)."""
        generate_instance(self.task, self.params, input_dir, reference_dir)


def render_instruction(task: Task, params: dict[str, Any]) -> str:
    """The instruction as the agent sees it: the task's template rendered with the sandbox paths and ``params``,
    ending with the task's canary line.

    Raises:
        jinja2.TemplateError: a broken template or a variable that the params lack.
    """
    env = jinja2.Environment(undefined=jinja2.StrictUndefined, keep_trailing_newline=True, autoescape=False)
    template = env.from_string(task.instruction_template)
    text = template.render(input_dir=INPUT_DIR, output_dir=OUTPUT_DIR, params=params, **params)
    return f"{text.rstrip()}\n\n{canary_notice(task.spec.canary)}\n"


def generate_instance(task: Task, params: dict[str, Any], input_dir: Path, reference_dir: Path) -> None:
    """Write an instance's inputs and hidden reference for ``params`` (seed included, salted or not):
    ``data/`` copied, ``generate`` run, and the task's canary written into both as ``CANARY.txt``."""
    input_dir.mkdir(parents=True, exist_ok=True)
    reference_dir.mkdir(parents=True, exist_ok=True)
    if task.data_dir.is_dir():
        shutil.copytree(task.data_dir, input_dir, dirs_exist_ok=True)
    module = task.module()
    generate = getattr(module, "generate", None) if module else None
    if generate is not None:
        generate(params, input_dir, reference_dir)
    for directory in (input_dir, reference_dir):
        (directory / CANARY_FILE).write_text(canary_notice(task.spec.canary) + "\n")


def instances_of(task: Task) -> list[Instance]:
    """Every variant of a task."""
    return [Instance(task, i) for i in range(task.spec.variants.size)]
