"""The website's "Log out everywhere": every browser session and every API token of the person ends (api.services)."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from api.services import logins_end

LOGGED_OUT_EVERYWHERE = "You are logged out on every browser and device, and every API token you had is revoked."


@require_POST
@login_required
def logout_everywhere_view(request: HttpRequest) -> HttpResponse:
    assert request.user.is_authenticated, "login_required lets no visitor through"
    logins_end(user=request.user)
    # This browser's session row is gone with the others; flushing it also drops the cookie's session here.
    request.session.flush()
    messages.info(request, LOGGED_OUT_EVERYWHERE)
    return redirect(settings.LOGOUT_REDIRECT_URL)  # where logging out here sends a person too
