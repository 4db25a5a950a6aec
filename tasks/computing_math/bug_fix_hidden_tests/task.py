"""Bug fix against hidden probes: fix a reported bug in a small Python library and ship a patch.

Workflow: the engineer gets a library's repository (source, README, its test suite) and an issue
with a reproduction. They find the root cause, fix it without breaking anything else, add a
regression test, and hand over the fixed tree plus a unified diff that applies to the original.

Variants are different libraries. Each instance draws from its seed the bug its release carries, out of a pool
of realistic bugs per library (``solution/bugs/<library>.toml``: the edits that turn the correct library of
``projects/<library>/repo`` into the release, the issue reporting it, and the maintainer's regression test), and
the reporter's example out of several, so that a fix memorised from the public instance does not carry over. The
released code of a bug takes one of several forms, also drawn from the seed (an edit's list of released texts: the
same mistake written another way, or a near variant of it), so that the maintainer's diff of one instance, memorised
per issue and applied to another release of the same bug, misses its hunks (in 1.5.0 it applied everywhere).
The library itself is configured from the seed too: each documented rule of ``projects/<library>/options.toml``
(tallyinv: the order of the tax summary, where str(money) puts the currency code; isodur: weeks written as weeks
or days, the decimal sign of the seconds, the zero duration; ivtree: which of several equal intervals a removal
takes, whether an empty query range is refused) draws one of its choices, whose edits change the library, its
README and its test suite alike, so that the fixed library of one instance, memorised, is the wrong library for
most others (in 1.4.0 the public instance's fixed src/ was the right answer for every instance). The pool:
tallyinv (commercial rounding on two code paths, the discount taken from the unrounded extension, the contained
tax of gross prices, lower-case currency codes in the rounding helpers and in invoices), isodur (month
arithmetic into December, century leap years, seconds formatted with an exponent, days applied before months)
and ivtree (the max-end augmentation lost by the rotations or by removals, the in-order successor of a removal,
stabbing queries at a shared start; its probes include a large tree queried many times, so that a query walking
the whole tree runs out of the probe's time).

The evidence of the fix is a set of hidden probes (``projects/<library>/probes.py``): calls into the public API
with other inputs than the issue's and the suite's, covering every bug of the pool (those of the bugs not drawn
check that the rest of the library keeps working). ``generate`` runs them on the release and on the correct
library and keeps the correct results, each marked as affected by the bug or not and the issue's own example (a
probe that runs the reproduction shown) marked as such, in the reference. ``grade`` runs them on the submitted
source through ``probe_driver.py`` in ``g.run_tool``, each in a fresh interpreter, and compares the values
itself: a probe counts only when exactly one line tagged with this grade's random nonce and the probe's name
carries the expected value. Nothing the submitted code writes (an exit code, a JUnit file, a "passed" line) is
trusted, and the expected values never enter its sandbox. The pytest runs (the original suite on the fixed
source, the regression test on both sources) are checks of the engineer's process only: their exit codes are the
code's own word, so they can never make up for a probe. The submitted tests must also pass on the maintainer's
fix (kept in the reference) and fail on the released source saved again with a comment added, so that a
"regression test" that only recognises the submitted source or the released file's bytes does not count.
"""
# ALE-CANARY-6d3b5773-dcf4-4cf5-a68f-c7007271b174

from __future__ import annotations

import json
import random
import secrets
import shutil
import subprocess
import sys
import tempfile
import tomllib
from collections.abc import Mapping
from pathlib import Path
from string import Template
from typing import Any

from lastexam.task import Grading, Params

HERE = Path(__file__).resolve().parent
DRIVER = HERE / "probe_driver.py"
BUGS = HERE / "solution" / "bugs"
MAX_FILES = 400
MAX_FILE_BYTES = 1_000_000
MIN_AFFECTED_PROBES = 5
PROBE_RUN_SECONDS = 240
PYTEST_SECONDS = 45


def _probe_results(stdout: str, nonce: str) -> dict[str, Any]:
    """Probe name -> its result, from the driver's tagged lines; a name tagged twice or garbled maps to None."""
    results: dict[str, Any] = {}
    for line in stdout.splitlines():
        parts = line.split("\t", 2)
        if len(parts) != 3 or parts[0] != nonce:
            continue
        try:
            result = json.loads(parts[2])
        except (ValueError, RecursionError):
            result = None
        results[parts[1]] = None if parts[1] in results else result
    return results


def _run_probes_here(probes: Path, src: Path, names: list[str]) -> dict[str, Any]:
    """Run the probes on a trusted copy of the library (generation time only)."""
    nonce = secrets.token_hex(16)
    with tempfile.NamedTemporaryFile("w", suffix=".txt") as names_file:
        names_file.write("\n".join(names))
        names_file.flush()
        run = subprocess.run([sys.executable, "-B", str(DRIVER), "trusted", str(probes), str(src), nonce,
                              names_file.name], capture_output=True, text=True, check=True, timeout=1200)
    return _probe_results(run.stdout, nonce)


def bug_pool(project: str) -> list[dict[str, Any]]:
    """The bugs a release of ``project`` may carry (``solution/bugs/<project>.toml``), in a stable order."""
    return tomllib.loads((BUGS / f"{project}.toml").read_text())["bugs"]


def drawn_options(project: str, seed: object) -> list[list[dict[str, str]]]:
    """The edits of the documented rules (``projects/<project>/options.toml``) one seed configures the library with."""
    options = tomllib.loads((HERE / "projects" / project / "options.toml").read_text())["options"]
    rng = random.Random(f"{seed}:options")
    return [rng.choice(option["choices"])["edits"] for option in options]


def configure(repo: Path, edits: list[dict[str, str]]) -> None:
    """Turn ``repo`` (the library as in ``projects/<project>/repo``) into the library of other documented rules."""
    for edit in edits:
        path = repo / edit["file"]
        text = path.read_text()
        if text.count(edit["text"]) != 1:
            raise RuntimeError(f"{path}: an option expects its text exactly once: {edit['text']!r}")
        path.write_text(text.replace(edit["text"], edit["chosen"]))


def release_forms(bug: Mapping[str, Any]) -> int:
    """How many forms the released code of ``bug`` takes: the length of its edits' lists of released texts."""
    lengths = {len(edit["released"]) for edit in bug["edits"] if isinstance(edit["released"], list)}
    if len(lengths) > 1:
        raise RuntimeError(f"issue #{bug['issue']}: its edits list different numbers of released forms")
    return lengths.pop() if lengths else 1


def released_text(edit: Mapping[str, Any], form: int) -> str:
    """An edit's released text in one form of the release (an edit with one text has it in every form)."""
    released = edit["released"]
    return released[form] if isinstance(released, list) else released


def _release(repo: Path, package: str, bug: Mapping[str, Any], form: int) -> None:
    """Turn the correct library in ``repo`` into the release carrying ``bug`` in its ``form``."""
    for edit in bug["edits"]:
        module = repo / "src" / package / edit["module"]
        text = module.read_text()
        wrong = released_text(edit, form)
        released = text.replace(edit["fixed"], wrong)
        if text.count(edit["fixed"]) != 1 or released.count(wrong) != 1:
            raise RuntimeError(f"{module}: issue #{bug['issue']} expects its fixed and released texts exactly once")
        module.write_text(released)


def _printed(code: str, src: Path) -> str:
    """What a reproduction prints with the library under ``src``, ending with the exception line if it raises."""
    run = subprocess.run([sys.executable, "-B", "-c", f"import sys\nsys.path.insert(0, {str(src)!r})\n{code}"],
                         capture_output=True, text=True, timeout=60)
    lines = run.stdout.splitlines() + (run.stderr.strip().splitlines()[-1:] if run.returncode else [])
    return "\n".join(lines)


def _issue(bug: Mapping[str, Any], case: Mapping[str, str], released: Path, fixed: Path) -> str:
    """The bug's report for one reporter's example: its reproduction and what it prints before and after the fix."""
    code = Template(bug["reproduction"]).substitute(case)
    return Template(bug["issue_text"]).substitute(case, reproduction=code, released_output=_printed(code, released),
                                                  expected_output=_printed(code, fixed))


def generate(params: Params, input_dir: Path, reference_dir: Path) -> None:
    name = params["project"]
    project = HERE / "projects" / name
    pool = bug_pool(name)
    bug = pool[random.Random(f"{params['seed']}:bug").randrange(len(pool))]
    form = random.Random(f"{params['seed']}:form").randrange(release_forms(bug))
    case = random.Random(f"{params['seed']}:example").choice(bug["cases"])
    with tempfile.TemporaryDirectory() as work:
        correct = Path(work) / "repo"
        shutil.copytree(project / "repo", correct, ignore=shutil.ignore_patterns("__pycache__"))
        configure(correct, [edit for edits in drawn_options(name, params["seed"]) for edit in edits])
        shutil.copytree(correct, input_dir / "repo", dirs_exist_ok=True)
        shutil.copytree(correct / "src", reference_dir / "fixed" / "src", dirs_exist_ok=True)
    fixed = reference_dir / "fixed"
    _release(input_dir / "repo", name, bug, form)
    (input_dir / "ISSUE.md").write_text(_issue(bug, case, input_dir / "repo" / "src", fixed / "src"))
    shutil.copytree(input_dir / "repo", reference_dir / "pristine", dirs_exist_ok=True)
    probes = project / "probes.py"
    listed = subprocess.run([sys.executable, "-B", str(DRIVER), "names", str(probes), str(fixed / "src")],
                            capture_output=True, text=True, check=True, timeout=120)
    names = listed.stdout.split()
    before = _run_probes_here(probes, input_dir / "repo" / "src", names)
    after = _run_probes_here(probes, fixed / "src", names)
    if sorted(after) != sorted(names) or any(after[n] is None or "value" not in after[n] for n in names):
        raise RuntimeError(f"{probes}: every probe must return a value on the fixed library, got {after}")
    issue = case["probe"]
    expected = {n: {"result": after[n], "affected": before.get(n) != after[n], "issue": n == issue} for n in names}
    affected = [n for n in names if expected[n]["affected"]]
    if issue not in affected or len(affected) < MIN_AFFECTED_PROBES:
        raise RuntimeError(f"{probes}: issue #{bug['issue']} needs its example's probe {issue} and at least "
                           f"{MIN_AFFECTED_PROBES} probes the bug changes; it changes only {affected}")
    (reference_dir / "probes.json").write_text(json.dumps(expected, indent=1, sort_keys=True))


def _tree_files(root: Path) -> dict[str, Path]:
    """Relative path -> file, for the .py files under ``src/`` and ``tests/`` (caches left out, sizes capped)."""
    files: dict[str, Path] = {}
    for part in ("src", "tests"):
        for path in sorted((root / part).rglob("*.py")):
            rel = path.relative_to(root)
            if path.is_symlink() or not path.is_file() or "__pycache__" in rel.parts:
                continue
            if path.stat().st_size <= MAX_FILE_BYTES and len(files) < MAX_FILES:
                files[rel.as_posix()] = path
    return files


def _staged(prefix: str, files: Mapping[str, Path | str]) -> dict[str, Path | str | bytes]:
    return {f"{prefix}/{rel}": path for rel, path in files.items()}


def _check_patch(g: Grading, pristine: Path, submitted: dict[str, Path]) -> None:
    files = _staged("applied", {p.relative_to(pristine).as_posix(): p for p in pristine.rglob("*") if p.is_file()})
    files["fix.patch"] = g.output("fix.patch")
    run = g.run_tool(["patch", "-p1", "--batch", "--forward", "--no-backup-if-mismatch", "-d", "applied",
                      "-i", "../fix.patch"], files=files, timeout=30)
    log = run.stdout + run.stderr
    clean = run.ok and "fuzz" not in log and "FAILED" not in log
    g.check("fix.patch applies cleanly to the original tree", clean, weight=2, reason="" if clean else log[-600:])
    applied = _tree_files(run.workdir / "applied") if clean else {}
    differ = sorted(rel for rel in set(applied) | set(submitted)
                    if rel not in applied or rel not in submitted
                    or applied[rel].read_bytes() != submitted[rel].read_bytes())
    same = clean and not differ
    g.check("the patched original equals the submitted tree", same, weight=1,
            reason="" if same else ("differ: " + ", ".join(differ))[:600] if clean else "fix.patch did not apply")


def _check_probes(g: Grading, package: str, submitted: dict[str, Path]) -> None:
    expected: dict[str, dict[str, Any]] = g.reference_json("probes.json")
    nonce = secrets.token_hex(16)
    files = _staged("submitted", {rel: path for rel, path in submitted.items() if rel.startswith("src/")})
    files.update({"probe_driver.py": DRIVER, "probes.py": HERE / "projects" / package / "probes.py",
                  "probe_names.txt": "\n".join(expected)})
    run = g.run_tool(["python3", "probe_driver.py", "all", "probes.py", "submitted/src", nonce, "probe_names.txt"],
                     files=files, timeout=PROBE_RUN_SECONDS)
    found = _probe_results(run.stdout, nonce)
    right = {name for name, probe in expected.items() if found.get(name) == probe["result"]}
    cut_short = " (the probe run was stopped at its time limit)" if run.timed_out else ""

    def score(names: list[str], title: str, weight: float) -> None:
        wrong = [n for n in names if n not in right]
        evidence = "; ".join(f"{n}: got {json.dumps(found.get(n))[:80]}" for n in wrong[:8])
        g.check(title, (len(names) - len(wrong)) / len(names) if names else 1.0, weight=weight,
                expected=f"{len(names)} probes", found=f"{len(names) - len(wrong)} give the fixed library's results",
                reason=(evidence + cut_short)[:600] if wrong else "")

    affected = [n for n, probe in expected.items() if probe["affected"] and not probe["issue"]]
    score(affected, "hidden probes of the bug give the fixed results (other inputs than the issue's)", 4)
    score([n for n, probe in expected.items() if not probe["affected"]],
          "hidden probes of unaffected behaviour keep their results", 1)
    score([n for n, probe in expected.items() if probe["issue"]],
          "the issue's reproduction now gives the expected result", 1)


def _pytest_passes(g: Grading, pristine: Path, source: Mapping[str, Path | str], tests: dict[str, Path]) -> bool:
    """Whether pytest, run on one source tree and one test tree, exits 0 in time."""
    files = {**_staged("run", source), **_staged("run", tests), "run/pyproject.toml": pristine / "pyproject.toml"}
    run = g.run_tool(["sh", "-c", "cd run && exec python3 -m pytest -q -p no:cacheprovider tests"], files=files,
                     timeout=PYTEST_SECONDS)
    return run.ok


def _check_suites(g: Grading, pristine: Path, fixed: Path, submitted: dict[str, Path]) -> None:
    original = _tree_files(pristine)
    new_src = {rel: p for rel, p in submitted.items() if rel.startswith("src/")}
    old_src = {rel: p for rel, p in original.items() if rel.startswith("src/")}
    old_tests = {rel: p for rel, p in original.items() if rel.startswith("tests/")}
    own_tests = {rel: p for rel, p in submitted.items() if rel.startswith("tests/")}
    g.check("the original test suite passes on the fixed source (pytest's exit code)",
            _pytest_passes(g, pristine, new_src, old_tests), weight=1)
    catches = not _pytest_passes(g, pristine, old_src, own_tests)
    passes = _pytest_passes(g, pristine, new_src, own_tests)
    g.check("a regression test fails on the original source and passes on the fix (pytest's exit codes)",
            catches and passes, weight=1,
            found=f"own suite {'fails' if catches else 'does not fail'} on the original source, "
                  f"{'passes' if passes else 'does not pass'} on the fix")
    # A regression test is about behaviour: it must pass on the maintainer's independent fix of the same bug
    # and still fail on the released code saved again with a comment added to every module (a test that only
    # recognises the submitted source, or the released file's bytes, does neither).
    maintainer = _tree_files(fixed)
    reworded = {rel: path.read_text() + "\n# saved again from the released tree\n" for rel, path in old_src.items()}
    on_maintainer = _pytest_passes(g, pristine, maintainer, own_tests)
    on_reworded = not _pytest_passes(g, pristine, reworded, own_tests)
    g.check("the regression test checks behaviour: it passes on an independent fix and fails on the released "
            "code saved again", on_maintainer and on_reworded, weight=1,
            found=f"own suite {'passes' if on_maintainer else 'does not pass'} on the maintainer's fix, "
                  f"{'fails' if on_reworded else 'does not fail'} on the released code with a comment added")


def grade(g: Grading) -> None:
    package = g.params["project"]
    if not g.require_files("fix.patch", f"repo/src/{package}/__init__.py"):
        return
    submitted = _tree_files(g.output("repo"))
    _check_patch(g, g.reference("pristine"), submitted)
    _check_probes(g, package, submitted)
    _check_suites(g, g.reference("pristine"), g.reference("fixed"), submitted)
