"""Account pages of our own: sign-up, and a password reset that is throttled."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.decorators import method_decorator
from django_ratelimit.decorators import ratelimit

from ..forms import SignUpForm, ThrottledPasswordResetForm


@ratelimit(key="ip", rate=lambda group, request: settings.SIGNUP_RATE, method="POST", block=False)
def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("gallery:home")
    form = SignUpForm(request.POST or None)
    if getattr(request, "limited", False):
        form.add_error(None, "Too many accounts were created from your network recently. Please try again later.")
    elif request.method == "POST" and form.is_valid():
        user = form.save()
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, f"Welcome, {user.username}! Upload a photo to get started.")
        return redirect("gallery:home")
    return render(request, "registration/signup.html", {"form": form})


@method_decorator(
    ratelimit(
        group="password_reset",
        key="ip",
        rate=lambda group, request: settings.PASSWORD_RESET_RATE,
        method="POST",
        block=False,
    ),
    name="post",
)
class PasswordResetView(auth_views.PasswordResetView):
    """Django's reset form, limited per client address and (in the form) per account."""

    form_class = ThrottledPasswordResetForm

    def form_valid(self, form: ThrottledPasswordResetForm) -> HttpResponse:
        if getattr(self.request, "limited", False):
            form.add_error(
                None, "Too many password resets were asked from your network recently. Please try again later."
            )
            return self.render_to_response(self.get_context_data(form=form), status=429)
        return super().form_valid(form)
