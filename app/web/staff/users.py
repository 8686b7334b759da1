"""Admins manage staff accounts (create, change role, disable) and the admin API's tokens."""

from __future__ import annotations

from starlette.responses import Response

from app.web.staff.guard import StaffCall
from repo.auth import Role, TokenStore
from repo.errors import MunimentError

ROLES = tuple(r.value for r in Role)


def users_page(call: StaffCall, *, problems: list[str] | None = None, status: int = 200, token: str = "") -> Response:
    return call.render(
        "users.html",
        status,
        users=call.site.users.list(),
        tokens=TokenStore(call.site.catalog.db).list(),
        roles=ROLES,
        problems=problems or [],
        new_token=token,
        form=call.form,
    )


def create_user(call: StaffCall) -> Response:
    name, role = call.form.get("name", "").strip(), call.form.get("role", "")
    call.target = f"user {name}"
    if role not in ROLES:
        return users_page(call, problems=["Role: choose reader, curator or admin"], status=422)
    try:
        call.site.users.create(name, Role(role), call.form.get("password", ""))
    except MunimentError as exc:
        return users_page(call, problems=[_field(exc.message)], status=422)
    return call.redirect("/staff/users", f"User {name} created ({role}).")


def update_user(call: StaffCall) -> Response:
    name = call.path["name"]
    call.target = f"user {name}"
    role = call.form.get("role", "")
    disabled = call.form.get("disabled") == "yes"
    if role not in ROLES:
        return users_page(call, problems=["Role: choose reader, curator or admin"], status=422)
    if name == call.user.name and (disabled or role != call.user.role.value):
        return users_page(call, problems=["Role: you cannot lower or disable your own account"], status=422)
    try:
        call.site.users.update(name, role=Role(role), disabled=disabled)
    except MunimentError as exc:
        return users_page(call, problems=[exc.message], status=404)
    if disabled:
        call.site.sessions.end_all(name)
    return call.redirect("/staff/users", f"User {name} saved.")


def create_token(call: StaffCall) -> Response:
    name, role = call.form.get("name", "").strip(), call.form.get("role", "")
    call.target = f"token {name}"
    if role not in ROLES:
        return users_page(call, problems=["Token role: choose reader, curator or admin"], status=422)
    try:
        text, _ = TokenStore(call.site.catalog.db).create(name, Role(role))
    except MunimentError as exc:
        return users_page(call, problems=[f"Token name: {exc.message}"], status=422)
    return users_page(call, token=text)


def revoke_token(call: StaffCall) -> Response:
    token_id = call.path["token"]
    call.target = f"token {token_id}"
    try:
        TokenStore(call.site.catalog.db).revoke(token_id)
    except MunimentError as exc:
        return users_page(call, problems=[exc.message], status=404)
    return call.redirect("/staff/users", f"Token {token_id} revoked.")


def _field(message: str) -> str:
    return message[0].upper() + message[1:] if message.startswith(("password", "user name")) else message
