from django.apps import AppConfig


class ParcelsConfig(AppConfig):
    """The ledger (台账): parcels of 批而未供 and 闲置 land, their disposals and progress notes."""

    name = "parcels"
    verbose_name = "地块台账"

    def ready(self):
        from . import rollup, signals  # noqa: F401
