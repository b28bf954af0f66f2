"""Settings, credentials and endpoints from the environment: values in, clear errors for bad ones."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from sharetrust.cloud.credentials import Credentials
from sharetrust.cloud.endpoints import EndpointError, Endpoints
from sharetrust.deadline import Deadline
from sharetrust.settings import Settings, SettingsError


def test_defaults() -> None:
    settings = Settings.from_environment({})
    assert (settings.dry_run, settings.retry_failed_shares, settings.service_key_policy) == (False, False, "attach")
    assert settings.regions == () and settings.home_region == "cn-hangzhou" and settings.lock_roles


def test_values_are_read() -> None:
    settings = Settings.from_environment(
        {
            "SHARETRUST_DRY_RUN": "yes",
            "SHARETRUST_RETRY_FAILED_SHARES": "1",
            "SHARETRUST_SERVICE_KEY_POLICY": "warn",
            "SHARETRUST_REGIONS": "cn-hangzhou, cn-shanghai",
            "FC_REGION": "cn-beijing",
            "SHARETRUST_ACCOUNT_ID": "123",
        }
    )
    assert settings.dry_run and settings.retry_failed_shares and settings.service_key_policy == "warn"
    assert settings.regions == ("cn-hangzhou", "cn-shanghai") and settings.home_region == "cn-beijing"
    assert settings.account_uid == "123"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("SHARETRUST_DRY_RUN", "maybe"),
        ("SHARETRUST_SERVICE_KEY_POLICY", "ignore"),
        ("SHARETRUST_REGIONS", "cn-hangzhou,Mars"),
        ("SHARETRUST_ACCOUNT_ID", "12ab"),
        ("SHARETRUST_ACCOUNT_ID", " 123"),
        ("SHARETRUST_DEADLINE_SECONDS", "soon"),
        ("SHARETRUST_DEADLINE_SECONDS", "0"),
        ("SHARETRUST_DEADLINE_SECONDS", "nan"),
        ("SHARETRUST_DENY_SHAREES", "1234567890123456,alice"),
        ("SHARETRUST_ALLOW_SHAREES", " 123"),
        ("SHARETRUST_TRUST_POLICY_MAX_CHARS", "100"),
        ("SHARETRUST_PRUNE", "sometimes"),
    ],
)
def test_bad_values_name_the_variable(name: str, value: str) -> None:
    with pytest.raises(SettingsError, match=name):
        Settings.from_environment({name: value})


def test_credentials_come_from_the_fc_context_first_then_the_environment() -> None:
    env = {"ALIBABA_CLOUD_ACCESS_KEY_ID": "env-id", "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "env-secret"}
    context = SimpleNamespace(
        credentials=SimpleNamespace(access_key_id="ctx-id", access_key_secret="ctx-secret", security_token="ctx-token")
    )
    assert Credentials.resolve(context, env) == Credentials("ctx-id", "ctx-secret", "ctx-token")
    python312 = SimpleNamespace(request_id="r")  # FC python3.12: no context.credentials
    assert Credentials.resolve(python312, env) == Credentials("env-id", "env-secret", None)


def test_credentials_never_show_their_secret() -> None:
    shown = repr(Credentials("LTAI-id", "very-secret", "very-token"))
    assert "LTAI-id" in shown and "very-secret" not in shown and "very-token" not in shown


def test_the_endpoint_switch() -> None:
    local = Endpoints.from_environment({"SHARETRUST_ENDPOINT": "http://127.0.0.1:8080"})
    assert local.proxy == "http://127.0.0.1:8080" and local.protocol == "http"
    assert local.host("kms", "cn-shanghai") == "kms.cn-shanghai.aliyuncs.com"
    public = Endpoints.from_environment({})
    assert public.proxy is None and public.protocol == "https"
    assert public.host("ram", "cn-shanghai") == "ram.aliyuncs.com"
    assert public.host("ecs", "cn-hangzhou") == "ecs-cn-hangzhou.aliyuncs.com"


@pytest.mark.parametrize("value", ["https://127.0.0.1:1", "ftp://x", "http://127.0.0.1:1/path"])
def test_a_bad_endpoint_is_refused(value: str) -> None:
    with pytest.raises(EndpointError, match="SHARETRUST_ENDPOINT"):
        Endpoints.from_environment({"SHARETRUST_ENDPOINT": value})


def test_the_deadline_defaults_below_the_functions_timeout() -> None:
    assert Settings.from_environment({"SHARETRUST_DEADLINE_SECONDS": "2.5"}).deadline_seconds == 2.5
    assert Settings.from_environment({}).deadline_seconds is None  # then 60 s, or the function's timeout less a margin
    assert Deadline.for_function(60) == 54  # 10 %
    assert Deadline.for_function(10) == 7  # at least 3 s
    assert Deadline.for_function(2) == 1  # never below a second
