"""Your data: the page with the export links and the password change, and deleting the account, confirmed with
the password."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_safe

from accounts.data_forms import AccountDeleteForm
from accounts.services import account_delete

ACCOUNT_DELETED = "Your account {username} and everything in it are deleted. Thank you for the ratings."


@require_safe
@login_required
def account_data_view(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/data.html", {"feedback_retention_days": settings.FEEDBACK_RETENTION_DAYS})


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def account_delete_view(request: HttpRequest) -> HttpResponse:
    user = request.user
    assert user.is_authenticated, "login_required lets no visitor through"
    form = AccountDeleteForm(request.POST or None, request=request, user=user)
    if request.method == "POST" and form.is_valid():
        username = user.get_username()
        account_delete(user=user)
        logout(request)
        messages.success(request, ACCOUNT_DELETED.format(username=username))
        return redirect("home")
    status = 422 if request.method == "POST" else 200
    return render(request, "accounts/delete.html", {"form": form}, status=status)
