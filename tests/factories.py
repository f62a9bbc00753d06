import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from advisory.models import Inquiry, OutgoingEmail
from advisory.services import notification_summary
from terms.models import FAQ, Category, KeyConsideration, Reference, Term, TermReference
from webhooks.models import Endpoint


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category

    name = factory.Sequence(lambda n: f"Category {n}")
    slug = factory.Sequence(lambda n: f"category-{n}")
    description = "Concepts that belong together."


class TermFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Term

    title = factory.Sequence(lambda n: f"Term {n}")
    slug = factory.Sequence(lambda n: f"term-{n}")
    category = factory.SubFactory(CategoryFactory)
    summary = "A short summary."
    definition = "A definition in *Markdown*."
    why_it_matters = "It matters because of cost and risk."
    status = Term.Status.PUBLISHED


class KeyConsiderationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = KeyConsideration

    term = factory.SubFactory(TermFactory)
    text = factory.Sequence(lambda n: f"Consideration {n}")
    position = factory.Sequence(lambda n: n)


class FAQFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FAQ

    term = factory.SubFactory(TermFactory)
    question = factory.Sequence(lambda n: f"Question {n}?")
    answer = "An answer."


class ReferenceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Reference

    key = factory.Sequence(lambda n: f"reference-{n}")
    title = factory.Sequence(lambda n: f"Reference {n}")
    publisher = "Standards Body"
    year = 2023
    url = factory.Sequence(lambda n: f"https://example.org/reference-{n}")


class TermReferenceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TermReference

    term = factory.SubFactory(TermFactory)
    reference = factory.SubFactory(ReferenceFactory)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.com")
    password = factory.PostGenerationMethodCall("set_password", "a-long-test-password")

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        if extracted:
            self.groups.set(Group.objects.filter(name__in=extracted))
        if create:
            self.save()


class InquiryFactory(factory.django.DjangoModelFactory):
    """A stored inquiry as if sent through the form, with its outbox (no task is queued).

    ``emails`` sets the outbox: one status for every email (``emails="sent"``), or one per
    kind (``emails={"team": "sent", "acknowledgement": "failed"}``; a kind left out is
    not wanted). By default both are pending, or cancelled for spam, as on arrival. The
    inquiry's ``notification`` summary follows.
    """

    class Meta:
        model = Inquiry
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Visitor {n}")
    email = factory.Sequence(lambda n: f"visitor{n}@example.com")
    company = factory.Sequence(lambda n: f"Company {n}")
    message = "We would like to discuss a pilot."
    term = factory.SubFactory(TermFactory)
    term_title = factory.LazyAttribute(lambda inquiry: inquiry.term.title if inquiry.term else "")
    consent_given_at = factory.LazyFunction(timezone.now)
    consent_text = "I agree that AI Advisory may store the details in this form and contact me."

    @factory.post_generation
    def emails(self, create, extracted, **kwargs):
        if not create:
            return
        if extracted is None:
            extracted = "cancelled" if self.status == Inquiry.Status.SPAM else "pending"
        if isinstance(extracted, str):
            extracted = dict.fromkeys(OutgoingEmail.Kind.values, extracted)
        now = timezone.now()
        for kind, status in extracted.items():
            tried = status not in (OutgoingEmail.Status.PENDING, OutgoingEmail.Status.CANCELLED)
            OutgoingEmail.objects.create(
                inquiry=self,
                kind=kind,
                status=status,
                message_id=OutgoingEmail.message_id_for(self, kind),
                attempts=1 if tried else 0,
                last_attempt_at=now if tried else None,
                sent_at=now if status == OutgoingEmail.Status.SENT else None,
            )
        self.notification = notification_summary(extracted.values())
        Inquiry.objects.filter(pk=self.pk).update(notification=self.notification)


class EndpointFactory(factory.django.DjangoModelFactory):
    """A webhook endpoint; pass ``url`` (a test's receiver) and ``events``."""

    class Meta:
        model = Endpoint

    url = "https://hooks.example.com/glossary"
    description = factory.Sequence(lambda n: f"Receiver {n}")
    events = factory.LazyFunction(lambda: ["term.published"])
