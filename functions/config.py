"""Settings, read once from the environment (never at import time)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import cache

LANGUAGES = ("en", "pl", "lt", "ru")  # of content, people, email and the site: the one list
NETWORKS = ("linkedin", "x", "facebook", "whatsapp", "email")
# Brand names stay as they are in every language; "email" is translated where it is shown.
POLL_CADENCES = ("off", "monthly", "quarterly")  # how often a poll is asked: one poll id per period
MAX_POINTS = 1000  # per counted event: a typo (10000 for 10) is refused rather than flooding the boards
NETWORK_NAMES = {"linkedin": "LinkedIn", "x": "X", "facebook": "Facebook", "whatsapp": "WhatsApp"}


# Earned media value: what the programme's reach would have cost as ads. Assumed defaults (USD), to be set
# per company with EMV_CPC, EMV_CPM and EMV_IMPRESSIONS_PER_SHARE ("linkedin=5.26,x=0.38,…"): cost per
# click and per thousand impressions as typically quoted for each network's ads, and the impressions one
# employee's post is assumed to earn. Messaging apps and email have no ad market: no impressions priced.
DEFAULT_CPC = {"linkedin": 5.26, "x": 0.38, "facebook": 0.97, "whatsapp": 0.0, "email": 0.0}
DEFAULT_CPM = {"linkedin": 33.80, "x": 6.46, "facebook": 7.19, "whatsapp": 0.0, "email": 0.0}
DEFAULT_IMPRESSIONS_PER_SHARE = {"linkedin": 400.0, "x": 150.0, "facebook": 120.0, "whatsapp": 0.0, "email": 0.0}


@dataclass(frozen=True)
class EmvPrices:
    cpc: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_CPC))
    cpm: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_CPM))
    impressions_per_share: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_IMPRESSIONS_PER_SHARE))
    currency: str = "USD"

    @classmethod
    def from_env(cls, env: dict[str, str]) -> EmvPrices:
        return cls(
            cpc=_per_network(env, "EMV_CPC", DEFAULT_CPC),
            cpm=_per_network(env, "EMV_CPM", DEFAULT_CPM),
            impressions_per_share=_per_network(env, "EMV_IMPRESSIONS_PER_SHARE", DEFAULT_IMPRESSIONS_PER_SHARE),
            currency=(env.get("EMV_CURRENCY") or "USD").strip().upper(),
        )


def _per_network(env: dict[str, str], name: str, defaults: dict[str, float]) -> dict[str, float]:
    """``linkedin=5.26,x=0.38``: the networks named take these values, the others keep their default."""
    values = dict(defaults)
    for part in (env.get(name) or "").split(","):
        if not part.strip():
            continue
        network, _, raw = part.partition("=")
        network = network.strip()
        if network not in NETWORKS:
            raise ValueError(f"{name}: {network!r} is not a network ({', '.join(NETWORKS)})")
        try:
            value = float(raw)
        except ValueError:
            raise ValueError(f"{name}: {network} must be a number, got {raw.strip()!r}") from None
        if not 0 <= value < 1e9:
            raise ValueError(f"{name}: {network} must not be negative, got {value}")
        values[network] = value
    return values


@dataclass(frozen=True)
class Settings:
    links_table: str
    events_table: str
    aggregates_table: str
    content_table: str
    employees_table: str
    admin_tokens_table: str
    feed_sources_table: str
    suggestions_table: str
    digests_table: str
    polls_table: str  # each employee's poll answers and each poll's totals (functions/polls/store.py)
    digest_queue_name: str
    feed_pull_queue_name: str
    click_backlog_queue_name: str  # clicks whose event write failed, written later (functions/clicks/backlog.py)
    mail_from: str
    mail_configuration_set: str | None
    unsubscribe_address: str  # where mailto unsubscribes go (an SES receipt rule reads it)
    site_bucket: str
    data_bucket: str  # private: the counting run's decision state and the archive of raw events
    secret_parameter: str
    short_base_url: str
    api_base_url: str
    site_base_url: str  # where the static site is served (its own domain in AWS; the API's port locally)
    event_ttl_days: int = 400
    count_slice_seconds: int = 300  # the counting run folds the event log one slice at a time
    count_grace_seconds: int = 60  # a slice is counted once its end is this far in the past
    event_bucket_seconds: int = 60  # events are keyed by the minute they were written in (divides the slice)
    event_shards: int = 10  # partition keys per bucket: a viral link's clicks spread over this many
    share_link_ttl_days: int = 30
    link_cache_seconds: int = 300
    # The points rules (issue 13): what each counted share, unique human click and approved suggestion earns.
    points_per_unique_human_click: int = 10
    points_per_share: int = 1
    points_per_approved_suggestion: int = 5
    # Whether mail to unsubscribe_address is read (InboundUnsubscribe): if not, digests offer only the https link.
    inbound_unsubscribe: bool = True
    digest_hour: int = 8  # local delivery hour
    digest_items: int = 8  # items per digest (at most 10)
    digest_company_share: float = 0.2  # share of company content; the rest third-party (the Dell rule)
    # How often each one-question poll rides in the digest (functions/polls): off, monthly or quarterly.
    enps_poll: str = "quarterly"  # "How likely are you to recommend working here?" 0-10
    satisfaction_poll: str = "monthly"  # "How useful is this programme to you?" 1-5
    kpi_cache_dir: str = "/tmp/chorus-kpis"  # noqa: S108 - Lambda's only writable place: the KPI files' cache
    kpi_cache_mb: int = 256  # the cache's size, beyond which the files used longest ago are deleted
    referral_topics: tuple[str, ...] = ("hiring", "careers", "jobs")  # an item with one is a referral item
    # The Results page flags a day whose clicks of one network (or of one reason they earned nothing) are
    # over surge_factor × their median over the surge_baseline_days before it, and at least surge_minimum.
    surge_factor: int = 5
    surge_minimum: int = 50
    surge_baseline_days: int = 14
    emv: EmvPrices = field(default_factory=lambda: EmvPrices())
    region: str = "us-east-1"
    s3_endpoint_url: str | None = None  # a local S3 (moto) instead of AWS's; the browser uploads images there

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if env is None else env)
        stage = env.get("CHORUS_STAGE", "dev")

        def table(name: str) -> str:
            return env.get(f"{name.upper()}_TABLE", f"chorus-{stage}-{name}")

        base = env.get("API_BASE_URL", "http://localhost:8000").rstrip("/")
        mail_from = env.get("MAIL_FROM", "Chorus <chorus@example.com>")
        return cls(
            links_table=table("links"),
            events_table=table("events"),
            aggregates_table=table("aggregates"),
            content_table=table("content"),
            employees_table=table("employees"),
            admin_tokens_table=table("admin_tokens"),
            feed_sources_table=table("feed_sources"),
            suggestions_table=table("suggestions"),
            digests_table=table("digests"),
            polls_table=table("polls"),
            digest_queue_name=env.get("DIGEST_QUEUE_NAME", f"chorus-{stage}-digests"),
            feed_pull_queue_name=env.get("FEED_PULL_QUEUE_NAME", f"chorus-{stage}-feed-pulls"),
            click_backlog_queue_name=env.get("CLICK_BACKLOG_QUEUE_NAME", f"chorus-{stage}-click-backlog"),
            mail_from=mail_from,
            mail_configuration_set=env.get("MAIL_CONFIGURATION_SET") or None,
            unsubscribe_address=env.get("UNSUBSCRIBE_ADDRESS") or _unsubscribe_address(mail_from),
            inbound_unsubscribe=env.get("INBOUND_UNSUBSCRIBE", "true").strip().lower() != "false",
            site_bucket=env.get("SITE_BUCKET", f"chorus-{stage}-site-000000000000"),
            data_bucket=env.get("DATA_BUCKET", f"chorus-{stage}-data-000000000000"),
            secret_parameter=env.get("SECRET_PARAMETER", f"/chorus/{stage}/secret"),
            short_base_url=env.get("SHORT_BASE_URL", base).rstrip("/"),
            api_base_url=base,
            site_base_url=env.get("SITE_BASE_URL", base).rstrip("/"),
            event_ttl_days=_positive_int(env, "EVENT_TTL_DAYS", 400),
            **_counting(env),
            share_link_ttl_days=_positive_int(env, "SHARE_LINK_TTL_DAYS", 30),
            link_cache_seconds=_positive_int(env, "LINK_CACHE_SECONDS", 300),
            points_per_unique_human_click=_bounded_int(
                env,
                "POINTS_PER_UNIQUE_CLICK" if env.get("POINTS_PER_UNIQUE_CLICK") else "POINTS_PER_UNIQUE_HUMAN_CLICK",
                10,
                0,
                MAX_POINTS,
            ),
            points_per_share=_bounded_int(env, "POINTS_PER_SHARE", 1, 0, MAX_POINTS),
            points_per_approved_suggestion=_bounded_int(env, "POINTS_PER_APPROVED_SUGGESTION", 5, 0, MAX_POINTS),
            digest_hour=_bounded_int(env, "DIGEST_HOUR", 8, 0, 23),
            digest_items=_bounded_int(env, "DIGEST_ITEMS", 8, 1, 10),
            digest_company_share=_fraction(env, "DIGEST_COMPANY_SHARE", 0.2),
            enps_poll=_choice(env, "ENPS_POLL", "quarterly", POLL_CADENCES),
            satisfaction_poll=_choice(env, "SATISFACTION_POLL", "monthly", POLL_CADENCES),
            kpi_cache_dir=env.get("KPI_CACHE_DIR") or "/tmp/chorus-kpis",  # noqa: S108 - Lambda's writable place
            kpi_cache_mb=_bounded_int(env, "KPI_CACHE_MB", 256, 1, 10240),
            referral_topics=tuple(
                topic.strip().lower()
                for topic in (env.get("REFERRAL_TOPICS") or "hiring,careers,jobs").split(",")
                if topic.strip()
            ),
            surge_factor=_bounded_int(env, "SURGE_FACTOR", 5, 2, 1000),
            surge_minimum=_bounded_int(env, "SURGE_MINIMUM", 50, 1, 10_000_000),
            surge_baseline_days=_bounded_int(env, "SURGE_BASELINE_DAYS", 14, 1, 60),
            emv=EmvPrices.from_env(env),
            region=env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or "us-east-1",
            s3_endpoint_url=(env.get("AWS_ENDPOINT_URL_S3") or env.get("AWS_ENDPOINT_URL") or "").rstrip("/") or None,
        )


def _positive_int(env: dict[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"{name} must be a whole number, got {raw!r}") from None
    if value < 0:
        raise ValueError(f"{name} must not be negative, got {value}")
    return value


def _counting(env: dict[str, str]) -> dict[str, int]:
    slice_seconds = _bounded_int(env, "COUNT_SLICE_SECONDS", 300, 1, 3600)
    bucket_seconds = _bounded_int(env, "EVENT_BUCKET_SECONDS", 60, 1, 3600)
    if slice_seconds % bucket_seconds or 86400 % slice_seconds:
        raise ValueError(
            f"EVENT_BUCKET_SECONDS ({bucket_seconds}) must divide COUNT_SLICE_SECONDS ({slice_seconds}),"
            " which must divide a day"
        )
    return {
        "count_slice_seconds": slice_seconds,
        "count_grace_seconds": _bounded_int(env, "COUNT_GRACE_SECONDS", 60, 1, 3600),
        "event_bucket_seconds": bucket_seconds,
        "event_shards": _bounded_int(env, "EVENT_SHARDS", 10, 1, 100),
    }


def _unsubscribe_address(mail_from: str) -> str:
    from email.utils import parseaddr

    return f"unsubscribe@{parseaddr(mail_from)[1].rpartition('@')[2] or 'example.com'}"


def _bounded_int(env: dict[str, str], name: str, default: int, low: int, high: int) -> int:
    value = _positive_int(env, name, default)
    if not low <= value <= high:
        raise ValueError(f"{name} must be between {low} and {high}, got {value}")
    return value


def _fraction(env: dict[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"{name} must be a number between 0 and 1, got {raw!r}") from None
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{name} must be between 0 and 1, got {value}")
    return value


def _choice(env: dict[str, str], name: str, default: str, choices: tuple[str, ...]) -> str:
    value = (env.get(name) or default).strip().lower()
    if value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(choices)}, got {env.get(name)!r}")
    return value


@cache
def settings() -> Settings:
    """The process-wide settings; tests call ``settings.cache_clear()`` after changing env."""
    return Settings.from_env()
