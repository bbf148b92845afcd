"""What a page view does before anything else: send the public to the login form."""
from __future__ import annotations

from flask import redirect, request, url_for


def login_first(keep_query: bool = True):
    """A 303 to the login form, which brings the person back to this page (and its query,
    unless `keep_query` is false) once logged in."""
    back = request.full_path.rstrip("?") if keep_query else request.path
    return redirect(url_for("auth.login_form", next=back), code=303)
