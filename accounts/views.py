"""Sign up (then straight to onboarding, signed in), log in and ask for a password reset: each POST an
authentication attempt, counted per address and per account (accounts/rate_limits.py) before the form is read."""

from typing import Any

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.forms import Form
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect
from django.urls import reverse_lazy
from django.views.generic import FormView

from accounts.forms import SignupForm
from accounts.rate_limits import auth_attempt_wait
from accounts.services import account_open

TOO_MANY_ATTEMPTS = "Too many attempts from your address or for this account: try again in {seconds} seconds."
# Two backends are configured (axes, then the model backend); login() must be told which one vouched for the user.
LOGIN_BACKEND = "django.contrib.auth.backends.ModelBackend"


class AttemptsLimitedMixin(FormView):
    """A POST counts as one attempt from the request's address and for each account it names (``account_fields``:
    kind of account -> form field). Over the rate the form is not read at all (no password is checked, no mail
    sent): the page comes back empty with TOO_MANY_ATTEMPTS, 429 and Retry-After."""

    account_fields: dict[str, str] = {}

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        accounts = {kind: request.POST.get(field, "") for kind, field in self.account_fields.items()}
        wait = auth_attempt_wait(request=request, accounts=accounts)
        if wait is None:
            return super().post(request, *args, **kwargs)
        messages.error(request, TOO_MANY_ATTEMPTS.format(seconds=wait))
        form_kwargs = self.get_form_kwargs()
        form_kwargs.pop("data", None)
        form_kwargs.pop("files", None)
        response = self.render_to_response(self.get_context_data(form=self.get_form_class()(**form_kwargs)), status=429)
        response["Retry-After"] = str(wait)
        return response


class SignupView(AttemptsLimitedMixin, FormView):
    template_name = "registration/signup.html"
    form_class = SignupForm
    success_url = reverse_lazy("onboarding")
    http_method_names = ["get", "head", "post"]
    account_fields = {"username": "username", "email": "email"}

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        # A method the page does not take is still a 405 for someone signed in.
        if request.user.is_authenticated and (request.method or "").lower() in self.http_method_names:
            return redirect("home")
        return super().dispatch(request, *args, **kwargs)

    def form_valid(self, form: Form) -> HttpResponse:
        user = account_open(
            username=form.cleaned_data["username"],
            email=form.cleaned_data["email"],
            password=form.cleaned_data["password1"],
        )
        login(self.request, user, backend=LOGIN_BACKEND)
        return super().form_valid(form)


class LoginView(AttemptsLimitedMixin, auth_views.LoginView):
    account_fields = {"username": "username"}


class PasswordResetView(AttemptsLimitedMixin, auth_views.PasswordResetView):
    account_fields = {"email": "email"}
