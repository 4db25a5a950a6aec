"""Computer use: a real desktop (Xvfb, openbox) in the sandbox, driven by a real editor, through each way in.

The slow tests run real trials of the desktop fixture task (type a sentence into mousepad, save it with
ctrl+s) and real sandboxes; the model is the scripted local server (tests/modelserver/).
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import tomllib
import urllib.request
from pathlib import Path

import pytest

from conftest import TESTS, running_viewer
from lastexam.agents.cli.claude_code import ClaudeCodeDriver
from lastexam.agents.cli.codex import CodexDriver, CodexOptions
from lastexam.agents.cli.gemini_cli import GeminiCliDriver
from lastexam.agents.config import AgentConfig
from lastexam.contracts.sandbox import ExecResult, Limits
from lastexam.contracts.trial import TrialResult
from lastexam.desktop import MCP_COMMAND
from lastexam.desktop.session import DesktopSession
from lastexam.errors import ConfigError
from lastexam.sandbox import BwrapSandbox, new_workspace
from lastexam.sandbox.bwrap import processes_of_uid
from lastexam.store.db import ResultsStore, default_db_url
from lastexam.tasks.loader import load_task
from modelserver import ModelServer, Reply, ToolCallSpec, call

DESKTOP_TASKS = TESTS / "fixtures" / "desktop_tasks"
NOTE_TASK = DESKTOP_TASKS / "other" / "desktop_note"
NOTE = "/workspace/output/note.txt"


def trajectory(result: TrialResult) -> dict:
    return json.loads((Path(result.run_dir) / "trajectory.json").read_text())


def final_screenshot(result: TrialResult) -> Path:
    """The final screenshot the trajectory's last system step shows (a PNG in the run directory)."""
    [step] = [s for s in trajectory(result)["steps"] if (s.get("extra") or {}).get("final_screenshot")]
    image = Path(result.run_dir) / step["message"][1]["source"]["path"]
    assert image.read_bytes().startswith(b"\x89PNG\r\n\x1a\n") and image.is_relative_to(Path(result.run_dir) / "logs")
    return image


@pytest.mark.parametrize(("value", "problem"), [("big", "not WIDTHxHEIGHT"), ("100x100", "outside 640x480"),
                                                 ("8000x600", "outside 640x480 to 3840x2160")])
def test_a_bad_display_declaration_names_the_file_the_field_and_the_fix(tmp_path: Path, value: str,
                                                                         problem: str) -> None:
    task = tmp_path / "desktop_note"
    shutil.copytree(NOTE_TASK, task)
    toml = task / "task.toml"
    toml.write_text(toml.read_text().replace('display = "1024x768"', f'display = "{value}"'))
    with pytest.raises(ConfigError) as error:
        load_task(task)
    assert error.value.file == str(toml) and error.value.field == "environment.display"
    assert problem in error.value.problem and "Fix: correct the value" in str(error.value)


def test_each_agent_cli_loads_the_computer_tools_through_its_own_mcp_configuration() -> None:
    servers = {"computer": MCP_COMMAND}
    config = AgentConfig(harness="claude_code", model="m")
    claude = json.loads(ClaudeCodeDriver().home_files(config, None, "http://x", servers)[".claude.json"])  # type: ignore[arg-type]
    assert claude["mcpServers"]["computer"]["command"] == "/usr/bin/python3"
    assert claude["mcpServers"]["computer"]["args"] == MCP_COMMAND[1:]
    codex = tomllib.loads(CodexDriver().home_files(config, CodexOptions(), "http://x", servers)[".codex/config.toml"])
    assert codex["mcp_servers"]["computer"] == {"command": MCP_COMMAND[0], "args": MCP_COMMAND[1:],
                                                "env_vars": ["DISPLAY"], "startup_timeout_sec": 120,
                                                "tool_timeout_sec": 180}
    gemini = json.loads(GeminiCliDriver().home_files(config, None, "http://x", servers)[".gemini/settings.json"])  # type: ignore[arg-type]
    assert gemini["mcpServers"]["computer"]["args"] == MCP_COMMAND[1:] and gemini["mcpServers"]["computer"]["trust"]
    assert ".claude.json" not in ClaudeCodeDriver().home_files(config, None, "http://x", {})  # type: ignore[arg-type]
    assert "mcpServers" not in json.loads(
        GeminiCliDriver().home_files(config, None, "http://x", {})[".gemini/settings.json"])  # type: ignore[arg-type]


@pytest.mark.slow
def test_gui_oracle_drives_the_editor_with_ale_computer_only_and_its_screen_and_video_are_kept(
        run_agent, tmp_path: Path) -> None:
    [result] = run_agent("oracle", "other/desktop_note@0", tasks_dir=DESKTOP_TASKS, video=True)
    assert result.status == "passed", result.error
    run_dir = Path(result.run_dir)
    stdout = (run_dir / "logs" / "agent.stdout").read_text()
    assert "typed" in stdout and "pressed ctrl+s" in stdout and "screenshot of the 1024x768 screen" in stdout
    assert final_screenshot(result).stat().st_size > 1000
    video = run_dir / "logs" / "video" / "session-1.mp4"
    probe = json.loads(subprocess.run(
        ["ffprobe", "-v", "error", "-show_streams", "-show_format", "-of", "json", str(video)],
        capture_output=True, text=True, check=True).stdout)
    [stream] = probe["streams"]
    assert (stream["codec_name"], stream["width"], stream["height"]) == ("h264", 1024, 768)
    assert float(probe["format"]["duration"]) > 1.0
    events = [json.loads(line) for line in (run_dir / "events.jsonl").read_text().splitlines()]
    assert {"files": ["logs/video/session-1.mp4"]}.items() <= next(e for e in events if e["event"] == "video_kept").items()
    store = ResultsStore(default_db_url(tmp_path / "results"))
    [trial_id] = [row["id"] for row in store.trial_rows()]
    with running_viewer(store, tmp_path / "results", DESKTOP_TASKS) as base:
        page = urllib.request.urlopen(f"{base}/trials/{trial_id}", timeout=60).read().decode()
        assert f'<video class="shot" controls preload="metadata" src="/trials/{trial_id}/files/logs/video/session-1.mp4">' in page
        with urllib.request.urlopen(f"{base}/trials/{trial_id}/files/logs/video/session-1.mp4", timeout=60) as served:
            assert served.headers["Content-Type"] == "video/mp4" and served.read() == video.read_bytes()


@pytest.mark.slow
def test_llm_agent_types_into_a_real_editor_with_computer_tools_and_the_grader_sees_the_saved_file(
        run_agent, agent_yaml) -> None:
    def last_result(body: dict, call_id: str) -> str:
        return next(m["content"] for m in reversed(body["messages"]) if m["role"] == "tool" and
                    m["tool_call_id"] == call_id)

    def type_and_save(body: dict) -> list[ToolCallSpec]:
        sentence = last_result(body, "read").split("--- stdout ---\n", 1)[1].strip()
        # As a careful agent would: check what reached the disk (a loaded machine may show the editor's window
        # before it takes keys, or drop a ctrl+s); the checks decide whether the next turn types again.
        saved = call("shell", id="saved", command=f"for i in $(seq 50); do grep -qx '{sentence}' {NOTE} && exit; "
                                                  "sleep 0.2; done; exit 1")
        return [call("click", x=512, y=400), call("key", keys="ctrl+a"), call("type", text=sentence),
                call("key", keys="ctrl+s"), saved]

    def check_or_type_again(body: dict) -> Reply:
        again = [] if last_result(body, "saved").startswith("exit status 0") else type_and_save(body)
        return Reply(tool_calls=[*again, call("shell", command=f"cat {NOTE}"), call("cursor_position"),
                                 call("accessibility_tree")])

    turns = [
        Reply(tool_calls=[call("shell", id="read", command="cat /workspace/input/sentence.txt"),
                          call("launch", command=f"mousepad --disable-server {NOTE}"),
                          call("wait", seconds=1), call("screenshot", id="look", scale=0.5),
                          call("click", x=5000, y=10)]),
        lambda body: Reply(tool_calls=type_and_save(body)),
        check_or_type_again,
        Reply(tool_calls=[call("finish", summary="typed and saved")]),
    ]
    with ModelServer(turns) as server:
        [result] = run_agent(agent_yaml(server), "other/desktop_note@0", tasks_dir=DESKTOP_TASKS)
    assert result.status == "passed" and server.remaining == 0, result.error
    tools = {t["function"]["name"] for t in server.requests[0].body["tools"]}
    assert {"screenshot", "click", "double_click", "right_click", "drag", "scroll", "type", "key", "wait",
            "launch", "cursor_position", "accessibility_tree"} <= tools
    assert "1024x768 desktop" in server.requests[0].body["messages"][0]["content"]
    steps = trajectory(result)["steps"]
    results = {r["source_call_id"]: r["content"] for s in steps for r in (s.get("observation") or {}).get("results", [])}
    text, image = results["look"]
    assert "scaled by 0.5 to 512x384" in text["text"] and image["type"] == "image"
    shot = Path(result.run_dir) / image["source"]["path"]
    assert shot.read_bytes().startswith(b"\x89PNG") and shot.is_relative_to(Path(result.run_dir) / "logs")
    sent = [m for m in server.requests[1].body["messages"] if m["role"] == "user" and isinstance(m["content"], list)]
    assert sent[0]["content"][1]["image_url"]["url"].startswith("data:image/png;base64,")
    shown = [c for c in results.values() if isinstance(c, str)]
    assert any("off the 1024x768 screen" in c for c in shown)
    assert any(c.startswith("pressed ctrl+s") for c in shown) and any("the pointer is at (512, 400)" in c for c in shown)
    assert any(c.startswith("mousepad: frame") and "text=" in c for c in shown), shown
    final_screenshot(result)


def _desktop_sandbox_run(script: str, tmp_path: Path, display: str | None = "800x600") -> tuple[str, str]:
    with BwrapSandbox(new_workspace(), Limits(), display=display) as sandbox:
        result = sandbox.exec_sync(["bash", "-c", script], timeout=120, stdout=tmp_path / "out",
                                   stderr=tmp_path / "err")
    out, err = (tmp_path / "out").read_text(), (tmp_path / "err").read_text()
    assert result.returncode == 0, (out, err)
    return out, err


def test_a_window_opened_the_moment_the_desktop_is_up_shows(tmp_path: Path) -> None:
    # The window manager's check window shows before it takes windows; one mapped in between never showed.
    out, _ = _desktop_sandbox_run('ale-computer launch "xmessage -center ready" 5', tmp_path)
    assert "a new window shows" in out, out


@pytest.mark.slow
def test_the_accessibility_tree_shows_the_focused_window_s_widgets_where_they_are(tmp_path: Path) -> None:
    script = """
    printf 'Quarterly figures, draft 2' > /tmp/memo.txt
    ale-computer launch "mousepad --disable-server /tmp/memo.txt" >/dev/null
    ale-computer wait 1 >/dev/null
    ale-computer key ctrl+End >/dev/null
    ale-computer type "$(printf '\\nsigned off')" >/dev/null
    ale-computer accessibility_tree
    """
    out, _ = _desktop_sandbox_run(script, tmp_path)
    lines = out.splitlines()
    assert lines[0].startswith("mousepad: frame ") and "memo.txt" in lines[0], out
    assert any("text='Quarterly figures, draft 2\\nsigned off'" in line and "focused" in line for line in lines), out
    [file_menu] = [line for line in lines if line.strip().startswith("menu 'File' [")]
    x, y, width, height = (int(v) for v in file_menu.split("[", 1)[1].split("]", 1)[0].split(","))
    assert 0 <= x < 800 and 0 <= y < 600 and width > 0 and height > 0
    assert not any("'Save As" in line for line in lines), "a closed menu's items are not on screen"


@pytest.mark.slow
def test_the_mcp_server_answers_with_the_desktop_s_tools_and_screenshots(tmp_path: Path) -> None:
    messages = [{"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"protocolVersion": "2025-06-18"}},
                {"jsonrpc": "2.0", "method": "notifications/initialized"},
                {"jsonrpc": "2.0", "id": 2, "method": "tools/list"},
                {"jsonrpc": "2.0", "id": 3, "method": "tools/call", "params": {"name": "screenshot",
                                                                                "arguments": {"scale": 0.25}}},
                {"jsonrpc": "2.0", "id": 4, "method": "tools/call", "params": {"name": "click",
                                                                                "arguments": {"x": -1, "y": 0}}}]
    lines = "\n".join(json.dumps(m) for m in messages)
    out, _ = _desktop_sandbox_run(f"env -u DISPLAY {' '.join(MCP_COMMAND)} <<'EOF'\n{lines}\nEOF", tmp_path)
    answers = {a["id"]: a for a in map(json.loads, out.splitlines())}
    assert sorted(answers) == [1, 2, 3, 4]  # the notification has no answer
    assert answers[1]["result"]["capabilities"] == {"tools": {}}
    assert "click" in {t["name"] for t in answers[2]["result"]["tools"]}
    text, image = answers[3]["result"]["content"]
    assert "scaled by 0.25 to 200x150" in text["text"] and image["mimeType"] == "image/png" and image["data"]
    assert answers[4]["result"]["isError"] and "off the 800x600 screen" in answers[4]["result"]["content"][0]["text"]


@pytest.mark.slow
def test_the_display_is_private_to_its_sandbox(tmp_path: Path) -> None:
    """No TCP, no abstract socket (shared with the network namespace), and another sandbox sees no X server."""
    holder = BwrapSandbox(new_workspace(), Limits(), display="800x600")
    ready = holder.workspace.output / "ready"
    report = "/workspace/output/ready"
    process = subprocess.Popen(holder.command(["bash", "-c", f"cat /proc/net/unix /proc/net/tcp > {report}.tmp; "
                                                             f"mv {report}.tmp {report}; sleep 60"]),
                               start_new_session=True)
    try:
        for _ in range(600):
            if ready.exists():
                break
            subprocess.run(["sleep", "0.1"])
        inside = ready.read_text()
        assert "/tmp/.X11-unix/X0" in inside and "@/tmp/.X11-unix" not in inside
        assert ":1770 " not in inside  # no TCP port 6000
        with open("/proc/net/unix") as host:
            assert "/tmp/.X11-unix/X0" not in host.read()
        out, _ = _desktop_sandbox_run("ls -A /tmp/.X11-unix 2>&1; DISPLAY=:0 xdotool getdisplaygeometry 2>&1; true",
                                      tmp_path, display=None)
        assert "No such file" in out and "Can't open display" in out
        if os.geteuid() == 0:  # another uid on the host (another sandbox's) cannot reach it through /proc either
            [server] = [pid for pid in processes_of_uid(holder.host_uid) if Path(f"/proc/{pid}/comm").read_text()
                        == "Xvfb\n"]
            probe = (f"import socket; s = socket.socket(socket.AF_UNIX); "
                     f"s.connect('/proc/{server}/root/tmp/.X11-unix/X0'); print('CONNECTED')")
            done = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "/usr/bin/python3",
                                   "-c", probe], capture_output=True, text=True)
            assert "CONNECTED" not in done.stdout and "PermissionError" in done.stderr, done
    finally:
        process.kill()
        process.wait()
        holder.close()


@pytest.mark.slow
def test_a_desktop_session_keeps_programs_between_commands_and_each_command_s_limits(tmp_path: Path) -> None:
    out, err = tmp_path / "out", tmp_path / "err"

    async def run(session: DesktopSession, command: str, timeout: float = 60) -> tuple[ExecResult, str]:
        for path in (out, err):
            path.unlink(missing_ok=True)
        result = await session.exec(["bash", "-c", command], timeout=timeout, stdout=out, stderr=err)
        return result, out.read_text()

    async def scenario() -> list[tuple[ExecResult, str]]:
        with BwrapSandbox(new_workspace(), Limits(capture_bytes=1000), display="800x600") as sandbox:
            session = DesktopSession(sandbox, tmp_path, wall_sec=300)
            try:
                return [await run(session, "sleep 1000 >/dev/null 2>&1 & echo $! > /tmp/background; echo $DISPLAY"),
                        await run(session, "kill -0 $(cat /tmp/background) && echo alive; pwd"),
                        await run(session, "sleep 100", timeout=1),
                        await run(session, "python3 -c \"print('x' * 5000)\"; exit 7")]
            finally:
                await session.close()

    started, alive, stopped, flood = asyncio.run(scenario())
    assert started == (ExecResult(returncode=0, timed_out=False, duration=started[0].duration), ":0\n")
    assert alive[1] == "alive\n/home/agent\n"
    assert stopped[0].timed_out and stopped[0].returncode is None and stopped[0].limit == "wall"
    assert flood[0].returncode == 7 and flood[1].startswith("x" * 1000) and "over the 1000 byte capture" in flood[1]
