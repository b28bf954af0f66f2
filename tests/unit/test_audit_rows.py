"""The report's rows for refused Resource Sharing associations (pure: facts in, rows out)."""

from __future__ import annotations

from sharetrust.audit import audit_rows
from sharetrust.truth.reader import AccountFacts, RefusedAssociation

UID = "1111111111111111"


def test_a_refused_resource_and_a_refused_target_each_name_what_was_refused() -> None:
    facts = AccountFacts(
        UID,
        refused=[
            RefusedAssociation("rs-1", "cn-hangzhou", "s-svc0001", "InvalidOperation.ServiceKey: no"),
            RefusedAssociation("rs-2", "cn-hangzhou", "2222222222222222", "SomethingElse: the target refused"),
        ],
    )

    rows = {(r.kind, r.resource, r.sharee, r.missing) for r in audit_rows(facts, {})}

    assert rows == {
        ("snapshot", "s-svc0001", "every target of rs-1", "InvalidOperation.ServiceKey"),
        ("share", "rs-2", "2222222222222222", "SomethingElse"),
    }
