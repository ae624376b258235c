"""The customer form of the site (the admin has its own): a plain form, every field bounded."""

from __future__ import annotations

from django import forms

from customers.models import Customer
from customers.terms import OVERRIDE_NAMES
from plans.models import PricePlan
from usage.access import workspaces_for



class CustomerForm(forms.ModelForm):
    """Name, country, currency, billing e-mail, notes, workspace (one the user sees), price book."""

    class Meta:
        model = Customer
        fields = ["name", "country", "currency", "billing_email", "notes", "workspace", "price_plan",
                  *OVERRIDE_NAMES]
        widgets = {"notes": forms.Textarea(attrs={"rows": 3}),
                   "country": forms.TextInput(attrs={"size": 3, "autocomplete": "country"}),
                   "currency": forms.TextInput(attrs={"size": 4})}
        labels = {"billing_email": "Billing e-mail", "price_plan": "Default price plan",
                  "markup_marketing": "Marketing markup (%)", "markup_utility": "Utility markup (%)",
                  "markup_authentication": "Authentication markup (%)", "markup_service": "Service markup (%)",
                  "fee_per_message": "Fee per message", "discount_percent": "Discount (%)",
                  "monthly_fee": "Monthly platform fee"}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["workspace"].queryset = workspaces_for(user)
        self.fields["workspace"].empty_label = "None"
        self.fields["price_plan"].queryset = PricePlan.objects.all()
        self.fields["price_plan"].empty_label = "None: Meta's prices"
        self.fields["notes"].max_length = 5000
        self.fields["notes"].widget.attrs["maxlength"] = 5000
        for name in ("country", "currency"):
            self.fields[name].widget.attrs["maxlength"] = self.fields[name].max_length

    def clean_country(self) -> str:
        return (self.cleaned_data.get("country") or "").strip().upper()

    def clean_currency(self) -> str:
        return (self.cleaned_data.get("currency") or "").strip().upper()
