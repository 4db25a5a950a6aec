"""The public report holds aggregates only: no instance or task id anywhere, and cells resting on fewer
than 10 instances withheld."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from lastexam.store.db import ResultsStore, default_db_url
from trialfactory import record, trial


def test_the_public_export_names_no_instance_and_withholds_small_cells(tmp_path: Path) -> None:
    store = ResultsStore(default_db_url(tmp_path))
    wide = [trial("agent-a", f"engineering/secret_task_{i}@0", passed=i % 3 == 0, cluster="engineering",
                  subdomain="civil", tier="full-spectrum") for i in range(12)]
    narrow = [trial("agent-a", f"legal/lonely_task_{i}@1", passed=True, cluster="legal", subdomain="law",
                    tier="last-exam") for i in range(3)]
    record(store, "exp", wide + narrow)
    out = tmp_path / "public.json"
    done = subprocess.run([sys.executable, "-m", "lastexam.cli", "report", "--results-dir", str(tmp_path),
                           "--resamples", "200", "--public", str(out)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    text = out.read_text()
    assert "secret_task" not in text and "lonely_task" not in text and "@0" not in text and "@1" not in text
    public = json.loads(text)
    [overall] = public["leaderboard"]["rows"]
    assert overall["instances"] == 15 and overall["pass_rate"] == round(7 / 15, 6)
    assert [r["group"] for r in public["by_cluster"]["rows"]] == ["engineering"]
    assert public["by_cluster"]["withheld_cells"] == 1
    assert public["by_tier"]["withheld_cells"] == 1 and public["by_tier"]["rows"][0]["instances"] == 12
    assert set(overall) == {"agent", "group", "instances", "trials", "pass_rate", "pass_rate_ci", "mean_score",
                            "mean_score_ci", "infra_share"}
