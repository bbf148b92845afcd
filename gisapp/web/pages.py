"""What a page view does before anything else: send the public to the login form."""
from __future__ import annotations

from flask import redirect, request, url_for


def login_first(keep_query: bool = True):
    """A 303 to the login form, which brings the person back to this page (and its query,
    unless `keep_query` is false) once logged in."""
    back = request.full_path.rstrip("?") if keep_query else request.path
    return redirect(url_for("auth.login_form", next=back), code=303)


def default_area(viewer) -> str:
    """The area a page's filter starts at: the viewer's first jurisdiction, or the whole
    city ("") for citywide viewers and those with none."""
    return "" if viewer.citywide else (viewer.prefixes[0] if viewer.prefixes else "")
