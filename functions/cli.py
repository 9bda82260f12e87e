"""Operator commands against the configured AWS account (or a local endpoint via AWS_ENDPOINT_URL).

python -m functions.cli init-secret            create the signing secret in SSM if it is missing
python -m functions.cli admin-token [LABEL]    create an admin token (printed once, stored hashed)
python -m functions.cli revoke-token TOKEN     revoke an admin token
python -m functions.cli replay-clicks FILE     re-put click events logged as click_tracking_failed
python -m functions.cli index-feed-sources     index feed sources registered before their listing index
python -m functions.cli revoke-employee-tokens EMAIL_OR_ID
                                               withdraw an employee's site token, preferences and share links
python -m functions.cli recount-directory      count the directory again (the KPIs' rates divide by it)
python -m functions.cli recompute-kpis DAY     rebuild a day's KPI facts from its archived events
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m functions.cli", description="Chorus operator commands")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("init-secret", help="create the signing secret in SSM if it is missing")
    token = commands.add_parser("admin-token", help="create an admin token")
    token.add_argument("label", nargs="?", default="cli")
    revoke = commands.add_parser("revoke-token", help="revoke an admin token")
    revoke.add_argument("token")
    withdraw = commands.add_parser(
        "revoke-employee-tokens", help="withdraw an employee's site token, preferences and share links issued so far"
    )
    withdraw.add_argument("employee", help="their email address or employee id")
    replay = commands.add_parser("replay-clicks", help="re-put click events from JSON log lines (- for stdin)")
    replay.add_argument("file")
    commands.add_parser(
        "backfill-digest-slots", help="index existing employees for the digest planner (a one-off full read)"
    )
    commands.add_parser(
        "index-feed-sources", help="index feed sources registered before the listing index (a one-off full read)"
    )
    commands.add_parser(
        "recount-directory", help="count employees in all and active, per team, again (a one-off full read)"
    )
    recompute = commands.add_parser("recompute-kpis", help="rebuild a day's KPI facts from its archived events")
    recompute.add_argument("day", help="YYYY-MM-DD")
    site = commands.add_parser("build-site", help="rebuild the static site now (only what changed)")
    site.add_argument("--everything", action="store_true", help="render every page, changed or not")
    args = parser.parse_args(argv)

    if args.command == "init-secret":
        from functions.secrets import ensure_master_secret

        print("created" if ensure_master_secret() else "already present")
    elif args.command == "admin-token":
        from functions.admin.tokens import AdminTokenStore

        print(f"Admin token: {AdminTokenStore().create(args.label)}")
    elif args.command == "revoke-token":
        from functions.admin.tokens import AdminTokenStore

        if not AdminTokenStore().revoke(args.token):
            print("no such token", file=sys.stderr)
            return 1
        print("revoked")
    elif args.command == "revoke-employee-tokens":
        return revoke_employee_tokens(args.employee)
    elif args.command == "backfill-digest-slots":
        from functions.directory.store import EmployeeStore

        read, changed = EmployeeStore().backfill_digest_slots()
        print(f"{read} employees read, {changed} digest slots set or removed")
    elif args.command == "recount-directory":
        from functions.directory.store import EmployeeStore

        counts = EmployeeStore().recount()
        print(f"{counts.total} employees, {counts.active} active, in {len(counts.teams)} teams")
    elif args.command == "recompute-kpis":
        return recompute_kpis(args.day)
    elif args.command == "index-feed-sources":
        from functions.content.feed_store import FeedSourceStore

        read, indexed = FeedSourceStore().backfill_index()
        print(f"{read} feed sources read, {indexed} indexed")
    elif args.command == "build-site":
        from functions.sitegen.build import SiteBusyError, rebuild

        try:
            report = rebuild(everything=args.everything)
        except SiteBusyError as exc:
            print(f"{exc}; try again in a few minutes", file=sys.stderr)
            return 1
        print(
            f"{report.rendered} of {report.pages} pages rendered, {report.written} objects written, "
            f"{report.deleted} deleted in {report.seconds:.1f} s"
        )
    elif args.command == "replay-clicks":
        return replay_clicks(sys.stdin if args.file == "-" else Path(args.file).open())
    return 0


def recompute_kpis(day: str) -> int:
    from datetime import date

    from functions.kpis.recompute import recompute

    try:
        date.fromisoformat(day)
    except ValueError:
        print(f"{day!r} is not a day (YYYY-MM-DD)", file=sys.stderr)
        return 2
    rows = recompute(day, write=True)
    print(f"{day}: {len(rows)} fact rows rebuilt from the archive and stored as the day's facts")
    return 0


def revoke_employee_tokens(who: str) -> int:
    from functions.directory.model import EmployeeNotFoundError, employee_id_for
    from functions.directory.service import revoke_employee_tokens as revoke

    try:
        employee = revoke(employee_id_for(who) if "@" in who else who)
    except EmployeeNotFoundError:
        print(f"no employee {who!r} in the directory", file=sys.stderr)
        return 1
    print(
        f"revoked: {employee.name}'s site token, preferences and share links no longer work "
        f"(token version {employee.token_version}); their next digest brings new ones, unsubscribe links still work"
    )
    return 0


def replay_clicks(lines: Iterable[str]) -> int:
    """Write every ``replay_item`` found in Powertools JSON log lines that is not in the log: into the bucket
    open now (a closed slice is never read again), marked late; its id lets counting take it once."""
    from functions.events import EventStore, event_from_item

    store = EventStore()
    replayed = skipped = 0
    for line in lines:
        try:
            record = json.loads(line)
        except ValueError:
            skipped += 1
            continue
        item = record.get("replay_item") if isinstance(record, dict) else None
        if record.get("message") != "click_tracking_failed" or not isinstance(item, dict):
            skipped += 1
            continue
        if store.stored(item):
            skipped += 1
            continue
        store.put_late(event_from_item(item))
        replayed += 1
    print(f"replayed {replayed} click(s), skipped {skipped} line(s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
