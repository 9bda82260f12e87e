"""The directory's counts (everyone, active; per team), which the KPIs' rates divide by: kept by every write."""

from __future__ import annotations

from collections import Counter

import pytest

from functions.cli import main
from functions.directory.counts import CountsRecord, DirectoryCounts
from functions.directory.model import employee_id_for
from functions.directory.service import deactivate_employee, import_employees, reactivate_employee

pytestmark = pytest.mark.usefixtures("aws")


def directory(*rows: str, header: str = "email,name,team") -> bytes:
    return "\n".join([header, *rows]).encode()


def counts() -> DirectoryCounts:
    return CountsRecord().read()


def test_no_record_yet_says_so() -> None:
    assert counts().known is False


def test_imports_deactivations_and_reactivations_keep_the_counts_and_a_recount_agrees() -> None:
    import_employees(directory("ada@example.com,Ada,North", "bob@example.com,Bob,South", "cy@example.com,Cy,South"))
    assert (counts().total, counts().active, counts().teams) == (3, 3, {"North": (1, 1), "South": (2, 2)})

    bob = employee_id_for("bob@example.com")
    deactivate_employee(bob)
    deactivate_employee(bob, keep_on_leaderboard=True)  # again: nothing more changes
    assert (counts().total, counts().active, counts().teams["South"]) == (3, 2, (2, 1))

    # Ada moves to South, Cy leaves through the file, Dan arrives; Bob's row says nothing of his activity
    import_employees(
        directory(
            "ada@example.com,Ada,South,",
            "bob@example.com,Bob,South,",
            "cy@example.com,Cy,South,no",
            "dan@example.com,Dan,North,",
            header="email,name,team,active",
        )
    )
    assert (counts().total, counts().active) == (4, 2)
    assert counts().teams == {"North": (1, 1), "South": (3, 1)}
    reactivate_employee(bob)
    reactivate_employee(bob)
    assert counts().of_team("South") == (3, 2) and counts().of_team(None) == (4, 3)
    before = counts()
    CountsRecord().add(Counter({"active": 5}))  # as if a write had died between an employee and its count
    assert main(["recount-directory"]) == 0  # the operator's command (a Scan, with their credentials)
    assert counts() == before  # counted from scratch: the figures every write kept
