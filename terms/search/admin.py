"""The editors' "Searches" report: SearchCount's admin list is the report (the top
searches and the top searches without results over a period), for whoever may view
search counts (Editors and Publishers, terms migration 0021; not the Advisory team)."""

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from glossary_project.admin import ReadOnlyAdminMixin

from ..forms import SearchReportForm
from ..models import SearchCount
from . import report


@admin.register(SearchCount)
class SearchReportAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    def changelist_view(self, request, extra_context=None):
        if not self.has_view_permission(request):
            raise PermissionDenied
        form = SearchReportForm(request.GET)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Searches"),
            "opts": self.model._meta,
            "form": form,
            "may_add_term": request.user.has_perm("terms.add_term"),
        }
        if form.is_valid():
            period = {
                "first_day": form.cleaned_data["first_day"],
                "last_day": form.cleaned_data["last_day"],
            }
            context |= {
                **period,
                "top": self._rows(report.top_searches(**period)),
                "without_results": self._rows(report.top_searches_without_results(**period)),
            }
        return TemplateResponse(request, "admin/terms/searchcount/report.html", context)

    @staticmethod
    def _rows(summaries):
        add_term = reverse("admin:terms_term_add")
        return [
            {
                "search": summary,
                # The add form, titled with the query: the editor chooses the category
                # and writes the entry; saving it makes the new draft.
                "add_term_url": f"{add_term}?"
                + urlencode({"title": summary.query, "slug": slugify(summary.query)}),
            }
            for summary in summaries
        ]
