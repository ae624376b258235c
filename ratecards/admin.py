"""The admin where rate editors keep cards and mappings current.

Any staff member may look; only members of the "Rate editors" group (or superusers) may change.
Published cards are read-only: corrections start with "New draft from this card".
"""

from __future__ import annotations

import io
import zipfile
from datetime import timedelta

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.options import ActionLocation
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from ratecards import importer
from ratecards.comparison import compare_cards
from ratecards.grid import card_grid
from ratecards.models import (
    RULE_FIELDS,
    AgentTokenRate,
    CardStatus,
    Market,
    MarketMapping,
    PublishedCardError,
    Rate,
    RateCard,
    VolumeTier,
)

RATE_EDITORS = "Rate editors"


def is_rate_editor(request: HttpRequest) -> bool:
    user = request.user
    return user.is_active and (user.is_superuser or user.groups.filter(name=RATE_EDITORS).exists())


class EditorsChangeStaffViewMixin:
    """Staff may view; rate editors may change."""

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_staff

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_staff

    def has_add_permission(self, request, *args):
        return is_rate_editor(request)

    def has_change_permission(self, request, obj=None):
        return is_rate_editor(request)

    def has_delete_permission(self, request, obj=None):
        return is_rate_editor(request)


@admin.register(Market)
class MarketAdmin(EditorsChangeStaffViewMixin, admin.ModelAdmin):
    search_fields = ["name"]
    list_display = ["name", "countries"]

    @admin.display(description="Countries (mapping rules)")
    def countries(self, obj: Market) -> str:
        return ", ".join(sorted({r.iso2 for r in obj.mapping_rules.all()}))

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("mapping_rules")


class InForceFilter(admin.SimpleListFilter):
    title = "in force"
    parameter_name = "in_force"

    def lookups(self, request, model_admin):
        return [("today", "Today"), ("ended", "Ended"), ("future", "Starts later")]

    def queryset(self, request, queryset):
        today = timezone.localdate()
        if self.value() == "today":
            return queryset.in_force(today)
        if self.value() == "ended":
            return queryset.filter(effective_to__lt=today)
        if self.value() == "future":
            return queryset.filter(effective_from__gt=today)
        return queryset


@admin.register(AgentTokenRate)
class AgentTokenRateAdmin(EditorsChangeStaffViewMixin, admin.ModelAdmin):
    """Meta Business Agent: a dated rate per million tokens per currency (estimates in a currency without
    one get a warning, never a converted figure)."""

    list_display = ["currency", "effective_from", "per_million_tokens", "source"]
    list_filter = ["currency"]
    ordering = ["currency", "-effective_from"]


@admin.register(MarketMapping)
class MarketMappingAdmin(EditorsChangeStaffViewMixin, admin.ModelAdmin):
    list_display = ["prefix_display", "country", "iso2", "market", "effective_from", "effective_to", "note"]
    list_filter = [InForceFilter, "market"]
    search_fields = ["prefix", "country", "iso2", "market__name"]
    autocomplete_fields = ["market"]
    ordering = ["prefix", "effective_from"]

    @admin.display(description="Prefix", ordering="prefix")
    def prefix_display(self, obj: MarketMapping) -> str:
        return f"+{obj.prefix}"


class RateInline(admin.TabularInline):
    model = Rate
    extra = 0
    fields = ["market", "category", "rate"]
    autocomplete_fields = ["market"]
    classes = ["collapse"]
    verbose_name_plural = "Rates (edit)"

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_staff

    def _editable(self, request, obj) -> bool:
        return is_rate_editor(request) and (obj is None or obj.status == CardStatus.DRAFT)

    def has_add_permission(self, request, obj=None):
        return self._editable(request, obj)

    def has_change_permission(self, request, obj=None):
        return self._editable(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._editable(request, obj)


class TierInline(RateInline):
    model = VolumeTier
    fields = ["market", "category", "start", "rate"]
    verbose_name_plural = "Volume tiers (edit)"


class ImportForm(forms.Form):
    rates_file = forms.FileField(help_text="Meta's rates file as downloaded: CSV or XLSX.")
    tiers_file = forms.FileField(required=False, help_text="Meta's volume tiers file, CSV or XLSX (per-message cards).")
    currency = forms.CharField(max_length=3, required=False, help_text="Leave empty to read it from the title line.")
    effective_from = forms.DateField(required=False, help_text="Leave empty to read it from the title line.")
    dry_run = forms.BooleanField(required=False, initial=True, help_text="Check the files and report; write nothing.")

    MAX_BYTES = 5 * 1024 * 1024

    def clean(self):
        data = super().clean()
        for name in ("rates_file", "tiers_file"):
            upload = data.get(name)
            if upload and upload.size > self.MAX_BYTES:
                self.add_error(name, f"{upload.name} is {upload.size:,} bytes; a rate card is far smaller (5 MB at most).")
        return data


class CompareForm(forms.Form):
    old = forms.ModelChoiceField(RateCard.objects.all(), label="Old card")
    new = forms.ModelChoiceField(RateCard.objects.all(), label="New card")


class OnlyDraftsChangeMixin:
    """A published card never changes (corrections are a new card): only a draft is edited or deleted.
    For message and calling cards alike; both name a draft "draft"."""

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.status != CardStatus.DRAFT:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.status != CardStatus.DRAFT:
            return False
        return super().has_delete_permission(request, obj)


@admin.register(RateCard)
class RateCardAdmin(OnlyDraftsChangeMixin, EditorsChangeStaffViewMixin, admin.ModelAdmin):
    list_display = ["name_display", "pricing_model", "status", "rules_summary", "source_short", "published_at"]
    list_filter = ["currency", "status", "pricing_model"]
    search_fields = ["currency", "source", "notes"]
    date_hierarchy = "effective_from"
    inlines = [RateInline, TierInline]
    actions = ["publish_cards", "new_drafts", "export_meta_layout"]
    readonly_fields = ["status", "published_at", "copied_from", "rate_grid", "tier_tables", "export_links"]
    fieldsets = [
        (None, {"fields": ["currency", "effective_from", "pricing_model", "status", "published_at", "copied_from"]}),
        ("Rules", {"fields": [f for f in RULE_FIELDS if f != "pricing_model"]}),
        ("Source", {"fields": ["source", "notes", "export_links"]}),
        ("Rates by market and category", {"fields": ["rate_grid"]}),
        ("Volume tiers", {"fields": ["tier_tables"], "classes": ["collapse"]}),
    ]
    change_list_template = "admin/ratecards/ratecard/change_list.html"

    @admin.display(description="Card", ordering="effective_from")
    def name_display(self, obj: RateCard) -> str:
        return obj.name

    @admin.display(description="Rules")
    def rules_summary(self, obj: RateCard) -> str:
        parts = []
        if obj.utility_free_in_service_window:
            parts.append("utility free in window")
        if obj.service_charged:
            parts.append("service charged")
        if obj.free_service_allowance:
            parts.append(f"{obj.free_service_allowance:,} free service per {obj.get_free_service_scope_display().lower()}")
        if obj.volume_tiers:
            parts.append("tiers")
        return ", ".join(parts) or "-"

    @admin.display(description="Source")
    def source_short(self, obj: RateCard) -> str:
        return (obj.source[:60] + "…") if len(obj.source) > 60 else obj.source

    @admin.display(description="Rates")
    def rate_grid(self, obj: RateCard):
        if not obj.pk:
            return "-"
        return render_to_string("admin/ratecards/rate_grid.html", {"grid": card_grid(obj)})

    @admin.display(description="Tiers")
    def tier_tables(self, obj: RateCard):
        if not obj.pk:
            return "-"
        return render_to_string("admin/ratecards/tier_tables.html", {"grid": card_grid(obj)})

    @admin.display(description="Meta's layout")
    def export_links(self, obj: RateCard):
        if not obj.pk:
            return "-"
        return format_html(
            '<a href="{}">Rates CSV</a> · <a href="{}">Tiers CSV</a>',
            reverse("admin:ratecards_ratecard_export", args=[obj.pk, "rates"]),
            reverse("admin:ratecards_ratecard_export", args=[obj.pk, "tiers"]),
        )

    def get_inlines(self, request, obj):
        # A published card is shown by its grid and tier tables; the editable rows are for drafts only.
        if obj is not None and obj.status != CardStatus.DRAFT:
            return []
        return super().get_inlines(request, obj)

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.status != CardStatus.DRAFT:
            # A published card never changes: every field is shown, none is editable.
            return [f.name for f in RateCard._meta.fields if f.name != "id"] + list(self.readonly_fields)
        return self.readonly_fields

    def get_urls(self):
        own = [
            path("import/", self.admin_site.admin_view(self.import_view), name="ratecards_ratecard_import"),
            path("compare/", self.admin_site.admin_view(self.compare_view), name="ratecards_ratecard_compare"),
            path(
                "<int:pk>/export/<str:kind>/",
                self.admin_site.admin_view(self.export_view),
                name="ratecards_ratecard_export",
            ),
        ]
        return own + super().get_urls()

    def _context(self, request, title: str, **extra) -> dict:
        return {**self.admin_site.each_context(request), "opts": self.model._meta, "title": title, **extra}

    def import_view(self, request: HttpRequest):
        if not is_rate_editor(request):
            return HttpResponse("Only rate editors may import cards.", status=403)
        report = problems = None
        form = ImportForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            tiers = data["tiers_file"].read() if data["tiers_file"] else None
            try:
                report = importer.import_card(
                    data["rates_file"].read(),
                    tiers,
                    currency=(data["currency"] or "").upper() or None,
                    effective_from=data["effective_from"],
                    dry_run=data["dry_run"],
                    rates_name=data["rates_file"].name,
                    tiers_name=data["tiers_file"].name if data["tiers_file"] else "tiers.csv",
                )
            except importer.ImportRefused as refused:
                problems = refused.problems
            else:
                if not data["dry_run"] and report.card is not None:
                    messages.success(request, f"Imported: {report}")
                    return HttpResponseRedirect(reverse("admin:ratecards_ratecard_change", args=[report.card.pk]))
        return TemplateResponse(
            request,
            "admin/ratecards/ratecard/import.html",
            self._context(request, "Import a rate card from Meta's files", form=form, report=report, problems=problems),
        )

    def compare_view(self, request: HttpRequest):
        form = CompareForm(request.GET or None)
        comparison = None
        if form.is_valid():
            comparison = compare_cards(form.cleaned_data["old"], form.cleaned_data["new"])
        elif not request.GET:
            # Default: today's USD card against the one in force before it, the quarterly review (a card
            # published for a later date is not today's).
            new = RateCard.objects.in_force("USD", timezone.localdate())
            old = new and RateCard.objects.in_force("USD", new.effective_from - timedelta(days=1))
            if old is not None:
                form = CompareForm(initial={"old": old.pk, "new": new.pk})
        return TemplateResponse(
            request,
            "admin/ratecards/ratecard/compare.html",
            self._context(request, "Compare two rate cards", form=form, comparison=comparison),
        )

    def export_view(self, request: HttpRequest, pk: int, kind: str):
        card = get_object_or_404(RateCard, pk=pk)
        if kind == "rates":
            text = importer.export_rates_csv(card)
        elif kind == "tiers":
            text = importer.export_tiers_csv(card)
            if text is None:
                return HttpResponse(f"{card} has no volume tiers.", status=404, content_type="text/plain")
        else:
            return HttpResponse("Unknown export.", status=404, content_type="text/plain")
        response = HttpResponse(text, content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{card.currency.lower()}-{kind}-{card.effective_from}.csv"'
        return response

    @admin.action(description="Publish selected drafts")
    def publish_cards(self, request, queryset):
        if not is_rate_editor(request):
            self.message_user(request, "Only rate editors may publish.", messages.ERROR)
            return
        for card in queryset:
            try:
                card.publish()
            except (PublishedCardError, ValidationError) as exc:
                text = "; ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
                self.message_user(request, f"{card} not published: {text}", messages.ERROR)
            else:
                self.message_user(request, f"{card} published.", messages.SUCCESS)

    @admin.action(description="New draft from this card (to correct it)")
    def new_drafts(self, request, queryset):
        if not is_rate_editor(request):
            self.message_user(request, "Only rate editors may make drafts.", messages.ERROR)
            return
        for card in queryset:
            draft = card.new_draft()
            self.message_user(request, f"Draft #{draft.pk} made from {card}.", messages.SUCCESS)

    @admin.action(description="Export in Meta's layout (zip of CSV files)")
    def export_meta_layout(self, request, queryset):
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for card in queryset:
                stem = f"{card.currency.lower()}-{card.effective_from}-{card.status}-{card.pk}"
                archive.writestr(f"{stem}-rates.csv", importer.export_rates_csv(card))
                tiers = importer.export_tiers_csv(card)
                if tiers is not None:
                    archive.writestr(f"{stem}-volume-tiers.csv", tiers)
        response = HttpResponse(buffer.getvalue(), content_type="application/zip")
        response["Content-Disposition"] = 'attachment; filename="rate-cards.zip"'
        return response

    def get_actions(self, request, action_location=ActionLocation.CHANGE_LIST):
        actions = super().get_actions(request, action_location)
        if not is_rate_editor(request):
            for name in ("publish_cards", "new_drafts", "delete_selected"):
                actions.pop(name, None)
        return actions


from ratecards import calling_admin  # noqa: E402,F401  (calling rate cards register their own admin)
