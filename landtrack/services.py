"""What every app's services share: authorship in the change history, and stale-version refusal."""


class StaleVersion(Exception):
    """The object was changed by someone else since the caller read it."""

    message = "该记录已被他人修改，请刷新后在最新版本上重新修改。"

    def __init__(self, current_version):
        super().__init__(self.message)
        self.current_version = current_version


# Bookkeeping columns that say nothing about what changed: a change history, in the admin or the API,
# leaves them out (who entered a row and when is each entry's own author and time).
UNTRACKED_FIELDS = {"created_at", "updated_at", "created_by", "updated_by", "version"}


def attribute_to(instance, user):
    """Record ``user`` as the author of the next change to ``instance`` in its history."""
    if user is not None and user.is_authenticated:
        instance._history_user = user
    return instance


def lock_version(model, pk, expected_version):
    """Lock a versioned row; refuse when the caller's version is not the stored one."""
    current = model.objects.select_for_update().values_list("version", flat=True).get(pk=pk)
    if expected_version is not None and current != expected_version:
        raise StaleVersion(current)
    return current
