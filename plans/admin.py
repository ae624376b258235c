"""Price plans, their dated terms and credit rates, and exchange rates: edited by staff with the model
permissions. Overlapping dates are refused by each row's clean() and, among the rows of one form, here."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError

from plans.models import CreditMoneyPrice, CreditRate, ExchangeRate, PackageTerms, PlanTerms, PricePlan, period_text
from ratecards.models import periods_overlap


class TermsFormSet(forms.BaseInlineFormSet):
    what = "Terms"
    apart_by: str | None = None  # a field whose rows never overlap each other's only (a currency)

    def clean(self) -> None:
        super().clean()
        periods = []
        for form in self.forms:
            if not getattr(form, "cleaned_data", None) or form.cleaned_data.get("DELETE"):
                continue
            start, end = form.cleaned_data.get("effective_from"), form.cleaned_data.get("effective_to")
            if start is None:
                continue
            key = form.cleaned_data.get(self.apart_by) if self.apart_by else None
            for other_key, other_start, other_end in periods:
                if other_key == key and periods_overlap(start, end, other_start, other_end):
                    raise ValidationError(f"{self.what} of {period_text(start, end)} overlap {self.what.lower()} "
                                          f"of {period_text(other_start, other_end)}.")
            periods.append((key, start, end))


class CreditMoneyFormSet(TermsFormSet):
    what = "Prices per credit"
    apart_by = "currency"


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


class CreditMoneyPriceInline(admin.TabularInline):
    model = CreditMoneyPrice
    formset = CreditMoneyFormSet
    extra = 0
    verbose_name_plural = ("Money prices per credit (optional: a quote in the currency, on a date one is in force, "
                           "shows the credits' money; otherwise it says credits only)")


@admin.register(PricePlan)
class PricePlanAdmin(admin.ModelAdmin):
    list_display = ["name", "unit", "currency"]
    search_fields = ["name"]

    def get_inlines(self, request, obj):
        if obj is None:
            return [PlanTermsInline]
        if obj.is_package:
            return [PackageTermsInline]
        return [CreditMoneyPriceInline, CreditRateInline] if obj.is_credits else [PlanTermsInline]


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


@admin.register(CreditMoneyPrice)
class CreditMoneyPriceAdmin(admin.ModelAdmin):
    list_display = ["plan", "currency", "price_per_credit", "effective_from", "effective_to"]
    list_filter = ["plan", "currency"]


@admin.register(ExchangeRate)
class ExchangeRateAdmin(admin.ModelAdmin):
    list_display = ["base", "quote", "rate", "effective_from", "source"]
    list_filter = ["base", "quote"]
    date_hierarchy = "effective_from"
