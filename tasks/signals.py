"""A deleted rectification item's entry in its change history keeps the responsible units it had.

simple-history copies a row's many-to-many links into each history record from the link table. For a
deletion it does so after the database has dropped the links (they go before the row), so the deletion's
record would list no units, and the history would read as if they had been taken off before the item
went. The links are read before the deletion and put into that record.
"""

from django.db.models.signals import pre_delete
from django.dispatch import receiver
from simple_history.signals import pre_create_historical_m2m_records
from simple_history.utils import get_m2m_field_name

from .models import RectificationItem


@receiver(pre_delete, sender=RectificationItem, dispatch_uid="rectification_item_links_before_deletion")
def remember_links(sender, instance, **kwargs):
    instance._links_before_deletion = {
        field.name: list(
            field.remote_field.through.objects.filter(**{get_m2m_field_name(field): instance.pk})
        )
        for field in sender.history.model._history_m2m_fields
    }


@receiver(pre_create_historical_m2m_records, dispatch_uid="rectification_item_links_in_deletion_record")
def keep_links_in_deletion_record(sender, rows, history_instance, instance, field, **kwargs):
    links = getattr(instance, "_links_before_deletion", {}).get(field.name)
    if history_instance.history_type != "-" or rows or not links:
        return
    # By column (``unit_id``), not by object: the item the links name is gone by now.
    columns = [column.attname for column in field.remote_field.through._meta.concrete_fields]
    rows.extend(
        sender(history=history_instance, **{column: getattr(link, column) for column in columns})
        for link in links
    )
