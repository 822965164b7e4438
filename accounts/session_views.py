"""Log out, saying so: Django's LogoutView, with a message on the page it returns to."""

from django.contrib import messages
from django.contrib.auth.views import LogoutView
from django.http import HttpRequest, HttpResponse

LOGGED_OUT = "You are logged out. See you soon."


class LogoutWithMessageView(LogoutView):
    def post(self, request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        was_signed_in = request.user.is_authenticated
        response = super().post(request, *args, **kwargs)
        if was_signed_in:
            messages.info(request, LOGGED_OUT)
        return response
