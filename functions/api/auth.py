"""Who may call a route, declared once on its view: ``@admin_only``, ``@employee_only`` or ``@public``.

Each route module binds the declarations to its blueprint (or the app), whose ``current_request`` they read::

    bp = Blueprint(__name__)
    auth = RouteAuth(bp)

    @bp.route("/api/admin/things", methods=["GET"])
    @auth.admin_only
    def things(actor: str) -> Response: ...

An admin view is called with ``actor`` (``admin:<token label>``) and an employee view with ``employee``
(the active employee an unrevoked token names); a request without them gets the 401 of ``http.admin`` or
``http.employee`` and the view never runs. ``declared(view)`` tells a route's declaration, so a test can
walk every registered route and check each one declares and enforces its auth.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, Literal, Protocol

from chalice import Response
from chalice.app import Request

from functions.api import http

Auth = Literal["admin", "employee", "public"]
View = Callable[..., Any]
_ATTRIBUTE = "chorus_auth"


class _Requests(Protocol):
    @property
    def current_request(self) -> Request | None: ...


def declared(view: View) -> Auth | None:
    """The auth a view declared, or None if it declared none."""
    auth: Auth | None = getattr(view, _ATTRIBUTE, None)
    return auth


def _declare(view: View, auth: Auth) -> View:
    setattr(view, _ATTRIBUTE, auth)
    return view


class RouteAuth:
    """The declarations for the routes of one blueprint or app."""

    def __init__(self, routes: _Requests) -> None:
        self._routes = routes

    def _request(self) -> Request:
        request = self._routes.current_request
        if request is None:
            raise RuntimeError("no request is being answered")
        return request

    def admin_only(self, view: View) -> View:
        """Only with a valid admin token (``Authorization: Bearer``); the view gets ``actor``."""
        return self._guarded(view, "admin", http.admin, "actor")

    def employee_only(self, view: View) -> View:
        """Only with an active employee's unrevoked token (``Authorization: Employee``); the view gets
        ``employee``."""
        return self._guarded(view, "employee", http.employee, "employee")

    def _guarded(
        self, view: View, auth: Auth, check: Callable[[Request], tuple[Any, Response | None]], name: str
    ) -> View:
        @wraps(view)
        def checked(**params: str) -> Response:
            caller, denied = check(self._request())
            if denied:
                return denied
            response: Response = view(**params, **{name: caller})
            return response

        return _declare(checked, auth)

    @staticmethod
    def public(view: View) -> View:
        """Anyone may call it (a signed link in the request, if any, is the view's own check)."""
        return _declare(view, "public")
