"""GUI workflows of the suite done through the desktop: each task's GUI-driven oracle (a script agent that
works only through ``ale-computer``) runs in a real sandbox on one variant and must fully pass the grader."""

from __future__ import annotations

import pytest

from conftest import REPO

TASKS = REPO / "tasks"


@pytest.mark.slow
def test_policy_redline_is_done_in_writer_through_the_computer_tools(run_agent) -> None:
    oracle = TASKS / "business_finance" / "policy_redline" / "gui_oracle" / "solve.sh"
    [result] = run_agent(f"script:{oracle}", "business_finance/policy_redline@1", tasks_dir=TASKS)
    assert result.status == "passed" and result.score == 1.0, (result.status, result.error)


@pytest.mark.slow
def test_campaign_performance_workbook_is_built_in_calc_through_the_computer_tools(run_agent) -> None:
    task = "business_finance/campaign_performance_workbook"
    oracle = TASKS / "business_finance" / "campaign_performance_workbook" / "gui_oracle" / "solve.sh"
    [result] = run_agent(f"script:{oracle}", f"{task}@1", tasks_dir=TASKS)
    assert result.status == "passed" and result.score == 1.0, (result.status, result.error)
