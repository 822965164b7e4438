"""The form that confirms deleting an account: the account's password, checked as a login would be."""

from typing import Any

from django import forms
from django.contrib.auth import authenticate
from django.contrib.auth.models import User
from django.http import HttpRequest

WRONG_PASSWORD = "That is not your password: nothing was deleted."  # noqa: S105 (a message, not a secret)
CONFIRM_REQUIRED = "Tick the box to confirm that you want your account and everything in it deleted."


class AccountDeleteForm(forms.Form):
    password = forms.CharField(
        label="Your password",
        strip=False,
        max_length=4096,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    confirm = forms.BooleanField(
        label="Yes, delete my account, my ratings, my watchlist and my hidden movies",
        error_messages={"required": CONFIRM_REQUIRED},
    )

    def __init__(self, *args: Any, request: HttpRequest, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.request, self.user = request, user

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        # Through authenticate(), with the request: django-axes counts a wrong password here as a failed login,
        # so a borrowed session cannot be used to guess the password.
        if authenticate(self.request, username=self.user.get_username(), password=password) != self.user:
            raise forms.ValidationError(WRONG_PASSWORD, code="wrong_password")
        return password
