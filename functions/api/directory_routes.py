"""Routes of the employee directory: CSV import, offboarding, revoking tokens, an employee's own name opt-out."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from chalice import Blueprint, Response

from functions.api import http
from functions.api.operations import Operations

if TYPE_CHECKING:
    from functions.api.schemas import DeactivateIn, ImportQuery, NameVisibilityIn
    from functions.directory.model import Employee

bp = Blueprint(__name__)
api = Operations(bp)
MAX_CSV_BYTES = 5 * 1024 * 1024
_VIEW = ("id", "email", "name", "team", "active", "show_name", "keep_on_leaderboard", "token_version")


@bp.route("/api/admin/employees/import", methods=["POST"], content_types=["text/csv", "application/json"])
@api.admin_only(
    "Import the employee directory from CSV (the body; Content-Type: text/csv); a per-row report",
    tag="admin",
    query="ImportQuery",
    accepts="text/csv",
    response="EmployeeImportOut",
    answers={503: "EmployeeImportOut"},  # interrupted: what was written, to import again
)
def import_employees(query: ImportQuery, actor: str) -> dict[str, Any] | Response:
    """The body is the CSV itself (Content-Type: text/csv); ?mode=valid_rows (default) or all_or_nothing."""
    from functions.directory.csv_import import DirectoryFileError
    from functions.directory.service import ImportInterruptedError, ImportModeError, import_employees

    raw = bp.current_request.raw_body or b""
    if len(raw) > MAX_CSV_BYTES:
        return http.error(413, "file too large", {"body": f"must be at most {MAX_CSV_BYTES} bytes"})
    try:
        report = import_employees(raw, query.mode)
    except ImportModeError as exc:
        return http.error(400, "invalid query parameter", {"mode": str(exc)})
    except DirectoryFileError as exc:
        return http.error(400, "the file cannot be imported", {"body": str(exc)})
    except ImportInterruptedError as exc:
        return http.json_response(503, exc.report.public())
    return report.public()


@bp.route("/api/admin/employees/{employee_id}/deactivate", methods=["POST"])
@api.admin_only(
    "Offboard an employee: no more digests or attribution; history kept",
    tag="admin",
    path="EmployeePath",
    body="DeactivateIn",
    response="EmployeeOut",
    errors=(404,),
)
def deactivate(employee_id: str, body: DeactivateIn, actor: str) -> dict[str, Any] | Response:
    from functions.directory.service import deactivate_employee

    return _employee_change(deactivate_employee, employee_id, keep_on_leaderboard=body.keep_on_leaderboard)


@bp.route("/api/admin/employees/{employee_id}/reactivate", methods=["POST"])
@api.admin_only("Bring an employee back", tag="admin", path="EmployeePath", response="EmployeeOut", errors=(404,))
def reactivate(employee_id: str, actor: str) -> dict[str, Any] | Response:
    from functions.directory.service import reactivate_employee

    return _employee_change(reactivate_employee, employee_id)


@bp.route("/api/admin/employees/{employee_id}/revoke-tokens", methods=["POST"])
@api.admin_only(
    "Withdraw the employee's site token, preferences and share links issued so far (token_version + 1); "
    "their unsubscribe links keep working and the next digest brings new links",
    tag="admin",
    path="EmployeePath",
    response="EmployeeOut",
    errors=(404,),
)
def revoke_tokens(employee_id: str, actor: str) -> dict[str, Any] | Response:
    """Withdraw the employee's site token, preferences and share links issued so far (not their unsubscribe links)."""
    from functions.directory.service import revoke_employee_tokens

    return _employee_change(revoke_employee_tokens, employee_id)


@bp.route("/api/me/name-visibility", methods=["PUT"])
@api.employee_only(
    "An employee shows or hides their name on leaderboards (Authorization: Employee <token>)",
    tag="employees",
    body="NameVisibilityIn",
    response="EmployeeOut",
    errors=(404,),
)
def name_visibility(body: NameVisibilityIn, employee: Employee) -> dict[str, Any] | Response:
    from functions.directory.service import set_name_visibility

    return _employee_change(set_name_visibility, employee.id, show_name=body.show_name)


def _employee_change(change: Callable[..., Employee], employee_id: str, **options: object) -> dict[str, Any] | Response:
    from functions.directory.model import EmployeeNotFoundError

    try:
        person = change(employee_id, **options)
    except EmployeeNotFoundError:
        return http.error(404, "no such employee", {"employee_id": "is not in the directory"})
    return {key: getattr(person, key) for key in _VIEW}
