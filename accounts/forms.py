"""The sign-up form: a username, an email address for password resets, and a password typed twice.

An address that another account uses is accepted like any other (accounts.services.account_open mails its
owner): refusing it would tell anyone which addresses have an account."""

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import UserCreationForm


class SignupForm(UserCreationForm):
    email = forms.EmailField(
        label="Email",
        help_text="Only used to reset your password.",
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )

    class Meta(UserCreationForm.Meta):
        model = get_user_model()
        fields = ("username", "email")
