"""Admin pieces both apps use."""


class ReadOnlyAdminMixin:
    """A record nobody adds, changes or deletes in the admin: whoever may view it sees it."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
