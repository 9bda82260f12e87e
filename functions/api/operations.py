"""Each API operation declared once, on its view: who may call it, its parameters, body, answers and errors.

A route module binds the declarations to its blueprint (or the app), whose ``current_request`` they read::

    bp = Blueprint(__name__)
    api = Operations(bp)

    @bp.route("/api/admin/things/{thing_id}", methods=["PUT"])
    @api.admin_only("Change a thing", tag="admin", path="ThingPath", body="ThingIn", response="ThingOut",
                    errors=(404,))
    def change_thing(thing_id: str, body: ThingIn, actor: str) -> dict[str, Any]: ...

The declaration is the contract, and the wrapper keeps the view to it:

- **Auth.** ``admin_only`` calls the view with ``actor`` (``admin:<token label>``), ``employee_only`` with
  ``employee`` (the active employee an unrevoked token names); without them the caller gets the 401 of
  ``http.admin`` or ``http.employee`` and the view never runs. ``public`` lets anyone in.
- **Parameters and body.** ``query`` and ``path`` name pydantic models in ``functions.api.schemas``; the query
  string is validated against its model (an unknown parameter is refused; an operation without a query model
  takes none) and the view gets ``query``, the model. A ``body`` model's instance arrives as ``body``. A
  refusal is a 400 (413 for a body too large) naming each field.
- **Answers.** A view returns its success body (a dict) or a ``Response``. Every answer's status must be one
  the operation declares, and a JSON body must be its status's model (``response`` for success, ``ErrorOut``
  for an error, ``answers`` for any other): every response model refuses fields it does not name, so a field
  a handler adds and the contract does not is a 500 in the first test that meets it, not a silent drift.
- **The document.** ``functions.api.openapi`` builds /api/openapi.json from these declarations and the route
  table, so every route is documented exactly as it behaves.

Models are named, not imported: pydantic stays out of the Lambda's cold start (tests/unit/test_cold_start.py).
**Pages** (HTML, redirects: ``page=True``) document their parameters with models too but read them
themselves: a refused link is a page in the reader's language with the status its signature check decides,
and the click path never loads pydantic.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import wraps
from typing import TYPE_CHECKING, Any, Literal, Protocol

from chalice import Response
from chalice.app import Request

from functions.api import http

if TYPE_CHECKING:
    from pydantic import BaseModel

Auth = Literal["admin", "employee", "public"]
View = Callable[..., Any]
_ATTRIBUTE = "chorus_operation"
_JSON = "application/json"


class ContractError(RuntimeError):
    """A view answered outside its declaration: a status it does not declare, or a body not of its model."""


@dataclass(frozen=True)
class Operation:
    """What a view promises: the OpenAPI operation of each method its route registers."""

    auth: Auth
    summary: str | Mapping[str, str]  # per method when one view answers several (GET and HEAD)
    tag: str
    query: str | None = None
    path: str | None = None
    body: str | None = None
    accepts: str | None = None  # a body that is not JSON (the CSV import): its media type
    response: str | None = None
    status: int = 200
    errors: tuple[int, ...] = ()
    answers: Mapping[int, str] = field(default_factory=dict)  # other statuses with a body model of their own
    produces: str = _JSON
    page: bool = False
    cache: str | None = None  # Cache-Control of the success answer
    etag_max_age: int | None = None  # the success answer carries an ETag; If-None-Match gets a 304
    deployed: bool = True  # False: a tool only `make run` registers (infra/local/dev_routes.py), not documented

    def summary_of(self, method: str) -> str:
        return self.summary if isinstance(self.summary, str) else self.summary[method]

    def statuses(self) -> dict[int, str | None]:
        """Every status the operation may answer, with the model of its body (None: no JSON body)."""
        declared: dict[int, str | None] = {self.status: self.response}
        implied = {401} if self.auth != "public" else set()
        if not self.page:  # a query parameter it does not take, or one its model refuses
            implied.add(400)
        if self.body or self.accepts:
            implied.add(413)
        if self.path:  # an id too long to name anything is refused before any view (http.guard)
            implied.add(404)
        for status in sorted({*self.errors, *implied}):
            declared[status] = "ErrorOut" if self.produces == _JSON or status == 401 else None
        declared.update(self.answers)
        if self.etag_max_age is not None:
            declared[304] = None
        return declared


def declared(view: View) -> Operation | None:
    """The operation a view declared, or None if it declared none."""
    operation: Operation | None = getattr(view, _ATTRIBUTE, None)
    return operation


class _Requests(Protocol):
    @property
    def current_request(self) -> Request | None: ...


class Operations:
    """The declarations for the routes of one blueprint or app."""

    def __init__(self, routes: _Requests) -> None:
        self._routes = routes

    def admin_only(self, summary: str, **details: Any) -> Callable[[View], View]:
        """Only with a valid admin token (``Authorization: Bearer``); the view gets ``actor``."""
        return self._declare(Operation("admin", summary, **details))

    def employee_only(self, summary: str, **details: Any) -> Callable[[View], View]:
        """Only with an active employee's unrevoked token (``Authorization: Employee``); the view gets
        ``employee``."""
        return self._declare(Operation("employee", summary, **details))

    def public(self, summary: str | Mapping[str, str], **details: Any) -> Callable[[View], View]:
        """Anyone may call it (a signed link in the request, if any, is the view's own check)."""
        return self._declare(Operation("public", summary, **details))

    def local_only(self, summary: str, **details: Any) -> Callable[[View], View]:
        """A page only the local stack serves (never deployed, so not in the API's document)."""
        return self._declare(Operation("public", summary, "local", page=True, deployed=False, **details))

    def _declare(self, operation: Operation) -> Callable[[View], View]:
        statuses = operation.statuses()

        def decorate(view: View) -> View:
            @wraps(view)
            def answer(**params: str) -> Response:
                request = self._routes.current_request
                if request is None:
                    raise RuntimeError("no request is being answered")
                return _answer(operation, view, request, params, statuses)

            setattr(answer, _ATTRIBUTE, operation)
            return answer

        return decorate


def _answer(
    operation: Operation, view: View, request: Request, params: dict[str, str], statuses: dict[int, str | None]
) -> Response:
    """The view's answer, checked against the declaration; the wrapper's own refusals are declared by it."""
    arguments: dict[str, Any] = dict(params)
    if operation.auth != "public":
        check = http.admin if operation.auth == "admin" else http.employee
        caller, denied = check(request)
        if denied:
            return denied
        arguments["actor" if operation.auth == "admin" else "employee"] = caller
    if not operation.page:
        refused = _read_request(operation, request, params, arguments)
        if refused:
            return refused
    if operation.auth == "employee":
        from functions.kpis.activity import note_seen

        person = arguments["employee"]
        note_seen(person.id, person.team)  # the adoption KPI: they used their token today (once it was accepted)
    result = view(**arguments)
    if isinstance(result, Response):
        _check_status(view, result, statuses)
        if not operation.page:
            _check_body(view, result.status_code, statuses[result.status_code], result.body)
        return result
    _check_body(view, operation.status, operation.response, result)  # before it is serialised, not after
    if operation.etag_max_age is not None:
        return http.cacheable(request, result, max_age=operation.etag_max_age)
    headers: dict[str, str | list[str]] = {"Content-Type": _JSON}
    if operation.cache:
        headers["Cache-Control"] = operation.cache
    return Response(body=result, status_code=operation.status, headers=headers)


def _read_request(
    operation: Operation, request: Request, params: dict[str, str], arguments: dict[str, Any]
) -> Response | None:
    """Validate the query, path and body against their models into ``arguments``, or the 400 saying why."""
    from pydantic import ValidationError

    from functions.api.bodies import field_errors

    given: Mapping[str, str] = request.query_params or {}
    query = {name: given.get(name) for name in given}
    try:
        if operation.path:
            model(operation.path).model_validate(params)
        if operation.query:
            arguments["query"] = model(operation.query).model_validate(query)
        elif query:
            fields = dict.fromkeys(sorted(query), "is not a known parameter")
            return http.error(400, "unknown query parameter", fields)
    except ValidationError as exc:
        fields = {
            name: "is not a known parameter" if message == "is not a known field" else message
            for name, message in field_errors(exc).items()
        }
        unknown = all(message == "is not a known parameter" for message in fields.values())
        return http.error(400, "unknown query parameter" if unknown else "invalid query parameter", fields)
    if operation.body:
        body, problem = http.body(request, model(operation.body))
        if problem:
            return problem
        arguments["body"] = body
    return None


def _check_status(view: View, response: Response, statuses: dict[int, str | None]) -> None:
    if response.status_code not in statuses:
        raise ContractError(f"{view.__name__} answered {response.status_code}, which it does not declare")


def _check_body(view: View, status: int, name: str | None, body: Any) -> None:
    """The answer's JSON body is the model its status names (None: no JSON body to check)."""
    if name is None:
        return
    from pydantic import ValidationError

    if isinstance(body, str | bytes):  # a Response the view made itself carries its JSON as text
        body = json.loads(body)
    try:
        model(name).model_validate(body)
    except ValidationError as exc:
        raise ContractError(f"{view.__name__} answered {status} outside {name}: {exc}") from None


def model(name: str) -> type[BaseModel]:
    """A model of ``functions.api.schemas`` by name (imported on first use: pydantic is not cold-start weight)."""
    from functions.api import schemas

    found: type[BaseModel] = getattr(schemas, name)
    return found
