"""The grader's own sandbox: ``grade(g)`` runs as an unprivileged user that sees the collected output,
the inputs and the reference read-only, a scratch directory of its own, and the software it needs
(the system, the Python environment, the framework, its task package), and nothing else of the host.

When the harness runs as root, bubblewrap sets the mounts up as root without a user namespace (so
that it can bind an interpreter under a private home such as ``/root/.pyenv``), and ``setpriv``
then drops to a leased uid with no capabilities before any task code runs. Otherwise bubblewrap
runs unprivileged in a user namespace as the harness's own user.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import lastexam

GRADE_ROOT = Path("/grade")
OUTPUT = GRADE_ROOT / "output"
INPUT = GRADE_ROOT / "input"
REFERENCE = GRADE_ROOT / "reference"
WORK = GRADE_ROOT / "work"
_TMP_BYTES = 1 << 30
_USR_LINKS = (("usr/bin", "/bin"), ("usr/sbin", "/sbin"), ("usr/lib", "/lib"), ("usr/lib64", "/lib64"))
_PASSED_ENV = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OMP_NUM_THREADS")


def software_paths() -> list[Path]:
    """Host directories the grader needs read-only: the interpreter, the environment, the framework."""
    paths = [Path(sys.base_prefix).resolve(), Path(sys.prefix).resolve()]
    framework = Path(lastexam.__file__).resolve().parent.parent
    if not any(framework.is_relative_to(p) for p in paths):
        paths.append(framework)
    return paths


def interpreter() -> str:
    """This Python as the grader sandbox sees it: the sandbox binds the environment by its resolved path
    (``software_paths``), so an environment reached through a symlink is named by that path too."""
    executable, prefix = Path(sys.executable), Path(sys.prefix)
    if executable.is_relative_to(prefix):
        return str(prefix.resolve() / executable.relative_to(prefix))
    return str(executable)


def grader_command(
    bwrap: str, argv: list[str], *, task_dir: Path, output_dir: Path, input_dir: Path, reference_dir: Path,
    work_dir: Path, uid: int | None, tool_fd: int,
) -> list[str]:
    """The host command that runs ``argv`` in a grader sandbox.

    ``uid`` is the unprivileged uid to drop to (the harness runs as root), or None to run as the
    harness's own user inside a user namespace; ``tool_fd`` is the inherited socket to the tool server.
    """
    args = [bwrap, "--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts", "--unshare-cgroup-try"]
    if uid is None:
        args += ["--unshare-user"]
    args += ["--die-with-parent", "--new-session", "--hostname", "grader"]
    args += ["--ro-bind", "/usr", "/usr", "--size", str(1 << 20), "--tmpfs", "/usr/local"]
    args += [arg for target, link in _USR_LINKS if os.path.lexists(link) for arg in ("--symlink", target, link)]
    args += ["--ro-bind", "/etc", "/etc"]
    args += ["--proc", "/proc", "--dev", "/dev", "--size", str(_TMP_BYTES), "--tmpfs", "/tmp"]
    bound = [Path("/usr"), Path("/etc")]
    made = {"/", "/tmp"}
    for path in [*software_paths(), task_dir.resolve()]:
        if not any(path.is_relative_to(b) for b in bound):
            bound.append(path)
            args += [*_parents(path, made), "--ro-bind", str(path), str(path)]
    args += _parents(OUTPUT, made)
    args += ["--ro-bind", str(output_dir), str(OUTPUT), "--ro-bind", str(input_dir), str(INPUT)]
    args += ["--ro-bind", str(reference_dir), str(REFERENCE), "--bind", str(work_dir), str(WORK)]
    args += ["--remount-ro", "/", "--chdir", str(WORK), "--clearenv"]
    env = {"PATH": "/usr/bin:/bin", "HOME": str(WORK), "TMPDIR": "/tmp", "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8",
           "PYTHONDONTWRITEBYTECODE": "1", "ALE_TOOL_FD": str(tool_fd)}
    env.update({name: os.environ[name] for name in _PASSED_ENV if name in os.environ})
    for name, value in env.items():
        args += ["--setenv", name, value]
    if uid is not None:
        args += ["--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID", "--",
                 "setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "--inh-caps=-all",
                 "--bounding-set=-all"]
    return [*args, "--", *argv]


def _parents(path: Path, made: set[str]) -> list[str]:
    """Directories above ``path`` made world-traversable (bubblewrap running as root would make them 0700)."""
    args = []
    for parent in reversed(path.parents):
        if str(parent) not in made:
            made.add(str(parent))
            args += ["--perms", "0755", "--dir", str(parent)]
    return args
