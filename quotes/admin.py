"""Quotes in the admin: read-only (a quote's figures never change); owners and managers use /quotes/."""

from __future__ import annotations

from django.contrib import admin

from quotes.models import Quote, TaxSetting


@admin.register(Quote)
class QuoteAdmin(admin.ModelAdmin):
    list_display = ["reference", "customer", "owner", "status", "priced_on", "valid_until", "total", "currency", "created_at"]
    list_filter = ["status", "currency", "priced_on"]
    search_fields = ["reference", "customer", "owner__username"]
    date_hierarchy = "created_at"
    exclude = ["share_token"]  # the link is the owner's to share, from the quote's page

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in Quote._meta.fields if f.name != "share_token"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(TaxSetting)
class TaxSettingAdmin(admin.ModelAdmin):
    """Staff with the tax-setting permissions add a country's tax for a period; saved quotes keep the tax they
    were priced with, so editing a setting changes only quotes priced after."""

    list_display = ["country", "name", "rate", "effective_from", "effective_to"]
    list_filter = ["country", "name"]
    search_fields = ["country", "name"]
    fields = ["country", "name", "rate", ("effective_from", "effective_to")]
