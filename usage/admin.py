"""Staff manage workspaces (and their members, time zone and business) here, and see what was loaded."""

from django import forms
from django.contrib import admin
from django.utils.decorators import method_decorator
from django.views.decorators.debug import sensitive_post_parameters

from .models import AlertSent, Business, IngestRun, TierUpdate, TopUp, Workspace, new_verify_token
from .recount import changed_after_save, recount


class IngestRunInline(admin.TabularInline):
    model = IngestRun
    fields = ("created_at", "filename", "kind", "lines", "changed", "skipped", "user")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False
    ordering = ("-created_at",)

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class TopUpInline(admin.TabularInline):
    """Prepaid top-ups, entered by staff: the dashboard's balance counts them from their day on."""

    model = TopUp
    fields = ("on", "amount", "currency", "note", "entered_by")
    readonly_fields = ("entered_by",)
    extra = 0
    ordering = ("-on",)


class TierUpdateInline(admin.TabularInline):
    """Meta's tier webhooks as loaded: read only (they are Meta's word)."""

    model = TierUpdate
    fields = ("effective_month", "category", "region", "market", "tier_start", "tier_end", "tier_update_time",
              "copies")
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ("-effective_month", "tier_update_time")

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(AlertSent)
class AlertSentAdmin(admin.ModelAdmin):
    """What the daily digest e-mailed (each alert once, `usage.alerts`): read only."""

    list_display = ("sent_at", "workspace", "key", "title", "recipients")
    list_filter = ("workspace",)
    search_fields = ("key", "title", "workspace__slug")
    readonly_fields = ("workspace", "key", "title", "text", "recipients", "sent_at")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Business)
class BusinessAdmin(admin.ModelAdmin):
    list_display = ("name", "workspace_names")
    search_fields = ("name", "workspaces__name", "workspaces__slug")

    @admin.display(description="Workspaces")
    def workspace_names(self, obj: Business) -> str:
        return ", ".join(obj.workspaces.values_list("name", flat=True))

    # Deleting a business leaves its workspaces on their own: each counts its tiers alone again.
    def delete_model(self, request, obj: Business) -> None:
        members = list(obj.workspaces.values_list("pk", flat=True))
        super().delete_model(request, obj)
        if members:
            recount(members)

    def delete_queryset(self, request, queryset) -> None:
        members = list(Workspace.objects.filter(business__in=queryset).values_list("pk", flat=True))
        super().delete_queryset(request, queryset)
        if members:
            recount(members)


class WorkspaceForm(forms.ModelForm):
    """The secrets are write-only: password fields never filled in; empty keeps what is saved.

    The Graph API access token (the daily pull of Meta's pricing analytics) and the app secret (signs every
    live webhook) are typed to set them and never shown again.
    """

    access_token = forms.CharField(
        label="Graph API access token", required=False, max_length=1024,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text="A token with whatsapp_business_management, for the daily pull of Meta's pricing analytics. "
                  "Leave blank to keep the saved one.")
    clear_access_token = forms.BooleanField(label="Remove the saved access token", required=False)
    new_app_secret = forms.CharField(
        label="App secret", required=False, max_length=128, strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text="The Meta app's secret (App Dashboard, App settings → Basic): it signs every webhook. "
                  "Never shown again after saving; leave empty to keep the current one.",
    )
    clear_app_secret = forms.BooleanField(label="Remove the app secret (webhooks are refused until a new one is set)",
                                          required=False)

    class Meta:
        model = Workspace
        exclude = ("graph_access_token", "app_secret", "app_secret_set_at")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        saved = bool(self.instance.pk and self.instance.graph_access_token)
        self.fields["access_token"].help_text = (
            ("A token is set (hidden). " if saved else "No token set. ") + self.fields["access_token"].help_text)
        self.fields["webhook_verify_token"].required = False
        self.fields["webhook_verify_token"].help_text += " Empty: a new random one."

    def clean_webhook_verify_token(self) -> str:
        return self.cleaned_data.get("webhook_verify_token", "").strip() or new_verify_token()

    def save(self, commit=True):
        workspace = super().save(commit=False)
        if self.cleaned_data.get("clear_access_token"):
            workspace.graph_access_token = ""
        elif self.cleaned_data.get("access_token"):
            workspace.graph_access_token = self.cleaned_data["access_token"].strip()
        if self.cleaned_data.get("new_app_secret"):
            workspace.set_app_secret(self.cleaned_data["new_app_secret"])
        elif self.cleaned_data.get("clear_app_secret"):
            workspace.set_app_secret("")
        if commit:
            workspace.save()
            self.save_m2m()
        return workspace


@method_decorator(sensitive_post_parameters("new_app_secret", "access_token"), name="changeform_view")
@admin.register(Workspace)
class WorkspaceAdmin(admin.ModelAdmin):
    form = WorkspaceForm
    list_display = ("name", "slug", "timezone", "business", "business_country", "auth_international", "monthly_budget",
                    "member_count")
    list_filter = ("business",)
    search_fields = ("name", "slug", "members__username", "members__email")
    prepopulated_fields = {"slug": ("name",)}
    filter_horizontal = ("members",)
    inlines = [TopUpInline, TierUpdateInline, IngestRunInline]
    readonly_fields = ("app_secret_state",)
    fieldsets = (
        (None, {"fields": ("name", "slug", "members", "business", "timezone", "business_country",
                           "auth_international", "monthly_budget")}),
        ("Prepaid balance and package", {"fields": ("prepaid_alert_below", "package_plan")}),
        ("Meta's pricing analytics (daily pull)", {"fields": ("waba_id", "access_token", "clear_access_token")}),
        ("Live webhooks from Meta", {
            "description": "The workspace's page (Usage → the workspace → Live webhooks) shows the callback URL "
                           "and these settings with how to paste them into Meta's webhook settings.",
            "fields": ("webhook_verify_token", "app_secret_state", "new_app_secret", "clear_app_secret"),
        }),
    )

    @admin.display(description="App secret now")
    def app_secret_state(self, obj: Workspace) -> str:
        if not obj.app_secret:
            return "Not set: webhooks are refused (401) until it is."
        when = f" on {obj.app_secret_set_at:%Y-%m-%d %H:%M} UTC" if obj.app_secret_set_at else ""
        return f"Set{when}"

    @admin.display(description="Members")
    def member_count(self, obj: Workspace) -> int:
        return obj.members.count()

    def save_formset(self, request, form, formset, change: bool) -> None:
        """A new top-up remembers who entered it."""
        for item in formset.save(commit=False):
            if isinstance(item, TopUp) and item.pk is None:
                item.entered_by = request.user
            item.save()
        for item in formset.deleted_objects:
            item.delete()
        formset.save_m2m()

    def save_model(self, request, obj: Workspace, form, change: bool) -> None:
        """A new time zone or business changes the account's months and tiers: count them again."""
        before = Workspace.objects.filter(pk=obj.pk).values_list("timezone", "business_id").first() if change else None
        super().save_model(request, obj, form, change)
        if before is not None:
            changed_after_save(obj, *before)
