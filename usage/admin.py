"""Staff manage workspaces (and their members) here, and can see what was loaded into each."""

from django.contrib import admin

from .models import IngestRun, Workspace


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


@admin.register(Workspace)
class WorkspaceAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "business_country", "auth_international", "member_count")
    search_fields = ("name", "slug", "members__username", "members__email")
    prepopulated_fields = {"slug": ("name",)}
    filter_horizontal = ("members",)
    inlines = [IngestRunInline]

    @admin.display(description="Members")
    def member_count(self, obj: Workspace) -> int:
        return obj.members.count()
