"""A local stand-in for a paid model API: a real HTTP server on 127.0.0.1 replaying scripted turns.

See README.md beside this file. In tests (tests/ is on sys.path under pytest)::

    from modelserver import Failure, ModelServer, Reply, TokenUsage, call

    with ModelServer([Failure(status=429), Reply(tool_calls=[call("shell", command="ls")]),
                      Reply(tool_calls=[call("finish", summary="done")])]) as server:
        ...  # point the agent at server.base_url; inspect server.requests afterwards
"""

from modelserver.script import Failure, Reply, TokenUsage, ToolCallSpec, call, dump_script, load_script
from modelserver.server import ModelServer, Received

__all__ = ["Failure", "ModelServer", "Received", "Reply", "TokenUsage", "ToolCallSpec", "call", "dump_script",
           "load_script"]
