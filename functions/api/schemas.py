"""Request and response shapes: bodies, query and path parameters, answers.

The same models validate requests, check every answer (functions/api/operations.py) and generate
/api/openapi.json. Answers (``Out``) refuse fields they do not name, so the contract cannot lag a handler.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StrictBool, StrictInt, StrictStr, field_validator
from pydantic_core import PydanticCustomError

Language = Literal["en", "pl", "lt", "ru"]
Kind = Literal["company", "third_party"]
StoredStatus = Literal["draft", "published", "archived"]
Status = Literal["draft", "scheduled", "published", "expired", "archived"]
Network = Literal["linkedin", "x", "facebook", "whatsapp", "email"]


def _iso_text(value: Any) -> Any:
    """pydantic reads a number as a Unix time; the API takes dates as ISO 8601 text only (0 is not 1970)."""
    if not isinstance(value, str):
        raise PydanticCustomError("iso_datetime", "must be an ISO 8601 date-time, e.g. 2026-11-22T09:00:00Z")
    return value


IsoDateTime = Annotated[datetime, BeforeValidator(_iso_text)]


def _iso_day(value: Any) -> Any:
    """A day as ``YYYY-MM-DD`` text only: pydantic would read ``0`` as 1970-01-01 and ``2026-03-10T00:00`` too."""
    if not isinstance(value, str) or len(value) != 10:
        raise PydanticCustomError("iso_date", "must be a day, YYYY-MM-DD")
    return value


IsoDay = Annotated[date, BeforeValidator(_iso_day)]


def _kept(**constraints: Any) -> Any:
    """An optional field that is kept when left out, and has no null (the schema shows no default)."""
    return Field(None, json_schema_extra=_without_default, **constraints)


def _without_default(schema: dict[str, Any]) -> None:
    schema.pop("default", None)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Out(BaseModel):
    """An answer's shape: a field a handler adds and the model does not name fails the contract check."""

    model_config = ConfigDict(extra="forbid")


class Query(BaseModel):
    """A query string's parameters (each a string in the URL; the last one when repeated)."""

    model_config = ConfigDict(extra="forbid")


class Path(BaseModel):
    """A route's path parameters (an id over 256 characters is refused before any view: http.guard)."""

    model_config = ConfigDict(extra="forbid")


def _id(description: str) -> Any:
    return Field(min_length=1, max_length=256, description=description)


def _limit(default: int, most: int) -> Any:
    return Field(default, ge=1, le=most, description=f"1 to {most} (default {default})")


_CURSOR = "The next_cursor of the previous page"


class ErrorOut(Out):
    error: str = Field(description="What was wrong, in one sentence")
    fields: dict[str, str] = Field(description="Each offending field (or parameter) and what was wrong with it")


class ContentFields(Strict):
    url: StrictStr = Field(max_length=2048, description="The destination: a public http(s) URL")
    title: StrictStr = Field(min_length=1, max_length=300)
    language: Language = "en"
    summary: StrictStr = Field("", max_length=1000)
    image_url: StrictStr | None = Field(None, max_length=2048, description="An http(s) image URL")
    topics: list[StrictStr] = Field(default_factory=list, max_length=20)
    campaign: StrictStr | None = Field(None, max_length=100, description="utm_campaign; the slug when empty")
    kind: Kind = "company"
    important: StrictBool = Field(False, description="Important / call to action: first in feeds and digests")
    status: StoredStatus = "draft"
    share_texts: dict[StrictStr, list[StrictStr]] = Field(
        default_factory=dict,
        description="Suggested texts per network (linkedin, x, facebook, whatsapp, email, or default), "
        "several variants each; checked against each network's limit with the link counted",
    )
    publish_start: IsoDateTime | None = Field(None, description="ISO 8601; defaults to now")
    publish_end: IsoDateTime | None = Field(None, description="ISO 8601; the item expires then")


class ContentCreate(ContentFields):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "url": "https://www.example.com/news/launch",
                    "title": "Our autumn launch",
                    "topics": ["product"],
                    "share_texts": {"linkedin": ["Proud of this launch!"]},
                }
            ]
        }
    )

    id: StrictStr | None = Field(None, pattern=r"^[a-z0-9-]{3,40}$", description="Optional stable id")


class ContentUpdate(Strict):
    """Only the fields given change; the rest are kept.

    null clears image_url, campaign and publish_end, the only fields an item can be without; any other
    field given as null is refused (400 naming it) rather than guessed at: "" clears a summary, [] the
    topics, {} the share texts.
    """

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"title": "Our autumn launch, updated", "important": True}]}
    )

    url: StrictStr = _kept(max_length=2048)
    title: StrictStr = _kept(min_length=1, max_length=300)
    language: Language = _kept()
    summary: StrictStr = _kept(max_length=1000)
    image_url: StrictStr | None = Field(None, max_length=2048, description="null removes the image")
    topics: list[StrictStr] = _kept(max_length=20)
    campaign: StrictStr | None = Field(None, max_length=100, description="null: utm_campaign is the slug")
    kind: Kind = _kept()
    important: StrictBool = _kept()
    status: StoredStatus = _kept()
    share_texts: dict[StrictStr, list[StrictStr]] = _kept()
    publish_start: IsoDateTime = _kept()
    publish_end: IsoDateTime | None = Field(None, description="null: the item never expires")

    @field_validator(
        "url",
        "title",
        "language",
        "summary",
        "topics",
        "kind",
        "important",
        "status",
        "share_texts",
        "publish_start",
        mode="before",
    )
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        if value is None:
            raise PydanticCustomError("null", "cannot be null: leave the field out to keep its value")
        return value


class ContentOut(Out):
    id: str
    url: str
    title: str
    slug: str
    language: Language
    summary: str
    image_url: str | None
    topics: list[str]
    campaign: str | None
    kind: Kind
    important: bool
    status: Status = Field(description="As of now: scheduled and expired follow the publish window")
    share_texts: dict[str, list[str]]
    publish_start: str
    publish_end: str | None
    created_at: str
    created_by: str
    updated_at: str
    updated_by: str


class PublicContentOut(Out):
    id: str
    url: str
    title: str
    slug: str
    language: Language
    summary: str
    image_url: str | None
    topics: list[str]
    kind: Kind
    important: bool
    share_texts: dict[str, list[str]]
    publish_start: str
    publish_end: str | None


class ContentPageOut(Out):
    items: list[ContentOut]
    next_cursor: str | None = Field(description="Pass as ?cursor= for the next page; null on the last")


class FeedOut(Out):
    items: list[PublicContentOut]
    next_cursor: str | None = Field(description="Pass as ?cursor= for the next page; null on the last")


class ImportUrlIn(Strict):
    model_config = ConfigDict(json_schema_extra={"examples": [{"url": "https://www.example.com/news/launch"}]})

    url: StrictStr = Field(max_length=2048)


class ImportedPageOut(Out):
    url: str
    title: str | None
    summary: str | None
    image_url: str | None
    language: str | None
    site_name: str | None


class ShareLinksIn(Strict):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"employee_id": "b5fc85e55755f9e0", "content_id": "launch"}]}
    )

    employee_id: StrictStr = Field(min_length=1, max_length=100)
    content_id: StrictStr = Field(min_length=1, max_length=100)


class ShareLinksOut(Out):
    share_links: dict[Network, str]


class LeaderboardEntryOut(Out):
    rank: int
    employee: str
    team: str
    shares: int
    human_clicks: int
    unique_human_clicks: int
    points: int


class LeaderboardOut(Out):
    period: Literal["week", "month", "all"]
    team: str | None
    entries: list[LeaderboardEntryOut]


class OwnStandingOut(Out):
    rank: int | None = Field(description="Overall place; null before the first point in the period")
    rank_is_floor: bool = Field(description="True: at least this place (the count stops at 1,000)")
    team_rank: int | None = Field(description="Place within the team the points were earned in")
    team_rank_is_floor: bool
    shares: int
    unique_human_clicks: int
    points: int


class MeEmployeeOut(Out):
    name: str
    team: str
    show_name: bool


class StreakOut(Out):
    current: int = Field(
        description="Consecutive ISO weeks (UTC) with a counted share, up to this one; 0: none running"
    )
    best: int = Field(description="The longest such run so far")


class MeOut(Out):
    employee: MeEmployeeOut
    standings: dict[Literal["week", "month", "all"], OwnStandingOut]
    badges: list[Literal["first_share", "ten_readers", "story_100"]] = Field(
        description="Earned for good: the first counted share, 10 unique human clicks, one item with 100"
    )
    streak: StreakOut


class MyShareLinksOut(Out):
    share_links: dict[str, dict[Network, str]] = Field(description="content id -> network -> signed share URL")


class HealthOut(Out):
    status: Literal["ok"]


class EmployeeImportOut(Out):
    mode: Literal["valid_rows", "all_or_nothing"]
    applied: bool = Field(description="True when every valid row that needed writing was written")
    created: int
    updated: int
    unchanged: int
    invalid: int
    errors: list[dict] = Field(description="Per invalid row: line (as in a spreadsheet), email, fields")
    written_lines: list[int]
    unwritten_lines: list[int]
    error: str | None
    choices_kept: list[dict] = Field(
        description="Per row that said otherwise about settings the employee chose themselves (kept): "
        "line, email, fields (the employee's values)"
    )


class DeactivateIn(Strict):
    model_config = ConfigDict(json_schema_extra={"examples": [{"keep_on_leaderboard": True}]})

    keep_on_leaderboard: StrictBool = Field(False, description="Keep the leaver on leaderboards")


class EmployeeOut(Out):
    id: str
    email: str
    name: str
    team: str
    active: bool
    show_name: bool
    keep_on_leaderboard: bool
    token_version: int = Field(description="Bumped when an admin revokes the employee's tokens and links")


class NameVisibilityIn(Strict):
    model_config = ConfigDict(json_schema_extra={"examples": [{"show_name": False}]})

    show_name: StrictBool


class FeedSourceIn(Strict):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"url": "https://www.example.com/feed.xml", "language": "en", "topics": ["industry"]}]
        }
    )

    url: StrictStr = Field(max_length=2048)
    language: Language = "en"
    topics: list[StrictStr] = Field(default_factory=list, max_length=20)
    kind: Kind = "third_party"


class FeedSourceOut(Out):
    id: str
    url: str
    language: str
    topics: list[str]
    kind: str
    added_by: str
    added_at: str
    last_pulled_at: str | None
    last_error: str | None
    consecutive_failures: int
    items_created: int


class FeedSourcesOut(Out):
    sources: list[FeedSourceOut]


class PullQueuedOut(Out):
    queued: int  # feed sources queued for a pull; each records last_pulled_at / last_error when done


class SuggestionIn(Strict):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"url": "https://www.example.com/blog/worth-reading", "comment": "Our customers ask about this"}
            ]
        }
    )

    url: StrictStr = Field(max_length=2048)
    comment: StrictStr = Field("", max_length=500)


class SuggestionOut(Out):
    id: str
    employee_id: str
    url: str
    comment: str
    status: Literal["pending", "approved", "rejected"]
    created_at: str
    moderator: str | None
    decided_at: str | None
    content_id: str | None
    note: str | None


class SuggestionPageOut(Out):
    items: list[SuggestionOut]
    next_cursor: str | None


class ApproveIn(Strict):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"publish": True, "title": "Worth reading", "topics": ["industry"]}]}
    )

    publish: StrictBool = False
    title: StrictStr | None = Field(None, max_length=300)
    summary: StrictStr | None = Field(None, max_length=1000)
    language: Language = "en"
    topics: list[StrictStr] = Field(default_factory=list, max_length=20)
    kind: Kind = "third_party"


class RejectIn(Strict):
    model_config = ConfigDict(json_schema_extra={"examples": [{"note": "Not about our industry"}]})

    note: StrictStr = Field(min_length=1, max_length=500)


class ImageUploadIn(Strict):
    content_type: Literal["image/png", "image/jpeg", "image/gif", "image/webp"] = Field(
        description="The file's type; S3 accepts only a file sent with exactly this Content-Type"
    )
    size: StrictInt | None = Field(None, description="The file's size in bytes, to refuse a file over 5 MB at once")

    model_config = ConfigDict(json_schema_extra={"examples": [{"content_type": "image/png", "size": 48213}]})


class ImageUploadOut(Out):
    upload_id: str = Field(description="Complete the upload with it once the file is sent")
    url: str = Field(description="POST the file here as multipart/form-data: the fields first, then the file")
    fields: dict[str, str] = Field(description="Form fields to send before the file (named `file`)")
    max_bytes: int
    expires_at: int = Field(description="Unix time after which S3 refuses the form")


class ImageOut(Out):
    image_url: str = Field(description="Use as a content item's image_url (served by the site, /media/…)")
    content_type: str
    size: int


# --- query and path parameters ------------------------------------------------------------------------


class LeaderboardQuery(Query):
    period: Literal["week", "month", "all"] = Field("week", description="week (default), month or all")
    team: StrictStr | None = Field(None, min_length=1, max_length=100, description="Only this team")
    limit: int = _limit(10, 100)


class FeedQuery(Query):
    lang: Language | None = Field(None, description="Only items in this language")
    topic: StrictStr | None = Field(None, max_length=100, description="Only items with this topic")
    limit: int = _limit(20, 50)
    cursor: StrictStr | None = Field(None, max_length=2048, description=_CURSOR)


class LibraryQuery(Query):
    status: Status = Field("published", description="draft, scheduled, published (default), expired or archived")
    limit: int = _limit(20, 50)
    cursor: StrictStr | None = Field(None, max_length=2048, description=_CURSOR)


class SuggestionsQuery(Query):
    limit: int = _limit(20, 100)
    cursor: StrictStr | None = Field(None, max_length=2048, description=_CURSOR)


class ImportQuery(Query):
    mode: Literal["valid_rows", "all_or_nothing"] = Field(
        "valid_rows",
        description="valid_rows (default: apply valid rows, report the rest) or "
        "all_or_nothing (write nothing if any row is invalid)",
    )


class MyShareLinksQuery(Query):
    content_ids: StrictStr = Field(max_length=50 * 65, description="Content ids separated by commas (1 to 50)")


class ShareQuery(Query):
    exp: StrictStr = Field(description="Expiry (Unix seconds), signed")
    sig: StrictStr = Field(description="HMAC signature")
    v: StrictStr | None = Field(
        None, description="The employee's token version, signed (absent at 0); a revoked one gets 403"
    )
    via: StrictStr | None = Field(
        None, description="Where the link was opened from, unsigned: `digest` (the KPIs' digest funnel)"
    )


class TokenQuery(Query):
    token: StrictStr = Field(description="The signed token the digest's link carries")


class PreferencesQuery(Query):
    token: StrictStr = Field(description="The digest's 7-day preferences token (not the employee token)")


class PollQuery(Query):
    employee: StrictStr = Field(description="The employee answering, signed")
    score: StrictStr = Field(description="The answer this link gives (0-10 for eNPS, 1-5 for satisfaction), signed")
    exp: StrictStr = Field(description="Expiry (Unix seconds), signed")
    sig: StrictStr = Field(description="HMAC signature")
    v: StrictStr | None = Field(
        None, description="The employee's token version, signed (absent at 0); a revoked one gets 403"
    )


class CodePath(Path):
    code: StrictStr = _id("The short code")


class SharePath(Path):
    employee_id: StrictStr = _id("Employee id")
    content_id: StrictStr = _id("Content item id")
    network: StrictStr = _id("linkedin, x, facebook, whatsapp or email")


class ContentPath(Path):
    content_id: StrictStr = _id("The content item's id")


class EmployeePath(Path):
    employee_id: StrictStr = _id("The employee's id")


class SuggestionPath(Path):
    suggestion_id: StrictStr = _id("The suggestion's id")


class FeedSourcePath(Path):
    source_id: StrictStr = _id("Feed source id")


class UploadPath(Path):
    upload_id: StrictStr = _id("The upload_id the upload started with")


class MediaPath(Path):
    name: StrictStr = _id("The image's name")


class PollPath(Path):
    poll_id: StrictStr = _id("The poll: enps-2026Q4 (quarterly), satisfaction-2026-11 (monthly)")


# --- KPIs and the Results page --------------------------------------------------------------------------


class KpiQuery(Query):
    start: IsoDay | None = Field(None, alias="from", description="First day (YYYY-MM-DD); default 29 days before to")
    end: IsoDay | None = Field(None, alias="to", description="Last day, inclusive (YYYY-MM-DD); default today (UTC)")
    team: StrictStr | None = Field(None, min_length=1, max_length=200, description="The employee's team")
    campaign: StrictStr | None = Field(None, min_length=1, max_length=200, description="The item's utm_campaign")
    network: Network | None = Field(None, description="Shares and clicks on this network only")
    language: Language | None = Field(None, description="Items in this language only")
    kind: Kind | None = Field(None, description="company or third_party items only")
    country: StrictStr | None = Field(None, min_length=2, max_length=2, description="Clicks from this country")
    device: StrictStr | None = Field(None, min_length=1, max_length=20, description="Clicks from this device class")


class KpiCsvQuery(KpiQuery):
    table: Literal[
        "headline",
        "shares",
        "filtered_clicks",
        "top_contributors",
        "top_content",
        "earned_media_value",
        "digest_funnel",
        "series",
        "team_ranking",
        "surges",
    ] = Field(description="Which table of the report")


class ResultsQuery(KpiQuery):
    lang: Language = Field("en", description="The page's language")


class KpiRangeOut(Out):
    start: str
    end: str


class ContributorOut(Out):
    employee_id: str
    name: str | None = Field(None, description="Shown only if the employee shows their name on leaderboards")
    team: str
    shares: int
    unique_human_clicks: int
    points: int


class TopContentOut(Out):
    content_id: str
    title: str | None = None
    shares: int
    human_clicks: int


class EmvOut(Out):
    value: float
    currency: str
    formula: str = Field(description="How the value is computed, with the prices it uses")
    per_network: dict[str, float]


class DigestFunnelOut(Out):
    digests_sent: int
    sharers_from_digest: int = Field(description="Employees who shared through a digest's link")
    human_clicks_from_digest_shares: int


class TeamRankOut(Out):
    team: str
    active_members: int = Field(description="The team's active employees now (the directory's counts)")
    points: int
    points_per_member: float | None = Field(description="Points ÷ active members (None: no active member)")
    shares: int
    unique_human_clicks: int


class SurgeOut(Out):
    day: str
    network: str | None = Field(None, description="The network whose human clicks surged")
    reason: str | None = Field(None, description="The reason of the clicks that surged without earning points")
    value: int = Field(description="That day's clicks")
    baseline: float = Field(description="Their median a day over the days before")
    why: str


class SeriesPointOut(Out):
    day: str
    value: float | None


class PollResultOut(Out):
    poll_id: str
    start: str
    end: str
    sent: int
    responses: int
    response_rate: float | None
    shown: bool = Field(description="False under 5 answers: no score is shown")
    enps: int | None = Field(description="% promoters (9-10) - % detractors (0-6); eNPS polls only")
    mean: float | None = Field(description="Mean answer, 1-5; satisfaction polls only")
    distribution: dict[str, int]


class HeadlineOut(Out):
    participation_rate: float | None = Field(description="Active employees who shared ÷ active employees")
    adoption_rate: float | None = Field(description="Employees taking part ÷ everyone in the directory")
    sharers: int = Field(description="Employees who shared")
    shares: int
    human_clicks: int
    unique_human_clicks: int
    filtered_clicks: int
    clicks_per_share: float | None
    referral_clicks: int
    earned_media_value: EmvOut


class PreviousOut(HeadlineOut):
    range: KpiRangeOut


class KpisOut(Out):
    range: KpiRangeOut
    filters: dict[str, str] = Field(description="The slice asked for (only the filters given)")
    participation_rate: float | None = Field(description="Active employees who shared ÷ active employees, 0-1")
    adoption_rate: float | None = Field(
        description="Employees taking part (shared, or opened a share link or the site with their token) ÷ "
        "everyone in the directory, 0-1"
    )
    shares: dict[str, int] = Field(description="Per network, and total")
    human_clicks: int
    unique_human_clicks: int
    filtered_clicks: dict[str, int] = Field(description="Clicks not counted, per reason")
    clicks_per_share: float | None
    top_contributors: list[ContributorOut]
    top_content: list[TopContentOut]
    earned_media_value: EmvOut
    referral_clicks: int = Field(description="Human clicks on hiring and careers items")
    digest_funnel: DigestFunnelOut
    series: dict[str, list[SeriesPointOut]] = Field(description="Per figure, one point per day of the range")
    previous: PreviousOut = Field(description="The headline figures of the period of equal length just before")
    sharers: int = Field(description="Employees who shared in the range")
    human_clicks_by_network: dict[str, int] = Field(description="Human clicks per network the share was made on")
    team_ranking: list[TeamRankOut] = Field(
        description="Teams ranked by points per active member, so a large team does not win by its size"
    )
    surges: list[SurgeOut] = Field(
        description="Days flagged: one network's human clicks, or one reason's clicks that earned nothing, over "
        "SURGE_FACTOR × their median over the SURGE_BASELINE_DAYS before and at least SURGE_MINIMUM"
    )
    enps: PollResultOut | None = Field(description="The latest eNPS poll overlapping the range")
    programme_satisfaction: PollResultOut | None = Field(
        description="The latest programme-satisfaction poll overlapping the range"
    )


class ProgrammeSummaryOut(Out):
    range: KpiRangeOut
    shares: int
    human_clicks: int
    unique_human_clicks: int
    employees_sharing: int = Field(description="Employees who shared in the range")
