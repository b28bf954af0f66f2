"""Log Service triggers: Function Compute invocations over the logs a logstore received (events.md §3).

Every write to a logstore (PutLogs, or ActionTrail writing its trail) calls `notify`; delivery runs on
the context's deliveries and invokes the function through the context's `invoke` hook.
"""

from __future__ import annotations

import hashlib
import json
import threading
import uuid
import weakref
from functools import partial

from localcloud import logproto
from localcloud.context import Context
from localcloud.state import SlsTrigger

_trigger_locks: weakref.WeakKeyDictionary[Context, dict[int, threading.Lock]] = weakref.WeakKeyDictionary()
_trigger_locks_guard = threading.Lock()


def _trigger_lock(ctx: Context, trigger: SlsTrigger) -> threading.Lock:
    """One delivery at a time per trigger, so a shard range is never handed out twice."""
    with _trigger_locks_guard:
        return _trigger_locks.setdefault(ctx, {}).setdefault(id(trigger), threading.Lock())


def notify(ctx: Context, project: str, logstore: str) -> None:
    """Schedules delivery for every Log Service trigger on this logstore (safe under the lock)."""
    with ctx.cloud.lock:
        triggers = [t for t in ctx.cloud.sls_triggers if t.project == project and t.logstore == logstore]
    for trigger in triggers:
        ctx.deliveries.submit(partial(deliver, ctx, trigger), f"log trigger {trigger.name}")


def deliver(ctx: Context, trigger: SlsTrigger) -> None:
    """Invokes the trigger's function once per shard that has logs past its checkpoint.

    The checkpoint moves only after a successful invocation; a failing range is retried up to
    `max_retry` times unchanged, then left for the next delivery (events.md §3).
    """
    with _trigger_lock(ctx, trigger):
        with ctx.cloud.lock:
            project = ctx.cloud.sls_projects.get(trigger.project)
            store = project.logstores.get(trigger.logstore) if project else None
            if store is None:
                return
            pending = []
            for shard_id, shard in enumerate(store.shards):
                begin, end = trigger.checkpoints.get(shard_id, 0), len(shard.groups)
                if end > begin:
                    pending.append((shard_id, begin, end, int(shard.groups[end - 1][0])))
            job = hashlib.sha1(f"{trigger.function}/{trigger.name}".encode()).hexdigest()
            parameter = dict(trigger.parameter)
        failures: list[str] = []
        for shard_id, begin, end, cursor_time in pending:
            payload = {
                "parameter": parameter,
                "source": {
                    "endpoint": ctx.url,
                    "projectName": trigger.project,
                    "logstoreName": trigger.logstore,
                    "shardId": shard_id,
                    "beginCursor": logproto.encode_cursor(begin),
                    "endCursor": logproto.encode_cursor(end),
                },
                "jobName": job,
                "taskId": str(uuid.uuid4()),
                "cursorTime": cursor_time,
            }
            body = json.dumps(payload).encode()
            error: Exception | None = None
            for _ in range(trigger.max_retry + 1):
                try:
                    ctx.invoke(trigger.function, body, None)
                    error = None
                    break
                except Exception as failed:  # function error or FC refusing: retry the same range
                    error = failed
            if error is not None:
                failures.append(f"shard {shard_id} [{begin}, {end}): {error}")
                continue
            with ctx.cloud.lock:
                trigger.checkpoints[shard_id] = end
        if failures:
            raise RuntimeError("; ".join(failures))
