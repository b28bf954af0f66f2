"""Log Service through the real aliyun-log-python-sdk: PutLogs, GetCursor, PullLogs, ListShards."""

from __future__ import annotations

import time
from typing import Any

import pytest
from aliyun.log import LogClient, LogException, LogItem, PutLogsRequest
from aliyun.log.auth import AuthV1

from localcloud import LocalCloud, logproto
from localcloud.faults import FaultRule
from localcloud.services.sts import mint_session
from tests.localcloud.conftest import KEYS, SHAREE, SHARER, base_seed

PROJECT = "app-logs"
STORE = "events"
SHARDS = 3
# Route keys landing in shard 0, 1 and 2 of three (the MD5 key space is split evenly).
ROUTE_KEYS = ["00000000000000000000000000000000", "60000000000000000000000000000000", "f" * 32]
TRUST_ANYONE_IN_ACCOUNT = {
    "Version": "1",
    "Statement": [{"Action": "sts:AssumeRole", "Effect": "Allow", "Principal": {"RAM": [f"acs:ram::{SHARER}:root"]}}],
}


@pytest.fixture
def seed() -> dict[str, Any]:
    s = base_seed()
    sharer = s["accounts"][0]
    sharer["sls_projects"] = [{"name": PROJECT, "logstores": [{"name": STORE, "shards": SHARDS}]}]
    sharer["policies"] = [
        {
            "name": "read-app-logs",
            "document": {
                "Version": "1",
                "Statement": [
                    {
                        "Action": ["log:GetCursorOrData", "log:ListShards"],
                        "Resource": f"acs:log:*:*:project/{PROJECT}/*",
                        "Effect": "Allow",
                    }
                ],
            },
        }
    ]
    sharer["roles"] = [
        {"name": "log-reader", "trust_policy": TRUST_ANYONE_IN_ACCOUNT, "policies": [{"name": "read-app-logs"}]},
    ]
    return s


def client(
    lc: LocalCloud, uid: str = SHARER, *, secret: str | None = None, ak: str | None = None, token: str | None = None
) -> LogClient:
    """Option A of sdk-wire.md §2.1: a raw-IP endpoint plus `_isRowIp`, so the project rides in Host."""
    key_id, key_secret = KEYS[uid]
    made = LogClient(lc.endpoint, ak or key_id, secret or key_secret, token, source="test-host")
    made._isRowIp = True  # type: ignore[attr-defined]
    return made


def put(c: LogClient, topic: str, rows: list[dict[str, str]], key: str | None = None, **kw: Any) -> None:
    items = []
    for row in rows:
        item = LogItem(timestamp=int(time.time()))
        item.set_contents(list(row.items()))
        items.append(item)
    c.put_logs(PutLogsRequest(PROJECT, STORE, topic, "", items, hashKey=key, **kw))


def pull_all(c: LogClient, shard: int, **kw: Any) -> list[dict[str, Any]]:
    cursor = c.get_cursor(PROJECT, STORE, shard, "begin").get_cursor()
    logs: list[dict[str, Any]] = []
    while True:
        response = c.pull_logs(PROJECT, STORE, shard, cursor, **kw)
        if response.get_loggroup_count() == 0:
            return logs
        logs.extend(response.get_flatten_logs_json())
        cursor = response.get_next_cursor()


def test_put_and_pull_across_shards_with_lz4(lc: LocalCloud) -> None:
    c = client(lc)
    for shard, key in enumerate(ROUTE_KEYS):
        put(c, f"topic-{shard}", [{"n": str(shard), "text": "héllo"}], key=key)
    shards = c.list_shards(PROJECT, STORE).get_shards_info()  # type: ignore[no-untyped-call]
    assert [s["shardID"] for s in shards] == [0, 1, 2]
    for shard in range(SHARDS):
        logs = pull_all(c, shard)
        assert [(log["n"], log["text"], log["__topic__"], log["__source__"]) for log in logs] == [
            (str(shard), "héllo", f"topic-{shard}", "test-host")
        ]
    pulled = [e for e in lc.requests.entries() if e.action == "PullLogs"]
    assert pulled and all(e.product == "Sls" and e.signing == "SLS" and e.status == 200 for e in pulled)


def test_load_balanced_puts_spread_over_every_shard(lc: LocalCloud) -> None:
    c = client(lc)
    for i in range(SHARDS * 2):
        put(c, "lb", [{"i": str(i)}])
    counts = [len(pull_all(c, shard)) for shard in range(SHARDS)]
    assert counts == [2, 2, 2]


def test_deflate_and_uncompressed_transfers(lc: LocalCloud) -> None:
    c = client(lc)
    put(c, "raw", [{"k": "uncompressed body"}], key=ROUTE_KEYS[0], compress=False)
    begin = c.get_cursor(PROJECT, STORE, 0, "begin").get_cursor()
    deflated = c.pull_logs(PROJECT, STORE, 0, begin, accept_compress_type="deflate")
    assert deflated.get_all_headers()["x-log-compresstype"] == "deflate"
    assert "Content-Encoding" not in deflated.get_all_headers()
    assert [log["k"] for log in deflated.get_flatten_logs_json()] == ["uncompressed body"]
    plain = c.pull_logs(PROJECT, STORE, 0, begin, compress=False)
    assert "x-log-compresstype" not in plain.get_all_headers()
    assert [log["k"] for log in plain.get_flatten_logs_json()] == ["uncompressed body"]
    lz4 = c.pull_logs(PROJECT, STORE, 0, begin)
    assert lz4.get_all_headers()["x-log-compresstype"] == "lz4"


def test_count_and_end_cursor_bound_a_pull(lc: LocalCloud) -> None:
    c = client(lc)
    for i in range(5):
        put(c, "seq", [{"i": str(i)}], key=ROUTE_KEYS[1])
    begin = c.get_cursor(PROJECT, STORE, 1, "begin").get_cursor()
    first = c.pull_logs(PROJECT, STORE, 1, begin, count=2)
    assert first.get_loggroup_count() == 2
    assert [log["i"] for log in first.get_flatten_logs_json()] == ["0", "1"]
    # The next two groups end the range: end_cursor is exclusive.
    stop = c.pull_logs(PROJECT, STORE, 1, first.get_next_cursor(), count=2).get_next_cursor()
    bounded = c.pull_logs(PROJECT, STORE, 1, first.get_next_cursor(), count=100, end_cursor=stop)
    assert [log["i"] for log in bounded.get_flatten_logs_json()] == ["2", "3"]
    assert bounded.get_next_cursor() == stop
    end = c.get_cursor(PROJECT, STORE, 1, "end").get_cursor()
    empty = c.pull_logs(PROJECT, STORE, 1, end)
    assert empty.get_loggroup_count() == 0 and empty.get_next_cursor() == end


def test_get_cursor_by_time(lc: LocalCloud) -> None:
    c = client(lc)
    put(c, "t", [{"a": "1"}], key=ROUTE_KEYS[2])
    past = c.get_cursor(PROJECT, STORE, 2, int(time.time()) - 3600).get_cursor()
    assert past == c.get_cursor(PROJECT, STORE, 2, "begin").get_cursor()
    future = c.get_cursor(PROJECT, STORE, 2, int(time.time()) + 3600).get_cursor()
    assert future == c.get_cursor(PROJECT, STORE, 2, "end").get_cursor()
    assert future != past


def _raises(code: str, status: int, call: Any, *args: Any, **kw: Any) -> LogException:
    with pytest.raises(LogException) as raised:
        call(*args, **kw)
    assert raised.value.get_error_code() == code
    assert raised.value.get_resp_status() == status
    assert raised.value.get_request_id()
    return raised.value


def test_errors_have_real_codes(lc: LocalCloud) -> None:
    c = client(lc)
    begin = c.get_cursor(PROJECT, STORE, 0, "begin").get_cursor()
    _raises("SignatureNotMatch", 401, client(lc, secret="wrong").get_cursor, PROJECT, STORE, 0, "begin")
    _raises("Unauthorized", 401, client(lc, ak="AKNOBODY", secret="x").get_cursor, PROJECT, STORE, 0, "begin")
    _raises("ProjectNotExist", 404, c.get_cursor, "no-such-project", STORE, 0, "begin")
    _raises("LogStoreNotExist", 404, c.pull_logs, PROJECT, "no-such-store", 0, begin)
    _raises("ShardNotExist", 404, c.pull_logs, PROJECT, STORE, SHARDS, begin)
    _raises("ParameterInvalid", 400, c.pull_logs, PROJECT, STORE, 0, begin[5:])
    _raises("ParameterInvalid", 400, c.pull_logs, PROJECT, STORE, 0, begin, count=1001)
    _raises("ParameterInvalid", 400, c.get_cursor, PROJECT, STORE, 0, -5)
    put(c, "x", [{"a": "1"}], key=ROUTE_KEYS[0])
    beyond = c.get_cursor(PROJECT, STORE, 0, "end").get_cursor()
    lc.cloud.sls_projects[PROJECT].logstores[STORE].shards[0].groups.clear()  # retention dropped it
    _raises("InvalidCursor", 400, c.pull_logs, PROJECT, STORE, 0, beyond)
    failed = [e for e in lc.requests.entries() if e.status != 200]
    assert {e.code for e in failed} >= {"SignatureNotMatch", "ProjectNotExist", "ShardNotExist", "InvalidCursor"}


def test_other_accounts_cannot_read_the_project(lc: LocalCloud) -> None:
    _raises("Unauthorized", 401, client(lc, SHAREE).get_cursor, PROJECT, STORE, 0, "begin")


def test_sts_tokens_are_honoured_with_the_role_policy(lc: LocalCloud) -> None:
    role = lc.cloud.ram_of(SHARER).roles["log-reader"]
    session = mint_session(lc.cloud, role, "reader")
    reader = client(lc, ak=session.access_key_id, secret=session.secret, token=session.token)
    put(client(lc), "sts", [{"who": "root"}], key=ROUTE_KEYS[0])
    assert [log["who"] for log in pull_all(reader, 0)] == ["root"]
    # The role may read but not write (log:PostLogStoreLogs is not granted).
    _raises("Unauthorized", 401, put, reader, "sts", [{"who": "role"}], key=ROUTE_KEYS[0])
    wrong_token = client(lc, ak=session.access_key_id, secret=session.secret, token="CAISnot-the-token")
    _raises("Unauthorized", 401, wrong_token.get_cursor, PROJECT, STORE, 0, "begin")


def test_proxy_form_requests_with_a_realistic_endpoint(lc: LocalCloud) -> None:
    """Option C of sdk-wire.md §2.1: a real endpoint, the local cloud as the session's HTTP proxy."""
    ak, secret = KEYS[SHARER]
    c = LogClient("cn-hangzhou.log.aliyuncs.com", ak, secret, source="test-host")
    c._session.proxies = {"http": lc.url}  # type: ignore[attr-defined]
    put(c, "proxied", [{"via": "proxy"}], key=ROUTE_KEYS[2])
    assert [log["via"] for log in pull_all(c, 2)] == ["proxy"]


def test_throttling_fault_is_a_quota_error(lc: LocalCloud) -> None:
    lc.faults.configure([FaultRule("throttle", "Sls:PutLogs", times=1)])
    c = client(lc)
    _raises("WriteQuotaExceed", 403, put, c, "q", [{"a": "1"}])
    put(c, "q", [{"a": "1"}])  # `times=1`: the next call goes through


# ---- production's common error codes (production-facts.md "Signing and common errors") ----------


def test_a_malformed_date_is_invalid_request_time(lc: LocalCloud, monkeypatch: pytest.MonkeyPatch) -> None:
    # The SDK stamps `Date` (and `x-log-date`) from AuthV1._getGMT just before signing.
    monkeypatch.setattr(AuthV1, "_getGMT", staticmethod(lambda: "the day before yesterday"))
    _raises("InvalidRequestTime", 400, client(lc).get_cursor, PROJECT, STORE, 0, "begin")


def test_a_date_more_than_15_minutes_off_is_request_time_expired(
    lc: LocalCloud, monkeypatch: pytest.MonkeyPatch
) -> None:
    stale = time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(time.time() - 20 * 60))
    monkeypatch.setattr(AuthV1, "_getGMT", staticmethod(lambda: stale))
    _raises("RequestTimeExpired", 400, client(lc).get_cursor, PROJECT, STORE, 0, "begin")


def test_put_logs_of_another_content_type_is_415(lc: LocalCloud) -> None:
    """PutLogs takes `application/x-protobuf`; the SDK's own sender signs the request with another type."""
    c = client(lc)
    body = logproto.encode_log_group(logproto.LogGroup([logproto.Log(int(time.time()), [("a", "1")])]))
    headers = {"x-log-bodyrawsize": str(len(body)), "Content-Type": "application/json"}
    send = c._send  # type: ignore[attr-defined]  # the SDK's own signed sender
    _raises("InvalidContentType", 415, send, "POST", PROJECT, body, f"/logstores/{STORE}/shards/lb", {}, headers)
    assert lc.requests.entries()[-1].status == 415
    assert all(not shard.groups for shard in lc.cloud.sls_projects[PROJECT].logstores[STORE].shards)
