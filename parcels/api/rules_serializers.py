from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from landtrack.api.fields import AreaField, ExactDecimalField, RegionCodeField
from landtrack.numbers import MU_PER_HECTARE
from leadership.models import Region

from ..choices import GovernmentCause, IdleCause
from ..models import SupplyRecord
from ..rules import SUSPECTED_IDLE, supply_record_flags


class SupplyRecordSerializer(serializers.ModelSerializer):
    county = RegionCodeField(read_only=True)
    area_ha = ExactDecimalField(max_digits=14, decimal_places=4, read_only=True)
    area_mu = serializers.SerializerMethodField(help_text="面积（亩）= 公顷 × 15")
    price_wan = ExactDecimalField(max_digits=14, decimal_places=4, read_only=True, allow_null=True)
    flags = serializers.SerializerMethodField(help_text="按 as_of（默认今天）判断：suspected_idle 疑似闲置。")

    class Meta:
        model = SupplyRecord
        fields = [
            "id",
            "county",
            "supervision_number",
            "project_name",
            "land_user",
            "supply_method",
            "area_ha",
            "area_mu",
            "land_use",
            "price_wan",
            "contract_date",
            "agreed_delivery_date",
            "agreed_start_date",
            "agreed_completion_date",
            "actual_start_date",
            "actual_completion_date",
            "parcel",
            "flags",
        ]
        read_only_fields = fields

    @extend_schema_field(AreaField())
    def get_area_mu(self, record):
        return AreaField().to_representation(record.area_ha * MU_PER_HECTARE)

    @extend_schema_field(serializers.ListField(child=serializers.ChoiceField(choices=[SUSPECTED_IDLE])))
    def get_flags(self, record):
        as_of = self.context.get("as_of") or timezone.localdate()
        return [flag.code for flag in supply_record_flags(record, as_of)]


class ToParcelSerializer(serializers.Serializer):
    """What the supply record does not say; everything else is taken from the record."""

    code = serializers.CharField(required=False, max_length=50, help_text="地块编号；默认为电子监管号")
    town = RegionCodeField(
        required=False, allow_null=True, queryset=Region.objects.filter(level__in=["town", "zone"])
    )
    idle_cause = serializers.ChoiceField(choices=IdleCause.choices)
    government_cause = serializers.ChoiceField(
        choices=GovernmentCause.choices, required=False, allow_blank=True
    )
    not_started_reason = serializers.CharField(required=False, allow_blank=True, max_length=2000)
    agreed_start_date = serializers.DateField(required=False, help_text="记录未约定开工时间时必填")
    area_mu = AreaField(required=False, help_text="闲置面积；默认为记录面积（公顷 × 15）")
