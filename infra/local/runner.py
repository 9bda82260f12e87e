"""`make run`: all of Chorus on this machine, with no AWS account.

One process: an in-process moto server (DynamoDB, S3, SES, SQS, SSM) with fake credentials, the
resources from infra/template.yaml, demo data on first start, the Chalice app on http://localhost:8000,
and the event handlers and schedules that Lambda would run (the counting run every half second). Requests are
served concurrently (a thread per connection; moto answers one AWS call at a time, see moto_server.py),
and expired TTL items are deleted as DynamoDB would (expiry.py). State is kept under .state/ between runs
(``CHORUS_STATE_DIR`` or ``--state-dir`` moves it, ``PORT`` or ``--port`` the port, so several stacks can
run side by side); Ctrl-C stops everything and frees the ports.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
import time
import uuid
from pathlib import Path
from types import SimpleNamespace
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
REGION = "us-east-1"


def configure_environment(port: int, moto_url: str, env: dict[str, str] | None = None) -> None:
    """Point every boto3 client at moto with fake credentials: nothing can reach a real account."""
    from infra.local.counting import LOCAL_SETTINGS
    from infra.resources import table_env

    target = os.environ if env is None else env
    target.update(
        {
            "AWS_ACCESS_KEY_ID": "local",
            "AWS_SECRET_ACCESS_KEY": "local",
            "AWS_SESSION_TOKEN": "local",
            "AWS_DEFAULT_REGION": REGION,
            "AWS_REGION": REGION,
            "AWS_ENDPOINT_URL": moto_url,
            "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
            "API_BASE_URL": f"http://localhost:{port}",
            "SHORT_BASE_URL": f"http://localhost:{port}",
            "SITE_BASE_URL": f"http://localhost:{port}",
            "POWERTOOLS_METRICS_DISABLED": "true",
            "POWERTOOLS_LOG_LEVEL": target.get("POWERTOOLS_LOG_LEVEL", "WARNING"),
            **table_env("dev"),
            **LOCAL_SETTINGS,
        }
    )
    for name in ("AWS_PROFILE", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
        target.pop(name, None)


class Runner:
    def __init__(self, port: int, state_dir: Path, demo: bool = True) -> None:
        self.port = port
        self.state_dir = state_dir
        self.demo = demo
        self.stopping = threading.Event()

    def start(self) -> None:
        import logging

        from infra.local.moto_server import SerialMotoServer

        logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's per-request access log

        self.moto = SerialMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        self.moto.start()
        host, moto_port = self.moto.get_host_and_port()
        configure_environment(self.port, f"http://{host}:{moto_port}")
        os.environ.setdefault("KPI_CACHE_DIR", str(self.state_dir / "kpi-cache"))  # files cached from the bucket

        import boto3

        from functions.admin.tokens import AdminTokenStore
        from infra.local.state import LocalState
        from infra.resources import create_all, tables

        self.dynamodb = boto3.client("dynamodb")
        self.tables = [spec["create"]["TableName"] for spec in tables("dev").values()]
        create_all(self.dynamodb, boto3.client("s3"), sqs=boto3.client("sqs"), ses=boto3.client("ses"))
        self.state = LocalState(self.state_dir)
        fresh = not self.state.exists
        self.state.restore(self.dynamodb)
        self._expire()
        self.s3 = boto3.client("s3")
        self.state.restore_media(self.s3, os.environ["SITE_BUCKET"])
        self.state.restore_data(self.s3, os.environ["DATA_BUCKET"])
        boto3.client("ssm").put_parameter(
            Name=os.environ["SECRET_PARAMETER"], Value=self.state.secret(), Type="SecureString", Overwrite=True
        )

        import app as chorus

        self.app = chorus
        from infra.local.counting import LocalCounting
        from infra.local.schedules import ScheduleDriver

        self.schedules = ScheduleDriver(chorus)
        self.counting = LocalCounting(self.schedules.fire)
        self.counting.resume(None if fresh else self.state.saved_at)
        self.counting.count()  # a fresh start takes its checkpoint here, before the demo's clicks
        if not fresh:  # state saved by an older version may predate the digest planner's and feeds' indexes
            from functions.content.feed_store import FeedSourceStore
            from functions.directory.counts import CountsRecord
            from functions.directory.store import EmployeeStore

            EmployeeStore().backfill_digest_slots()
            FeedSourceStore().backfill_index()
            if not CountsRecord().read().known:  # and the directory's counts (the KPIs' rates)
                EmployeeStore().recount()
        if fresh and self.demo:
            from infra.local.demo import seed

            seed()
            self.counting.settle()  # the demo's clicks on the leaderboard before the first page is served
        self.admin_token = AdminTokenStore().create("make run")
        self.save()
        self._mail()
        self._feeds()
        self._click_backlog()
        self._site()
        self.server = self._serve()

    def _expire(self) -> None:
        """TTL, which moto stores but never enforces: a sweep now and every minute, on its own thread."""
        from infra.local.expiry import TtlSweeper, ttl_attributes

        sweeper = TtlSweeper(self.dynamodb, ttl_attributes("dev"))
        threading.Thread(target=sweeper.run, args=(self.stopping,), name="ttl", daemon=True).start()

    def _mail(self) -> None:
        """The digest queue's worker and the outbox, both driven from the loop (and by `make digest`)."""
        import boto3

        from functions.config import settings
        from infra.local import dev_routes
        from infra.local.outbox import Outbox
        from infra.local.queues import QueuePump

        self.mail_lock = threading.Lock()
        self.digests = QueuePump(
            boto3.client("sqs"), settings().digest_queue_name, self.app.send_digests, "send_digests", batch_size=2
        )
        self.outbox = Outbox(self.state_dir / "outbox")
        dev_routes.outbox = self.outbox
        dev_routes.send_digests_now = self.send_digests_now
        self.app.app.register_blueprint(dev_routes.bp)

    def _feeds(self) -> None:
        """The feed-pull queue's worker, on its own thread: a slow feed never holds up clicks or mail."""
        import boto3

        from functions.config import settings
        from infra.local.queues import QueuePump

        queue = settings().feed_pull_queue_name
        self.feed_pulls = QueuePump(boto3.client("sqs"), queue, self.app.pull_feed, "pull_feed")
        threading.Thread(target=self._pull_feeds, name="feeds", daemon=True).start()

    def _pull_feeds(self, every: float = 0.5) -> None:
        while not self.stopping.wait(every):
            try:
                self.feed_pulls.pump()
            except Exception as exc:  # noqa: BLE001 - keep pulling; say what went wrong
                print(f"feed pulls failed: {exc!r}", file=sys.stderr, flush=True)

    def _click_backlog(self) -> None:
        """The click backlog's worker (clicks whose event write failed), driven from the loop."""
        import boto3

        from functions.config import settings
        from infra.local.queues import QueuePump

        queue, handler = settings().click_backlog_queue_name, self.app.write_backlog_clicks
        self.click_backlog = QueuePump(boto3.client("sqs"), queue, handler, "write_backlog_clicks", batch_size=10)

    def _site(self) -> None:
        """The site: built now, then by the 10-minute schedule, after content changes and on POST /dev/site."""
        import boto3

        from functions.sitegen.build import clear_lease
        from infra.local import dev_routes
        from infra.local.streams import StreamPump

        self.site_lock = threading.Lock()
        clear_lease(self.dynamodb)  # this process is the only builder: no build is running now
        self.content_pump = StreamPump(
            self.dynamodb, boto3.client("dynamodbstreams"), os.environ["CONTENT_TABLE"], self._rebuild_site
        )
        self.directory_pump = StreamPump(
            self.dynamodb,
            boto3.client("dynamodbstreams"),
            os.environ["EMPLOYEES_TABLE"],
            lambda event: self._rebuild_site(event, "rebuild_site_for_directory"),
            batch_size=1000,
        )
        self.content_pump.start("LATEST")  # what is stored now is in the build below
        self.directory_pump.start("LATEST")
        dev_routes.build_site_now = self.build_site_now
        self.build_site_now()

    def build_site_now(self) -> dict[str, Any]:
        with self.site_lock:
            return self.schedules.fire("build_site")

    def _rebuild_site(self, event: dict[str, Any], handler: str = "rebuild_site") -> dict[str, Any]:
        """A stream handler of app.py (content or directory changes), one build at a time."""
        with self.site_lock:
            context = SimpleNamespace(aws_request_id=str(uuid.uuid4()), function_name=handler)
            return getattr(self.app, handler)(event, context)

    def deliver_mail(self) -> int:
        """Send what the digest queue holds; copy what SES accepted into the outbox. Returns the emails sent."""
        with self.mail_lock:
            self.digests.pump()
            return self.outbox.collect()

    def send_digests_now(self, everyone: bool) -> dict[str, Any]:
        from datetime import UTC, datetime

        from functions.config import settings
        from functions.digest.plan import enqueue_due

        report = enqueue_due(datetime.now(UTC), hour=settings().digest_hour, everyone=everyone)
        sent = self.deliver_mail()
        return {
            "queued": report.employees,
            "sent": sent,
            "already_sent_or_skipped": report.employees - sent,
            "outbox": f"http://localhost:{self.port}/dev/outbox/",
        }

    def _serve(self) -> Any:
        import boto3
        from chalice.config import Config
        from chalice.local import CustomLocalChalice, LocalChalice, LocalDevServer

        from functions.config import settings
        from infra.local.gateway import Server
        from infra.local.static import handler_class

        config_file = json.loads((ROOT / ".chalice" / "config.json").read_text())
        config = Config(chalice_stage="dev", config_from_disk=config_file)
        # What chalice's create_local_server does (current_request kept per thread), with our handler class.
        CustomLocalChalice.__bases__ = (LocalChalice, self.app.app.__class__)
        self.app.app.__class__ = CustomLocalChalice
        handler = handler_class(boto3.client("s3"), settings().site_bucket)  # the site first, then the app
        server = LocalDevServer(self.app.app, config, "127.0.0.1", self.port, handler_cls=handler, server_cls=Server)
        threading.Thread(target=server.serve_forever, name="http", daemon=True).start()
        return server

    def save(self) -> None:
        self.state.save(self.moto.table_items(self.tables))
        self.state.save_media(self.s3, os.environ["SITE_BUCKET"])
        self.counting.sweep(self.s3, os.environ["DATA_BUCKET"])
        self.state.save_data(self.s3, os.environ["DATA_BUCKET"])

    def loop(self, pump_every: float = 0.5, save_every: float = 15.0, site_after: float = 10.0) -> None:
        """Drive the event handlers until asked to stop: the counting run every half second (1-second slices).

        A local convenience AWS does not have: once clicks or shares are counted, the site is rebuilt
        ``site_after`` seconds later, so the leaderboard pages follow a demo without waiting 10 minutes.
        """
        last_save = time.monotonic()
        counted_at: float | None = None
        while not self.stopping.wait(pump_every):
            try:
                self.click_backlog.pump()
                if self.counting.count() and counted_at is None:
                    counted_at = time.monotonic()
                if counted_at is not None and time.monotonic() - counted_at >= site_after:
                    counted_at = None
                    self.build_site_now()
                self.content_pump.pump()
                self.directory_pump.pump()
                with self.site_lock:
                    self.schedules.run_due()
                self.deliver_mail()
                if time.monotonic() - last_save > save_every:
                    self.save()
                    last_save = time.monotonic()
            except Exception as exc:  # noqa: BLE001 - keep serving; say what went wrong
                print(f"background work failed: {exc!r}", file=sys.stderr, flush=True)

    def stop(self) -> None:
        self.stopping.set()
        self.server.shutdown()
        self.server.server.server_close()
        try:
            self.click_backlog.pump()
            self.counting.settle()
            self.save()
        finally:
            self.moto.stop()

    def banner(self) -> str:
        from functions.digest.preferences import preferences_url
        from functions.directory.model import employee_id_for
        from functions.directory.store import EmployeeStore
        from functions.directory.tokens import employee_token
        from functions.shares.service import share_url
        from infra.local.demo import demo_data

        base = f"http://localhost:{self.port}"
        lines = [
            "",
            f"Chorus is running on {base}  (state in {self.state_dir}; Ctrl-C stops, `make reset` starts over)",
            f"  Site:               {base}/en/  (also /pl/, /lt/, /ru/; rebuilt every 10 minutes, after content"
            " changes, ~10 s after clicks are counted, and by `curl -X POST .../dev/site`)",
            f"  Leaderboard (JSON): {base}/api/leaderboard?period=week   (also: &team=Sales, period=month|all)",
            f"  Health:             {base}/api/health",
            f"  Admin form:         {base}/admin  (sign in with the admin token below)",
            f"  Sent mail:          {base}/dev/outbox/  (`make digest ALL=1` sends everyone's digest now)",
            f"Admin token: {self.admin_token}",
            "Demo share links: open one in a browser; it records the share and sends you to the network with",
            "the employee's tracked short link. Open that short link and the click shows on the leaderboard.",
        ]
        data = demo_data()
        people = EmployeeStore().get_many([employee_id_for(row["email"]) for row in data["employees"][:3]])
        content = data["content"][-2]["id"]
        first = people[employee_id_for(data["employees"][0]["email"])]
        token = employee_token(first.id, first.token_version)
        lines.append(f"Employee token for {first.name} (Authorization: Employee …): {token}")
        lines.append(f"Email preferences of {first.name}: {preferences_url(first.id, first.token_version)}")
        for employee in people.values():  # the digest's site link: the site becomes theirs in that browser
            site = f"{base}/{employee.locale}/#t={employee_token(employee.id, employee.token_version)}"
            lines.append(f"Site as {employee.name}: {site}")
        for employee in people.values():
            url = share_url(employee.id, content, "linkedin", token_version=employee.token_version)
            lines.append(f"Share as {employee.name} ({employee.team}): {url}")
        return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    from infra.local.state import default_state_dir

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT") or 8000))
    parser.add_argument("--state-dir", type=Path, default=default_state_dir(), help="$CHORUS_STATE_DIR or .state/")
    parser.add_argument("--no-demo", action="store_true", help="start empty instead of with demo data")
    args = parser.parse_args(argv)
    from infra.local.aws_calls import install_from_env

    install_from_env()  # under the tests: record the Lambda code's AWS calls for the IAM policy check
    runner = Runner(args.port, args.state_dir, demo=not args.no_demo)
    signal.signal(signal.SIGTERM, lambda *_: runner.stopping.set())
    signal.signal(signal.SIGINT, lambda *_: runner.stopping.set())
    try:
        runner.start()
    except OSError as exc:
        print(f"Cannot start Chorus on port {args.port}: {exc}. Set PORT to use another port.", file=sys.stderr)
        return 1
    print(runner.banner(), flush=True)
    try:
        runner.loop()
    finally:
        runner.stop()
        print("Chorus stopped; state saved.", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
