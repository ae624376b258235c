"""Price plans, their dated terms and credit rates, and exchange rates: edited by staff with the model
permissions. Overlapping dates are refused by each row's clean() and, among the rows of one form, here."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError

from plans.models import CreditRate, ExchangeRate, PackageTerms, PlanTerms, PricePlan, period_text
from ratecards.models import periods_overlap


class TermsFormSet(forms.BaseInlineFormSet):
    def clean(self) -> None:
        super().clean()
        periods = []
        for form in self.forms:
            if not getattr(form, "cleaned_data", None) or form.cleaned_data.get("DELETE"):
                continue
            start, end = form.cleaned_data.get("effective_from"), form.cleaned_data.get("effective_to")
            if start is None:
                continue
            for other_start, other_end in periods:
                if periods_overlap(start, end, other_start, other_end):
                    raise ValidationError(
                        f"Terms of {period_text(start, end)} overlap terms of {period_text(other_start, other_end)}."
                    )
            periods.append((start, end))


class PlanTermsInline(admin.StackedInline):
    model = PlanTerms
    formset = TermsFormSet
    extra = 0
    fieldsets = [
        (None, {"fields": [("effective_from", "effective_to")]}),
        ("Markup on Meta's cost (percent)", {"fields": [("markup_marketing", "markup_utility",
                                                         "markup_authentication", "markup_service")]}),
        ("Fees (in the plan's currency)", {"fields": [("fee_per_message", "fee_per_conversation"),
                                                      ("fee_per_receptive_window", "charge_utility_in_window"),
                                                      ("monthly_fee", "discount_percent")]}),
    ]


class PackageTermsInline(admin.StackedInline):
    model = PackageTerms
    formset = TermsFormSet
    extra = 0
    fieldsets = [
        (None, {"fields": [("effective_from", "effective_to")]}),
        ("The package (in the plan's currency)", {"fields": [("monthly_fee", "included_units"), "overage_per_unit",
                                                             "meta_charges"]}),
        ("Units consumed", {"description": "Free-form messages inside the 24-hour window are always free; "
                                           "unused units do not roll over.",
                            "fields": [("units_marketing", "units_utility", "units_authentication"),
                                       ("units_per_receptive_window", "utility_in_window_consumes_units")]}),
    ]


class CreditRateInline(admin.TabularInline):
    model = CreditRate
    extra = 0


@admin.register(PricePlan)
class PricePlanAdmin(admin.ModelAdmin):
    list_display = ["name", "unit", "currency"]
    search_fields = ["name"]

    def get_inlines(self, request, obj):
        if obj is None:
            return [PlanTermsInline]
        if obj.is_package:
            return [PackageTermsInline]
        return [CreditRateInline] if obj.is_credits else [PlanTermsInline]


@admin.register(PackageTerms)
class PackageTermsAdmin(admin.ModelAdmin):
    list_display = ["plan", "effective_from", "effective_to", "monthly_fee", "included_units", "overage_per_unit",
                    "meta_charges"]
    list_filter = ["plan"]


@admin.register(CreditRate)
class CreditRateAdmin(admin.ModelAdmin):
    list_display = ["plan", "region", "category", "credits", "effective_from", "effective_to"]
    list_filter = ["plan", "category", "effective_from"]
    search_fields = ["region"]


@admin.register(ExchangeRate)
class ExchangeRateAdmin(admin.ModelAdmin):
    list_display = ["base", "quote", "rate", "effective_from", "source"]
    list_filter = ["base", "quote"]
    date_hierarchy = "effective_from"
