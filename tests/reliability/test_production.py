"""Production settings on real responses: HTTPS only, HSTS, secure cookies, nosniff, referrer policy, no framing,
a Content-Security-Policy that allows no inline or foreign script.

The values come from movierec_site/settings/production.py itself (imported with a SECRET_KEY in the environment)
and are applied with override_settings, so a change there shows here.
"""

import re
from collections.abc import Iterator

import pytest
from django.test import Client, override_settings
from django.urls import reverse

from tests.factories import UserFactory
from tests.movierec_site.production_settings import production_settings_import

SECURITY_PREFIXES = (
    "SECURE_", "SESSION_COOKIE_", "CSRF_COOKIE_", "X_FRAME_OPTIONS", "DEBUG", "CONTENT_SECURITY_POLICY",
)  # fmt: skip
HSTS = "max-age=31536000; includeSubDomains; preload"
PASSWORD = "a long enough passphrase 42"


@pytest.fixture
def production(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict]:
    """The security settings of the production module, in force for the test."""
    for name in ("DEBUG", "SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS"):
        monkeypatch.delenv(name, raising=False)
    module = production_settings_import(monkeypatch)
    values = {name: getattr(module, name) for name in dir(module) if name.startswith(SECURITY_PREFIXES)}
    with override_settings(**values):
        yield values


def test_production_turns_every_protection_on(production: dict) -> None:
    """DEBUG off, HTTPS redirect, HSTS a year with subdomains and preload, secure cookies, nosniff, DENY."""
    assert production["DEBUG"] is False
    assert production["SECURE_SSL_REDIRECT"] is True
    assert production["SECURE_HSTS_SECONDS"] >= 31536000
    assert production["SESSION_COOKIE_SECURE"] is True
    assert production["CSRF_COOKIE_SECURE"] is True
    assert production["X_FRAME_OPTIONS"] == "DENY"


@pytest.mark.django_db
@pytest.mark.parametrize("url_name", ["login", "home", "movie-list", "api:movies", "admin:login"])
def test_responses_carry_the_security_headers(production: dict, url_name: str) -> None:
    """Pages, API answers and the admin: HSTS, nosniff, same-origin referrer policy, X-Frame-Options DENY."""
    response = Client().get(reverse(url_name), secure=True)
    assert response.status_code == 200
    assert response["Strict-Transport-Security"] == HSTS
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response["Content-Security-Policy"] == production["CONTENT_SECURITY_POLICY"]


def test_the_content_security_policy_allows_scripts_from_the_site_only(production: dict) -> None:
    """Everything from the site itself by default; scripts from its own files only: no inline script, no eval, no
    other origin; no plugins, no framing, no form posting elsewhere, no <base> pointing away."""
    policy = dict(
        (directive.split()[0], directive.split()[1:]) for directive in production["CONTENT_SECURITY_POLICY"].split("; ")
    )
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["form-action"] == ["'self'"]
    assert policy["base-uri"] == ["'self'"]
    assert all(
        source in {"'self'", "'none'", "'unsafe-inline'", "data:"} for sources in policy.values() for source in sources
    )
    assert "'unsafe-inline'" not in policy["script-src"] + policy["default-src"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url_name", ["login", "signup", "home", "movie-list", "password_reset", "admin:login", "api:openapi-view"]
)
def test_pages_hold_no_script_that_the_policy_would_block(production: dict, url_name: str) -> None:
    """Every <script> of a page loads a file of the site (or is a JSON data block, which is never run), and no
    element carries an event-handler attribute (onclick=...) or a javascript: URL: under the policy all still work."""
    body = Client().get(reverse(url_name), secure=True).content.decode()
    scripts = re.findall(r"<script\b([^>]*)>", body)
    assert scripts, "the page loads its scripts"
    for attributes in scripts:
        assert re.search(r'\bsrc="/static/', attributes) or 'type="application/json"' in attributes, attributes
    assert not re.search(r"<[^>]+\son[a-z]+\s*=", body)
    assert "javascript:" not in body.lower()


@pytest.mark.django_db
def test_plain_http_is_redirected_to_https_except_the_health_check(production: dict) -> None:
    """http:// answers a permanent redirect to https://; the load balancer's /api/health is answered as is."""
    response = Client().get(reverse("movie-list"))
    assert response.status_code == 301
    assert response["Location"] == "https://testserver/movies/"
    assert Client().get(reverse("api:health")).status_code in {200, 503}


@pytest.mark.django_db
def test_session_and_csrf_cookies_are_secure(production: dict) -> None:
    """The CSRF cookie of the login form and the session cookie of a login are Secure, SameSite=Lax and HttpOnly,
    out of reach of scripts (the forms carry the CSRF token in a field, so no script needs the cookie)."""
    UserFactory(username="carol", password=PASSWORD)
    client = Client(enforce_csrf_checks=True)
    page = client.get(reverse("login"), secure=True)
    csrf = page.cookies["csrftoken"]
    assert csrf["secure"] is True
    assert csrf["samesite"] == "Lax"
    assert csrf["httponly"] is True
    response = client.post(
        reverse("login"),
        {"username": "carol", "password": PASSWORD, "csrfmiddlewaretoken": csrf.value},
        secure=True,
        headers={"Referer": "https://testserver/accounts/login/"},  # over HTTPS, Django checks the referer too
    )
    assert response.status_code == 302
    session = response.cookies["sessionid"]
    assert session["secure"] is True
    assert session["httponly"] is True
    assert session["samesite"] == "Lax"
