"""Routes of the employee directory: CSV import, offboarding, revoking tokens, an employee's own name opt-out."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from chalice import Blueprint, Response

from functions.api import http
from functions.api.auth import RouteAuth

if TYPE_CHECKING:
    from functions.directory.model import Employee

bp = Blueprint(__name__)
auth = RouteAuth(bp)
MAX_CSV_BYTES = 5 * 1024 * 1024
_VIEW = ("id", "email", "name", "team", "active", "show_name", "keep_on_leaderboard", "token_version")


@bp.route("/api/admin/employees/import", methods=["POST"], content_types=["text/csv", "application/json"])
@auth.admin_only
def import_employees(actor: str) -> Response:
    """The body is the CSV itself (Content-Type: text/csv); ?mode=valid_rows (default) or all_or_nothing."""
    from functions.directory.csv_import import DirectoryFileError
    from functions.directory.service import ImportInterruptedError, ImportModeError, import_employees

    request = bp.current_request
    params, problem = http.query(request, {"mode"})
    if problem:
        return problem
    raw = request.raw_body or b""
    if len(raw) > MAX_CSV_BYTES:
        return http.error(413, "file too large", {"body": f"must be at most {MAX_CSV_BYTES} bytes"})
    try:
        report = import_employees(raw, params.get("mode", "valid_rows"))
    except ImportModeError as exc:
        return http.error(400, "invalid query parameter", {"mode": str(exc)})
    except DirectoryFileError as exc:
        return http.error(400, "the file cannot be imported", {"body": str(exc)})
    except ImportInterruptedError as exc:
        return http.json_response(503, exc.report.public())
    return http.json_response(200, report.public())


@bp.route("/api/admin/employees/{employee_id}/deactivate", methods=["POST"])
@auth.admin_only
def deactivate(employee_id: str, actor: str) -> Response:
    from functions.api.schemas import DeactivateIn
    from functions.directory.service import deactivate_employee

    body, problem = http.body(bp.current_request, DeactivateIn)
    if problem:
        return problem
    return _employee_change(deactivate_employee, employee_id, keep_on_leaderboard=body.keep_on_leaderboard)


@bp.route("/api/admin/employees/{employee_id}/reactivate", methods=["POST"])
@auth.admin_only
def reactivate(employee_id: str, actor: str) -> Response:
    from functions.directory.service import reactivate_employee

    return _employee_change(reactivate_employee, employee_id)


@bp.route("/api/admin/employees/{employee_id}/revoke-tokens", methods=["POST"])
@auth.admin_only
def revoke_tokens(employee_id: str, actor: str) -> Response:
    """Withdraw the employee's site token, preferences and share links issued so far (not their unsubscribe links)."""
    from functions.directory.service import revoke_employee_tokens

    return _employee_change(revoke_employee_tokens, employee_id)


@bp.route("/api/me/name-visibility", methods=["PUT"])
@auth.employee_only
def name_visibility(employee: Employee) -> Response:
    """An employee shows or hides their name on leaderboards (Authorization: Employee <token>)."""
    from functions.api.schemas import NameVisibilityIn
    from functions.directory.service import set_name_visibility

    body, problem = http.body(bp.current_request, NameVisibilityIn)
    if problem:
        return problem
    return _employee_change(set_name_visibility, employee.id, show_name=body.show_name)


def _employee_change(change: Callable[..., Employee], employee_id: str, **options: object) -> Response:
    from functions.directory.model import EmployeeNotFoundError

    try:
        person = change(employee_id, **options)
    except EmployeeNotFoundError:
        return http.error(404, "no such employee", {"employee_id": "is not in the directory"})
    return http.json_response(200, {key: getattr(person, key) for key in _VIEW})
