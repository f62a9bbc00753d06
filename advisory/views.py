import uuid

from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods
from rest_framework.throttling import BaseThrottle

from .forms import InquiryForm, clean_source_url, form_token, published_term
from .services import InquiryInvalid, InquiryRateLimited, inquiry_submit


def client_address(request) -> str:
    """The client's address as the API throttle, the inquiry limit and the admin login
    throttle read it: behind NUM_PROXIES proxies, from X-Forwarded-For; else the connection's."""
    return BaseThrottle().get_ident(request)


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def inquiry_form(request):
    """The contact form: Post/Redirect/Get to the thank-you page, errors beside their fields."""
    # A body over ADVISORY_MAX_BODY_BYTES never gets here: glossary_project.bodies.
    if request.method == "POST":
        try:
            submitted = inquiry_submit(request.POST, client_address=client_address(request))
        except InquiryInvalid as error:
            return _form_page(request, error.form, status=400)
        except InquiryRateLimited as error:
            minutes = max(1, round(error.retry_after / 60))
            error.form.add_error(
                None,
                f"We have received several inquiries from your network recently. Please try "
                f"again in about {minutes} minute{'s' if minutes != 1 else ''}, or email us.",
            )
            return _form_page(request, error.form, status=429)
        # Sent again (a double click, a reload): the thank-you page of the first time.
        reference = submitted.inquiry.reference
        return redirect(f"{reverse('advisory:thanks')}?reference={reference}")

    term = published_term(request.GET.get("term", ""))
    form = InquiryForm(
        initial={
            "term": term.slug if term else "",
            "source_url": clean_source_url(request.headers.get("Referer", "")),
            "form_token": form_token(),
        }
    )
    return _form_page(request, form, term=term)


def _form_page(request, form: InquiryForm, *, term=None, status=200):
    if form.is_bound:
        # Shown again: no term that is no longer published, and a fresh token only if the
        # token was refused. A valid one is kept, so it still says when the visitor first
        # saw the form: a person who fixes a typo and resends at once is not a bot. So does
        # the fresh one replacing a token already used (its time is known).
        data = form.data.copy()
        if "form_token" in form.errors:
            data["form_token"] = form_token(now=form.token_issued_at)
        if "term" in form.errors:
            data["term"] = ""
        else:
            term = form.cleaned_data.get("term")
        form.data = data
    return render(
        request, "advisory/inquiry_form.html", {"form": form, "term": term}, status=status
    )


@never_cache
def thanks(request):
    try:
        reference = uuid.UUID(request.GET.get("reference", ""))
    except ValueError:
        return redirect("advisory:inquiry_form")
    return render(request, "advisory/thanks.html", {"reference": reference})
