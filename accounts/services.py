"""Account writes: create a site user, open an account from the sign-up form, end their browser sessions, delete one
with everything they own."""

import logging
import smtplib

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.core.mail import send_mail

from accounts.models import UserSession

logger = logging.getLogger(__name__)


def user_create(*, username: str, email: str, password: str) -> User:
    """A new site user with a hashed password (validated by the caller's form)."""
    return get_user_model().objects.create_user(username=username, email=email, password=password)


SIGNUP_WELCOME_SUBJECT = "Welcome to MovieRec"
SIGNUP_WELCOME = """Hello {username},

your MovieRec account is ready: rate a few movies you have seen, and get recommendations made for you.

If you did not sign up, someone else typed your address; you can ignore this email, or reset the account's
password from the log-in page to take it over.

MovieRec
"""
SIGNUP_ADDRESS_TAKEN_SUBJECT = "A new MovieRec account with your address"
SIGNUP_ADDRESS_TAKEN = """Hello,

someone just signed up at MovieRec as {username} with this address, which your account {owners} already uses.

If it was you, you can log in as {owners} instead, or ask for a new password from the log-in page. If it was not
you, your account is unchanged and nobody was told that it exists.

MovieRec
"""


def account_open(*, username: str, email: str, password: str) -> User:
    """A new site user from the sign-up form, and one mail to ``email``: a welcome, or, when the address already
    belongs to another account, a note to its owner. Either way the person signing up sees the same thing, so that
    sign-up tells nobody which addresses have an account (issue 15); a mail that fails to go is logged, not raised."""
    owners = sorted(get_user_model().objects.filter(email__iexact=email).values_list("username", flat=True))
    user = user_create(username=username, email=email, password=password)
    if owners:
        body = SIGNUP_ADDRESS_TAKEN.format(username=username, owners=", ".join(owners))
        subject = SIGNUP_ADDRESS_TAKEN_SUBJECT
    else:
        subject, body = SIGNUP_WELCOME_SUBJECT, SIGNUP_WELCOME.format(username=username)
    try:
        send_mail(subject, body, None, [email])
    except (OSError, smtplib.SMTPException):
        logger.exception("the sign-up mail of user %s could not be sent", user.pk)
    return user


def account_delete(*, user: User) -> None:
    """Delete ``user`` and everything that is theirs: ratings, marks, profile, API tokens and the lists shown to
    them with their follow-ups (feedback) go with the account (their foreign keys cascade), and the next retrain,
    which reads the ratings as they are, forgets them."""
    user.delete()


def sessions_end(*, user: User) -> int:
    """End every browser session of ``user`` now, wherever it was opened: its next request is a visitor's. How many
    there were. (A password change or reset ends the others already: Django checks each session against a hash of
    the password.)"""
    deleted, _ = UserSession.objects.filter(user=user).delete()
    return deleted
