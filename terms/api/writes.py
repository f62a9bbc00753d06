"""The content write API: keyed writes of terms and categories (the write actions of their
viewsets, terms/api/views.py) and the glossary import over HTTP. Thin: each action hands
the body to a service of terms.writes (one entry) or terms.services.glossary_import (a
document) and turns what it raises into the answer. README "Writing content through the
API"."""

from django.http import QueryDict
from django.urls import reverse
from django.utils.http import parse_etags
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.exceptions import APIException, NotFound, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from apikeys.authentication import ApiKeyAuthentication
from apikeys.permissions import KeyScope

from .. import writes
from ..imports.records import GlossaryImportError, ImportReport, RecordError
from ..services import glossary_import
from .schema import ERROR_REF, FIELD_ERRORS_REF, IMPORT_REFUSED_REF, bad_request, error
from .serializers import (
    CategoryRecordSerializer,
    CategoryReplaceSerializer,
    CategoryVersionSerializer,
    GlossaryDocumentSerializer,
    ImportReportSerializer,
    TermRecordSerializer,
    TermReplaceSerializer,
    TermVersionSerializer,
)

WRITE_SCOPE = "content:write"
# The actions of a viewset that need a key with WRITE_SCOPE.
WRITE_ACTIONS = frozenset({"create", "update", "partial_update", "destroy", "record"})
KIND_TERMS = {
    "term": "terms",
    "category": "categories",
}


class Conflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"


class PreconditionFailed(APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_code = "precondition_failed"


def actor_name(request) -> str:
    """The audit log's and the revisions' name for the key that sent ``request``."""
    key = request.auth
    return f"API key: {key.name} ({key.display_key})"


def if_match(request) -> list[str] | None:
    header = request.headers.get("If-Match")
    return None if header is None else parse_etags(header)


def body(request):
    """The JSON body as sent (an empty body is an empty record)."""
    return {} if isinstance(request.data, QueryDict) else request.data


def field_errors(errors: list[RecordError]) -> dict[str, list[str]]:
    """The import's errors of one record, keyed by field ("non_field_errors" for the
    record as a whole), in the import's words."""
    keyed: dict[str, list[str]] = {}
    for problem in errors:
        keyed.setdefault(problem.field or "non_field_errors", []).append(problem.message)
    return keyed


def etag_header(codes: list[int]) -> OpenApiParameter:
    return OpenApiParameter(
        "ETag",
        str,
        OpenApiParameter.HEADER,
        description="The entry's version: send it back in If-Match to change the entry.",
        response=codes,
    )


IF_MATCH = OpenApiParameter(
    "If-Match",
    str,
    OpenApiParameter.HEADER,
    description="The ETag of the version this change is based on (from the record, or the "
    "last write). A stale one is answered 412 and nothing is changed; without the header "
    "the change is made whatever the version (last write wins).",
)
WRITE_ERRORS = {
    401: error("No API key, or an unknown, expired or revoked one."),
    403: error(f"The key lacks the {WRITE_SCOPE} scope (or a session was sent, not a key)."),
}
RECORD_ERRORS = {
    400: bad_request(
        "The record is bad; nothing was stored. Each field at fault with its messages, in "
        'the import\'s words, e.g. {"summary": ["Ensure this value has at most 300 '
        'characters (it has 304)."], "faqs[2]": ["has no answer"]}; "non_field_errors" '
        'for the record as a whole; {"detail": "JSON parse error - …"} for a body that is '
        "not JSON."
    ),
    **WRITE_ERRORS,
}
NOT_FOUND = {404: error("No entry with this slug (any status).")}
STALE = {
    412: OpenApiResponse(
        ERROR_REF,
        description="If-Match names another version: the entry changed since it was read. "
        "Nothing was changed; the ETag header is the current version.",
    )
}


class EntryWrites:
    """The write actions of a content viewset, for API keys with the content:write scope:
    create (POST on the list), replace (PUT), merge (PATCH), delete, and the keyed read
    of the record with its ETag (GET …/record/). Set ``kind`` and the services."""

    kind: str
    # The services (not named like DRF's handlers: `delete` is the DELETE method's).
    version_of = staticmethod(writes.term_version)
    write_entry = staticmethod(writes.term_write)
    delete_entry = staticmethod(writes.term_delete)

    def get_permissions(self):
        if self.action in WRITE_ACTIONS:
            return [KeyScope.required(WRITE_SCOPE)()]
        return super().get_permissions()

    def get_authenticators(self):
        # Keys only: a session is no credential for writes (and the schema says so). DRF
        # asks before it sets self.action, so the action is read from the method here.
        action = getattr(self, "action", None)
        request = getattr(self, "request", None)
        if action is None and request is not None:
            action = getattr(self, "action_map", {}).get(request.method.lower())
        if action in WRITE_ACTIONS:
            return [ApiKeyAuthentication()]
        return super().get_authenticators()

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if self.action in WRITE_ACTIONS:
            response["Cache-Control"] = "private, no-store"
            del response["Last-Modified"]
        return response

    def answer(self, version, *, created: bool = False) -> Response:
        response = Response(
            {"record": version.record, "live": version.live},
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
            headers={"ETag": version.etag},
        )
        if created:
            response["Location"] = reverse(
                f"api:{self.kind}-detail", kwargs={"slug": version.record["slug"]}
            )
        return response

    def written(self, request, mode: writes.Mode, slug: str | None = None) -> Response:
        try:
            version, _changed = self.write_entry(
                record=body(request),
                mode=mode,
                slug=slug,
                actor_name=actor_name(request),
                if_match=if_match(request),
            )
        except writes.RecordRefused as refused:
            raise ValidationError(field_errors(refused.errors)) from refused
        except writes.EntryExists as exists:
            raise Conflict(
                f"A {self.kind} with slug {str(exists)!r} exists; change it with PUT or "
                f"PATCH /api/v1/{KIND_TERMS[self.kind]}/{exists}/."
            ) from exists
        except writes.EntryNotFound as missing:
            raise NotFound(f"No {self.kind} with slug {str(missing)!r}.") from missing
        except writes.PreconditionFailed as stale:
            return self.stale(stale)
        return self.answer(version, created=mode == writes.Mode.CREATE)

    def stale(self, stale: writes.PreconditionFailed) -> Response:
        return Response(
            {
                "detail": f"The {self.kind} has changed since that version: nothing was "
                f"changed. Read it again (its version now is {stale.etag}) and resend."
            },
            status=status.HTTP_412_PRECONDITION_FAILED,
            headers={"ETag": stale.etag},
        )

    def create(self, request, *args, **kwargs):
        return self.written(request, writes.Mode.CREATE)

    def update(self, request, *args, slug=None, **kwargs):
        return self.written(request, writes.Mode.REPLACE, slug)

    def partial_update(self, request, *args, slug=None, **kwargs):
        return self.written(request, writes.Mode.MERGE, slug)

    def destroy(self, request, *args, slug=None, **kwargs):
        try:
            self.delete_entry(slug=slug, actor_name=actor_name(request), if_match=if_match(request))
        except writes.EntryNotFound as missing:
            raise NotFound(f"No {self.kind} with slug {str(missing)!r}.") from missing
        except writes.PreconditionFailed as stale:
            return self.stale(stale)
        except writes.CategoryInUse as in_use:
            raise Conflict(str(in_use)) from in_use
        return Response(status=status.HTTP_204_NO_CONTENT)

    @action(detail=True, methods=["get"], url_path="record")
    def record(self, request, *args, slug=None, **kwargs):
        version = self.version_of(slug=slug)
        if version is None:
            raise NotFound(f"No {self.kind} with slug {slug!r}.")
        return self.answer(version)


def term_write_schemas() -> dict:
    """The write actions' schemas, for extend_schema_view on TermViewSet."""
    return _write_schemas(
        "term",
        TermRecordSerializer,
        TermReplaceSerializer,
        TermVersionSerializer,
        replaced="content it leaves out is emptied (aliases, texts, key considerations, "
        "FAQs, references, related terms, CTA) and scheduled times cleared; its status and "
        "publication and review times are kept unless given. A published entry is changed "
        "in place: the public sees the new content at once.",
        extra_delete="A live term is taken down at once (its page answers 404); its "
        "working copy, revisions and former slugs go with it.",
    )


def category_write_schemas() -> dict:
    return _write_schemas(
        "category",
        CategoryRecordSerializer,
        CategoryReplaceSerializer,
        CategoryVersionSerializer,
        replaced="its description and shared FAQs, if left out, are emptied.",
        conflict_on_delete=True,
    )


def _write_schemas(
    kind, record, replace, version, *, replaced: str, extra_delete="", conflict_on_delete=False
) -> dict:
    scope = f"Needs an API key with the `{WRITE_SCOPE}` scope."
    answer = OpenApiResponse(version, description=f"The {kind} as stored now; ETag is its version.")
    return {
        "create": extend_schema(
            summary=f"Create a {kind} (API key)",
            description=f"{scope} The body is one glossary/1 {kind} record, validated and "
            "written by the import's own code, with its errors.",
            request=record,
            parameters=[etag_header([201])],
            responses={
                201: answer,
                **RECORD_ERRORS,
                409: error(f"A {kind} with this slug exists: PUT or PATCH it instead."),
            },
        ),
        "update": extend_schema(
            summary=f"Replace a {kind} with its inlines (API key)",
            description=f"{scope} The body is the whole {kind}: {replaced}",
            parameters=[IF_MATCH, etag_header([200, 412])],
            request=replace,
            responses={200: answer, **RECORD_ERRORS, **NOT_FOUND, **STALE},
        ),
        "partial_update": extend_schema(
            summary=f"Change some fields of a {kind} (API key)",
            description=f"{scope} Each top-level field given replaces the stored one (a "
            "list or the CTA as a whole); the others are kept.",
            parameters=[IF_MATCH, etag_header([200, 412])],
            request=record,
            responses={200: answer, **RECORD_ERRORS, **NOT_FOUND, **STALE},
        ),
        "destroy": extend_schema(
            summary=f"Delete a {kind} (API key)",
            description=f"{scope} {extra_delete}".strip(),
            parameters=[IF_MATCH, etag_header([412])],
            responses={
                204: OpenApiResponse(description="Deleted."),
                **WRITE_ERRORS,
                **NOT_FOUND,
                **STALE,
                **(
                    {409: error("The category has terms: move or delete them first.")}
                    if conflict_on_delete
                    else {}
                ),
            },
        ),
        "record": extend_schema(
            summary=f"The {kind} as a glossary/1 record, with its version (API key)",
            description=f"{scope} Any status. The ETag header is what If-Match takes.",
            parameters=[etag_header([200])],
            responses={200: answer, **WRITE_ERRORS, **NOT_FOUND},
        ),
    }


# The glossary over HTTP ---------------------------------------------------------------

DRY_RUN_VALUES = {"true": True, "1": True, "false": False, "0": False}


def report_data(report: ImportReport, *, dry_run: bool) -> dict:
    def counts(counter) -> dict:
        return {
            "categories": counter["category"],
            "references": counter["reference"],
            "terms": counter["term"],
        }

    return {
        "dry_run": dry_run,
        "created": counts(report.created),
        "updated": counts(report.updated),
        "unchanged": counts(report.unchanged),
        "summary": report.summary(),
    }


class GlossaryImportView(APIView):
    """POST /api/v1/glossary/: the import command over HTTP (glossary_import, all or
    nothing), for keys with content:write."""

    query_parameters = ("format", "dry_run")
    authentication_classes = [ApiKeyAuthentication]

    def get_permissions(self):
        return [KeyScope.required(WRITE_SCOPE)()]

    @extend_schema(
        summary="Import a glossary/1 document (API key)",
        description=f"Needs an API key with the `{WRITE_SCOPE}` scope. What `manage.py "
        "import_glossary` does, over HTTP: the whole document is validated first, then "
        "written in one transaction, all or nothing; importing the same document twice "
        "changes nothing. The body may be at most API_GLOSSARY_MAX_BYTES long.",
        parameters=[
            OpenApiParameter(
                "dry_run",
                {"type": "string", "enum": sorted(DRY_RUN_VALUES)},
                description="true: report what the import would do, and store nothing.",
            )
        ],
        request=GlossaryDocumentSerializer,
        responses={
            200: ImportReportSerializer,
            400: OpenApiResponse(
                {"anyOf": [IMPORT_REFUSED_REF, FIELD_ERRORS_REF]},
                description="Bad records (each one, as the import command words it; nothing "
                'stored), or a bad query parameter ({"dry_run": ["…"]}), or a body that is '
                'not JSON ({"detail": "JSON parse error - …"}).',
            ),
            **WRITE_ERRORS,
            413: error("The body is larger than API_GLOSSARY_MAX_BYTES. Nothing was stored."),
        },
    )
    def post(self, request):
        unknown = sorted(set(request.query_params) - set(self.query_parameters))
        if unknown:
            raise ValidationError(
                {
                    name: ["Unknown query parameter. This endpoint accepts: dry_run, format."]
                    for name in unknown
                }
            )
        dry_run_text = request.query_params.get("dry_run", "false").lower()
        if dry_run_text not in DRY_RUN_VALUES:
            raise ValidationError({"dry_run": ["Must be true or false."]})
        dry_run = DRY_RUN_VALUES[dry_run_text]
        name = actor_name(request)
        try:
            report = glossary_import(
                data=body(request),
                dry_run=dry_run,
                source=writes.SOURCE,
                actor_name=name,
                revision_comment=f"Imported through the API by {name}",
            )
        except GlossaryImportError as refused:
            errors = [
                {
                    "kind": problem.kind,
                    "identity": problem.identity,
                    "field": problem.field,
                    "message": problem.message,
                }
                for problem in refused.report.errors
            ]
            return Response(
                {"detail": str(refused), "errors": errors}, status=status.HTTP_400_BAD_REQUEST
            )
        response = Response(report_data(report, dry_run=dry_run))
        response["Cache-Control"] = "private, no-store"
        return response
