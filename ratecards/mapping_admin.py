"""The admin of mapping rules (which market a number is billed as): "Move a country to another market"
from a date, and a confirmation before an edit rewrites how days before today were billed."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone

from ratecards.admin import EditorsChangeStaffViewMixin, InForceFilter, is_rate_editor
from ratecards.mapping_moves import apply_move, plan_move, rewrites_history
from ratecards.models import Market, MarketMapping, describe_period


class MappingRuleForm(forms.ModelForm):
    rewrite_history = forms.BooleanField(
        required=False, label="Yes, rewrite history",
        help_text="Needed only when the change alters how days before today were billed.",
    )

    class Meta:
        model = MarketMapping
        fields = ["market", "country", "iso2", "calling_code", "prefix", "effective_from", "effective_to", "note"]

    def clean(self):
        data = super().clean()
        if self.errors or data.get("rewrite_history"):
            return data
        # The instance takes the form's values only after clean(): compare the stored rule with the form's.
        before = MarketMapping.objects.filter(pk=self.instance.pk).select_related("market").first()
        after = MarketMapping(market=data.get("market"), prefix=data.get("prefix", ""),
                              effective_from=data.get("effective_from"), effective_to=data.get("effective_to"))
        if rewrites_history(before, after, timezone.localdate()):
            since = describe_period(before.effective_from, before.effective_to) if before else ""
            raise ValidationError(
                (f"This rule has billed +{before.prefix} as {before.market} {since}: " if before else
                 "This new rule starts before today: ")
                + "saving changes how numbers were billed on days that are over (estimates and usage of those days "
                "change). To move the country from a date on, use \"Move a country to another market\". To correct "
                "history anyway, tick \"Yes, rewrite history\" and save again."
            )
        return data


@admin.register(MarketMapping)
class MarketMappingAdmin(EditorsChangeStaffViewMixin, admin.ModelAdmin):
    form = MappingRuleForm
    list_display = ["prefix_display", "country", "iso2", "market", "effective_from", "effective_to", "note"]
    list_filter = [InForceFilter, "market"]
    search_fields = ["prefix", "country", "iso2", "market__name"]
    autocomplete_fields = ["market"]
    ordering = ["prefix", "effective_from"]
    change_list_template = "admin/ratecards/marketmapping/change_list.html"

    @admin.display(description="Prefix", ordering="prefix")
    def prefix_display(self, obj: MarketMapping) -> str:
        return f"+{obj.prefix}"

    def get_urls(self):
        own = [path("move/", self.admin_site.admin_view(self.move_view), name="ratecards_marketmapping_move")]
        return own + super().get_urls()

    def move_view(self, request: HttpRequest) -> HttpResponse:
        if not is_rate_editor(request):
            return HttpResponse("Only rate editors may move countries.", status=403, content_type="text/plain")
        form = MoveForm(request.POST or None)
        move = None
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                move = plan_move(data["country"], data["market"], data["on"], timezone.localdate())
                if request.POST.get("confirm") == "yes":
                    apply_move(move)
                    messages.success(request, f"{move.country} is billed as {move.market} from {move.on.isoformat()}: "
                                              f"{len(move.ending)} rule(s) end on {move.day_before.isoformat()}, "
                                              f"{len(move.starting) + len(move.changing)} start on {move.on.isoformat()}.")
                    return HttpResponseRedirect(
                        reverse("admin:ratecards_marketmapping_changelist") + f"?q={move.iso2}")
            except ValidationError as exc:
                form.add_error(None, exc)
                move = None
        context = {**self.admin_site.each_context(request), "opts": self.model._meta, "form": form, "move": move,
                   "title": "Move a country to another market"}
        return TemplateResponse(request, "admin/ratecards/marketmapping/move.html", context,
                                status=400 if request.method == "POST" and form.errors else 200)


def country_choices() -> list[tuple[str, str]]:
    pairs = dict(MarketMapping.objects.order_by("country").values_list("iso2", "country"))
    return [("", "---------")] + sorted(((iso2, f"{name} ({iso2})") for iso2, name in pairs.items()),
                                        key=lambda pair: pair[1])


class MoveForm(forms.Form):
    country = forms.ChoiceField(choices=country_choices, help_text="Every prefix of the country moves.")
    market = forms.ModelChoiceField(Market.objects.all(), label="To market")
    on = forms.DateField(label="From", help_text="First day billed as the new market (YYYY-MM-DD). The old rule ends "
                                                 "the day before.",
                         widget=forms.DateInput(attrs={"type": "date"}))
