"""`make demo` is the README's main command: it must keep passing its own expectations."""

from __future__ import annotations

import pytest

from localcloud import demo


def test_the_demo_outcomes_hold(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("SHARETRUST_ENDPOINT", "SHARETRUST_RETRY_FAILED_SHARES", "SHARETRUST_REGIONS"):
        monkeypatch.delenv(name, raising=False)  # the demo sets them; monkeypatch restores them afterwards
    assert demo.main() == 0
    table = capsys.readouterr().out
    assert "all outcomes as expected" in table
    assert table.count(" ok") == 8
