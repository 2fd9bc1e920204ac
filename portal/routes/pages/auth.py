"""Signing in and out with a form, setting the same session cookie as the API."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.response import Redirect

from portal.accounts import service as accounts
from portal.routes.auth import begin_session, finish_session, optional_actor
from portal.routes.pages.common import render, safe_next, see_other
from portal.routes.pages.forms import text
from portal.security import CLEAR_SITE_DATA

_WRONG_DETAILS = "Enter the email address and password for your account. One of them is not right"


@get("/", name="home")
async def home(request: Request[Any, Any, Any]) -> Redirect:
    actor = await optional_actor(request)
    return Redirect(path="/plans" if actor else "/sign-in", status_code=303)


@get("/sign-in", name="sign-in")
async def sign_in_page(request: Request[Any, Any, Any]) -> Response[Any]:
    next_path = safe_next(request.query_params.get("next"))
    if await optional_actor(request) is not None:
        return see_other(next_path)
    return render("accounts/sign_in.html", None, values={"email": ""}, next_path=next_path)


@post("/sign-in", name="sign-in-submit")
async def sign_in(request: Request[Any, Any, Any]) -> Response[Any]:
    form = await request.form()
    email = text(form, "email").strip()
    password = text(form, "password")
    next_path = safe_next(text(form, "next"))
    errors: dict[str, str] = {}
    if not email:
        errors["email"] = "Enter your email address"
    if not password:
        errors["password"] = "Enter your password"  # noqa: S105 - words on the page
    if not errors:
        user = None
        settings = request.app.state.settings
        address = request.client.host if request.client else None
        if len(email) <= 320 and len(password) <= 1024:
            try:
                user = await accounts.sign_in(email, password, address, settings)
            except accounts.TooManySignIns as refused:
                return render(
                    "accounts/sign_in.html",
                    None,
                    status=429,
                    errors={"email": refused.detail},
                    values={"email": email},
                    next_path=next_path,
                    headers=refused.headers,
                )
        if user is not None:
            _, cookie = await begin_session(request, user)
            return Redirect(path=next_path, status_code=303, cookies=[cookie])
        # The same words whether or not the email has an account, so nobody can find out.
        errors["email"] = _WRONG_DETAILS
    return render(
        "accounts/sign_in.html",
        None,
        status=401 if "email" in errors and errors["email"] == _WRONG_DETAILS else 400,
        errors=errors,
        values={"email": email},
        next_path=next_path,
    )


@post("/sign-out", name="sign-out")
async def sign_out(request: Request[Any, Any, Any]) -> Response[Any]:
    return Redirect(
        path="/sign-in",
        status_code=303,
        cookies=await finish_session(request),
        headers=dict(CLEAR_SITE_DATA),
    )


AUTH_ROUTES = [home, sign_in_page, sign_in, sign_out]
