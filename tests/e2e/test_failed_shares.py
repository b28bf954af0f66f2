"""A share refused with AssumeRoleError, in both strictness modes of the local cloud."""

from __future__ import annotations

from typing import Any

import pytest
from Tea.exceptions import TeaException

from localcloud import LocalCloud
from localcloud.oracle import can_use
from tests.e2e.conftest import e2e_seed, settle, share_image, usable
from tests.localcloud.conftest import SHAREE


@pytest.fixture(params=["role-exists", "role-trusts"])
def seed(request: pytest.FixtureRequest) -> dict[str, Any]:
    # role-exists: the image role is missing. role-trusts: it exists but does not trust the sharee yet.
    mode = str(request.param)
    return e2e_seed(share_check=mode, image_role=mode == "role-trusts", trail_logs=False)


def _refused_share(lc: LocalCloud) -> None:
    with pytest.raises(TeaException) as refused:
        share_image(lc, "m-cmk0001", SHAREE)
    assert refused.value.code == "AssumeRoleError"


def test_sharetrust_prepares_the_role_and_repeats_the_share(lc: LocalCloud, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHARETRUST_RETRY_FAILED_SHARES", "true")
    _refused_share(lc)
    settle(lc)
    assert usable(lc, SHAREE, "m-cmk0001"), can_use(lc.cloud, SHAREE, "m-cmk0001").reason


def test_without_repeating_the_users_retry_now_succeeds(lc: LocalCloud) -> None:
    _refused_share(lc)
    settle(lc)
    assert can_use(lc.cloud, SHAREE, "m-cmk0001").missing_link == "shared"  # not shared: nobody repeated it
    share_image(lc, "m-cmk0001", SHAREE)  # the user's own retry is accepted now
    settle(lc)
    assert usable(lc, SHAREE, "m-cmk0001"), can_use(lc.cloud, SHAREE, "m-cmk0001").reason
