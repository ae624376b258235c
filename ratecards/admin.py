"""The admin where rate editors keep cards and mappings current.

Any staff member may look; only members of the "Rate editors" group (or superusers) may change.
Published cards are read-only: corrections start with "New draft from this card".
"""

from __future__ import annotations

import io
import zipfile

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.options import ActionLocation
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from pricing_site.downloads import csv_download
from ratecards import grid_html, importer
from ratecards.card_workspace import edit_rate_view, publish_view, workspace_context
from ratecards.comparison import compare_cards, default_pair
from ratecards.grid import card_grid
from ratecards.import_upload import ChosenFile, ImportForm, forget, keep
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


class CardChoiceField(forms.ModelChoiceField):
    """A card by name, its status said (drafts are labelled as such)."""

    def label_from_instance(self, obj: RateCard) -> str:
        status = {CardStatus.DRAFT: "DRAFT", CardStatus.SUPERSEDED: "superseded"}.get(obj.status, "published")
        return f"{obj.name} ({status} #{obj.pk})"


class CompareForm(forms.Form):
    old = CardChoiceField(RateCard.objects.all(), label="Old card")
    new = CardChoiceField(RateCard.objects.all(), label="New card")


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


class CardAdminMixin(OnlyDraftsChangeMixin, EditorsChangeStaffViewMixin):
    """What the message and calling card admins share: only drafts change, staff look and rate editors
    change, the card's name as a column, their own pages' context, and refusing an action to others."""

    @admin.display(description="Card", ordering="effective_from")
    def name_display(self, obj) -> str:
        return obj.name

    def _context(self, request, title: str, **extra) -> dict:
        return {**self.admin_site.each_context(request), "opts": self.model._meta, "title": title, **extra}

    def _refused_to_others(self, request, doing: str) -> bool:
        """True, with an error message, when the user is not a rate editor (the action then does nothing)."""
        if is_rate_editor(request):
            return False
        self.message_user(request, f"Only rate editors may {doing}.", messages.ERROR)
        return True


@admin.register(RateCard)
class RateCardAdmin(CardAdminMixin, admin.ModelAdmin):
    list_display = ["name_display", "pricing_model", "status", "rules_summary", "source_short", "published_at"]
    list_filter = ["currency", "status", "pricing_model"]
    search_fields = ["currency", "source", "notes"]
    date_hierarchy = "effective_from"
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
    change_form_template = "admin/ratecards/ratecard/change_form.html"

    @admin.display(description="Rules")
    def rules_summary(self, obj: RateCard) -> str:
        parts = []
        if obj.utility_free_in_service_window:
            parts.append("utility free in window")
        if obj.service_charged:
            parts.append("service charged")
        if obj.free_service_allowance:
            # The scope's label already says "Per ...": "1,000 free service messages per business phone number".
            parts.append(f"{obj.free_service_allowance:,} free service messages "
                         f"{obj.get_free_service_scope_display().lower()}")
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
        return grid_html.rate_grid(card_grid(obj))

    @admin.display(description="Rates (choose one to edit it)")
    def rate_grid_links(self, obj: RateCard):
        # A draft seen by a rate editor: read-only cells that link to the one-rate editor (the page once had
        # ~800 inline forms, 2.7 MB and 8 s).
        edit_url = reverse("admin:ratecards_ratecard_edit_rate", args=[obj.pk])
        return grid_html.rate_grid(card_grid(obj), edit_url)

    @admin.display(description="Tiers")
    def tier_tables(self, obj: RateCard):
        if not obj.pk:
            return "-"
        return grid_html.tier_tables(card_grid(obj))

    @admin.display(description="Meta's layout")
    def export_links(self, obj: RateCard):
        if not obj.pk:
            return "-"
        return format_html(
            '<a href="{}">Rates CSV</a> · <a href="{}">Tiers CSV</a>',
            reverse("admin:ratecards_ratecard_export", args=[obj.pk, "rates"]),
            reverse("admin:ratecards_ratecard_export", args=[obj.pk, "tiers"]),
        )

    def _links_rates(self, request, obj) -> bool:
        return obj is not None and obj.pk is not None and obj.status == CardStatus.DRAFT and is_rate_editor(request)

    def get_fieldsets(self, request, obj=None):
        if not self._links_rates(request, obj):
            return self.fieldsets
        return [(name, {**options, "fields": ["rate_grid_links" if f == "rate_grid" else f for f in options["fields"]]})
                for name, options in self.fieldsets]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        card = self.get_object(request, object_id)
        extra = dict(extra_context or {})
        if card is not None and card.status == CardStatus.DRAFT:
            extra.update(workspace_context(card, editable=is_rate_editor(request)))
        return super().change_view(request, object_id, form_url, extra_context=extra)

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.status != CardStatus.DRAFT:
            # A published card never changes: every field is shown, none is editable.
            return [f.name for f in RateCard._meta.fields if f.name != "id"] + list(self.readonly_fields)
        if self._links_rates(request, obj):
            return [*self.readonly_fields, "rate_grid_links"]
        return self.readonly_fields

    def get_urls(self):
        own = [
            path("import/", self.admin_site.admin_view(self.import_view), name="ratecards_ratecard_import"),
            path("compare/", self.admin_site.admin_view(self.compare_view), name="ratecards_ratecard_compare"),
            path("<int:pk>/publish/", self.admin_site.admin_view(self.publish_view), name="ratecards_ratecard_publish"),
            path("<int:pk>/rate/", self.admin_site.admin_view(self.edit_rate_view), name="ratecards_ratecard_edit_rate"),
            path(
                "<int:pk>/export/<str:kind>/",
                self.admin_site.admin_view(self.export_view),
                name="ratecards_ratecard_export",
            ),
        ]
        return own + super().get_urls()

    def import_view(self, request: HttpRequest):
        if not is_rate_editor(request):
            return HttpResponse("Only rate editors may import cards.", status=403)
        report = problems = kept = None
        form = ImportForm(request.POST or None, request.FILES or None, user_id=request.user.pk)
        if request.method == "POST" and form.is_valid():
            data, files = form.cleaned_data, form.kept_files
            try:
                report = importer.import_card(
                    files.rates.data,
                    files.tiers.data if files.tiers else None,
                    currency=(data["currency"] or "").upper() or None,
                    effective_from=data["effective_from"],
                    dry_run=data["dry_run"],
                    rates_name=files.rates.name,
                    tiers_name=files.tiers.name if files.tiers else "tiers.csv",
                )
            except importer.ImportRefused as refused:
                problems = refused.problems
            else:
                if not data["dry_run"] and report.card is not None:
                    forget(request.user.pk)
                    messages.success(request, f"Imported: {report}")
                    for note in report.notes:
                        messages.warning(request, note)
                    return HttpResponseRedirect(reverse("admin:ratecards_ratecard_change", args=[report.card.pk]))
            # A dry run (or a refusal) keeps the files: importing next needs no second upload.
            kept = keep(request.user.pk, files.rates, files.tiers) if files.token == "" else files
            if kept is not None:
                form = ImportForm(initial={"kept": kept.token, "dry_run": not (report and not problems),
                                           "currency": data["currency"], "effective_from": data["effective_from"]},
                                  user_id=request.user.pk)
        return TemplateResponse(
            request,
            "admin/ratecards/ratecard/import.html",
            self._context(request, "Import a rate card from Meta's files", form=form, report=report, problems=problems,
                          kept=kept),
        )

    def compare_view(self, request: HttpRequest):
        form = CompareForm(request.GET or None)
        comparison = None
        if not request.GET:
            # Default: the newest draft (what an editor checks before publishing), else today's USD card,
            # against the card before it (a card published for a later date is not today's).
            pair = default_pair(timezone.localdate())
            if pair is not None:
                form = CompareForm({"old": pair[0].pk, "new": pair[1].pk})
        if form.is_bound and form.is_valid():
            comparison = compare_cards(form.cleaned_data["old"], form.cleaned_data["new"])
        return TemplateResponse(
            request,
            "admin/ratecards/ratecard/compare.html",
            self._context(request, "Compare two rate cards", form=form, comparison=comparison),
        )

    def publish_view(self, request: HttpRequest, pk: int):
        return publish_view(self, request, pk, editor=is_rate_editor(request))

    def edit_rate_view(self, request: HttpRequest, pk: int):
        return edit_rate_view(self, request, pk, editor=is_rate_editor(request))

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
        return csv_download(text, f"{card.currency.lower()}-{kind}-{card.effective_from}.csv")

    @admin.action(description="Publish selected drafts")
    def publish_cards(self, request, queryset):
        if self._refused_to_others(request, "publish"):
            return
        if len(queryset) == 1:  # one card: its confirmation page (a published card never changes)
            return HttpResponseRedirect(reverse("admin:ratecards_ratecard_publish", args=[queryset[0].pk]))
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
        if self._refused_to_others(request, "make drafts"):
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


from ratecards import calling_admin, mapping_admin  # noqa: E402,F401  (they register their own admins)
