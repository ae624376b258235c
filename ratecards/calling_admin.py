"""Admin for calling rate cards: look at a card with each row's reliability and basis, import a table,
compare two cards, publish a draft. Staff may look; rate editors may change (as for message cards).

Meta's own calling rate files were not found, so the import reads the shipped table's layout
(ratecards/calling_table.py); the page says so.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from pricing_site.downloads import csv_download
from ratecards.admin import CardAdminMixin, is_rate_editor
from ratecards.calling_import import import_calling_card
from ratecards.calling_models import CallingCardStatus, CallingMarketRate, CallingRateCard
from ratecards.calling_table import COLUMNS, CallingTableRefused, table_csv

MAX_UPLOAD = 1_000_000


class CallingRateInline(admin.TabularInline):
    model = CallingMarketRate
    extra = 0
    can_delete = False
    fields = ["market", "per_minute", "tier_1", "tier_2", "tier_3", "tier_4", "tier_5", "tier_6", "reliability",
              "basis"]
    readonly_fields = fields
    verbose_name_plural = "Per-minute rates, tiers (minutes a month) and how reliable each row is"

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_staff


class CallingImportForm(forms.Form):
    table = forms.FileField(help_text="A calling rate table in the layout: " + ",".join(COLUMNS)
                            + " (Meta's own calling files were not found, so their layout is unknown).")
    effective_from = forms.DateField(help_text="The date the card applies from, YYYY-MM-DD.")
    publish = forms.BooleanField(required=False, help_text="Publish at once (otherwise a draft).")
    reconstructed = forms.BooleanField(required=False, initial=True,
                                       help_text="Not Meta's own file: results say so.")
    source = forms.CharField(max_length=300, required=False)

    def clean_table(self):
        upload = self.cleaned_data["table"]
        if upload.size > MAX_UPLOAD:
            raise forms.ValidationError(f"{upload.name} is {upload.size:,} bytes; a calling table is under 1 MB.")
        return upload


class CallingCompareForm(forms.Form):
    old = forms.ModelChoiceField(CallingRateCard.objects.all(), label="Old card")
    new = forms.ModelChoiceField(CallingRateCard.objects.all(), label="New card")


def compare_calling_cards(old: CallingRateCard, new: CallingRateCard) -> list[dict]:
    """Every market whose rate, ladder or reliability differs, or that is only on one card."""
    before = {r.market.name: r.as_rate() for r in old.rates.select_related("market")}
    after = {r.market.name: r.as_rate() for r in new.rates.select_related("market")}
    rows = []
    for market in sorted(set(before) | set(after)):
        a, b = before.get(market), after.get(market)
        if a == b:
            continue
        change = None
        if a and b and a.per_minute and b.per_minute is not None:
            change = (b.per_minute - a.per_minute) / a.per_minute * 100
        rows.append({"market": market, "old": a, "new": b,
                     "change": None if change is None else change.quantize(type(change)("0.1")),
                     "what": "new market" if a is None else "gone" if b is None else "changed"})
    return rows


@admin.register(CallingRateCard)
class CallingRateCardAdmin(CardAdminMixin, admin.ModelAdmin):
    list_display = ["name_display", "status", "reconstructed", "markets", "source", "published_at"]
    list_filter = ["currency", "status"]
    readonly_fields = ["currency", "effective_from", "status", "reconstructed", "source", "published_at",
                       "export_link"]
    fields = readonly_fields + ["notes"]
    inlines = [CallingRateInline]
    actions = ["publish_cards"]
    change_list_template = "admin/ratecards/callingratecard/change_list.html"

    @admin.display(description="Markets")
    def markets(self, obj: CallingRateCard) -> int:
        return obj.rates.count()

    @admin.display(description="Table")
    def export_link(self, obj: CallingRateCard):
        return format_html('<a href="{}">CSV</a>', reverse("admin:ratecards_callingratecard_export", args=[obj.pk]))

    def has_add_permission(self, request):
        return False  # cards come from an import

    def get_urls(self):
        own = [
            path("import/", self.admin_site.admin_view(self.import_view), name="ratecards_callingratecard_import"),
            path("compare/", self.admin_site.admin_view(self.compare_view), name="ratecards_callingratecard_compare"),
            path("<int:pk>/export/", self.admin_site.admin_view(self.export_view),
                 name="ratecards_callingratecard_export"),
        ]
        return own + super().get_urls()

    def import_view(self, request: HttpRequest):
        if not is_rate_editor(request):
            return HttpResponse("Only rate editors may import cards.", status=403)
        problems = None
        form = CallingImportForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                card = import_calling_card(data["table"].read(), data["table"].name,
                                           effective_from=data["effective_from"], publish=data["publish"],
                                           source=data["source"], reconstructed=data["reconstructed"])
            except CallingTableRefused as refused:
                problems = refused.problems
            else:
                messages.success(request, f"Imported {card} ({card.get_status_display().lower()}).")
                return HttpResponseRedirect(reverse("admin:ratecards_callingratecard_change", args=[card.pk]))
        return TemplateResponse(request, "admin/ratecards/callingratecard/import.html",
                                self._context(request, "Import a calling rate table", form=form, problems=problems))

    def compare_view(self, request: HttpRequest):
        form = CallingCompareForm(request.GET or None)
        rows = None
        if form.is_valid():
            rows = compare_calling_cards(form.cleaned_data["old"], form.cleaned_data["new"])
        return TemplateResponse(request, "admin/ratecards/callingratecard/compare.html",
                                self._context(request, "Compare two calling rate cards", form=form, rows=rows))

    def export_view(self, request: HttpRequest, pk: int):
        card = get_object_or_404(CallingRateCard, pk=pk)
        rates = [r.as_rate() for r in card.rates.select_related("market")]
        return csv_download(table_csv(card.currency, rates),
                            f"{card.currency.lower()}-calling-rates-{card.effective_from}.csv")

    @admin.action(description="Publish selected drafts")
    def publish_cards(self, request, queryset):
        if self._refused_to_others(request, "publish"):
            return
        for card in queryset:
            if card.status != CallingCardStatus.DRAFT:
                self.message_user(request, f"{card} is already published.", messages.ERROR)
                continue
            card.publish()
            self.message_user(request, f"{card} published.", messages.SUCCESS)
