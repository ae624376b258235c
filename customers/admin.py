"""Customers in the admin: staff with the customers' rights keep every customer and its price book."""

from __future__ import annotations

from django.contrib import admin

from customers.models import Customer
from customers.terms import OVERRIDE_NAMES


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ["name", "public_id", "country", "currency", "owner", "price_plan", "workspace"]
    list_filter = ["country", "currency", "price_plan"]
    search_fields = ["name", "public_id", "billing_email", "owner__username"]
    readonly_fields = ["public_id", "created_at"]
    autocomplete_fields = []
    fieldsets = [
        (None, {"fields": ["public_id", "name", "country", "currency", "billing_email", "owner", "workspace",
                           "notes", "created_at"]}),
        ("Price book", {"fields": ["price_plan", *OVERRIDE_NAMES],
                        "description": "Empty overrides keep the plan's value. Overrides apply to a money plan "
                                       "only: a package or credits plan is quoted on its own terms."}),
    ]
