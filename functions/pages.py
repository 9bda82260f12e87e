"""Server-rendered pages (the few a Lambda answers itself: not found, share errors).

Jinja2 is imported on first render, never at cold start; autoescape always on.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

SITE_DIR = Path(__file__).resolve().parent.parent / "site"
NO_STORE = "private, no-store, max-age=0"
HTML = "text/html; charset=utf-8"
# Every id Chorus issues is far shorter; DynamoDB refuses (ValidationException, a 500 for the caller) a
# partition key over 2,048 bytes or a sort key over 1,024, and 256 characters stay under both in UTF-8.
# A longer path segment names nothing: it gets ``nothing_here_page`` before any store is asked.
MAX_PATH_PARAMETER = 256


@cache
def environment() -> Any:
    """The site's templates through the one Environment factory (functions.i18n): autoescape on for every
    template, whatever its extension."""
    from functions.i18n import jinja_environment

    return jinja_environment(SITE_DIR / "templates")


def render(template: str, **context: Any) -> str:
    return environment().get_template(template).render(**context)


@cache
def admin_page() -> str:
    """The admin form (the same for everyone: the data arrives through the admin API, with the token)."""
    from functions.content.limits import LIMITS

    labels = {"linkedin": "LinkedIn", "x": "X", "facebook": "Facebook", "whatsapp": "WhatsApp", "email": "Email"}
    return render("admin.html", networks=[(network, labels[network], LIMITS[network]) for network in labels])


@cache
def not_found_page() -> str:
    return render(
        "error.html",
        status=404,
        title="Link not found",
        message="This link does not exist or is no longer active. Check that it was copied completely.",
    )


def error_page(status: int, title: str, message: str) -> str:
    return render("error.html", status=status, title=title, message=message)


def nothing_here_page() -> str:
    return error_page(404, "Not found", "There is nothing at this address.")
