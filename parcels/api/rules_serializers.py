from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from landtrack.api.fields import AreaField, DateField, ExactDecimalField, RegionCodeField, StrictCharField
from landtrack.api.schema import EXCEL_ERRORS
from landtrack.numbers import MU_PER_HECTARE
from leadership.models import Region

from ..choices import GovernmentCause, IdleCause, SupplyMethod
from ..models import SupplyRecord
from ..rules import SUSPECTED_IDLE, supply_record_flags
from .ledger_views import county_code_field


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

    @extend_schema_field(serializers.ListField(child=serializers.ChoiceField(choices=[(SUSPECTED_IDLE, "疑似闲置")])))
    def get_flags(self, record):
        as_of = self.context.get("as_of") or timezone.localdate()
        return [flag.code for flag in supply_record_flags(record, as_of)]


class ToParcelSerializer(serializers.Serializer):
    """What the supply record does not say; everything else is taken from the record."""

    code = StrictCharField(required=False, max_length=50, help_text="地块编号；默认为电子监管号")
    town = RegionCodeField(
        required=False, allow_null=True, queryset=Region.objects.filter(level__in=["town", "zone"])
    )
    idle_cause = serializers.ChoiceField(choices=IdleCause.choices)
    government_cause = serializers.ChoiceField(
        choices=GovernmentCause.choices, required=False, allow_blank=True
    )
    not_started_reason = StrictCharField(required=False, allow_blank=True, max_length=2000)
    agreed_start_date = DateField(required=False, help_text="记录未约定开工时间时必填")
    supply_date = DateField(required=False, help_text="供地时间；默认为记录的合同签订日期")
    land_user = StrictCharField(required=False, max_length=200, help_text="默认为记录的土地使用权人")
    supply_method = serializers.ChoiceField(
        choices=SupplyMethod.choices, required=False, help_text="默认为记录的供地方式"
    )
    area_mu = AreaField(required=False, help_text="闲置面积；默认为记录面积（公顷 × 15）")


class SupplyImportSerializer(serializers.Serializer):
    file = serializers.FileField(
        allow_empty_file=True,
        help_text="监管系统导出的供地结果 .xlsx：电子监管号、项目名称、土地使用权人、供地方式、面积（公顷）、土地用途、"
        "成交价格（万元）、合同签订日期、约定交地时间、约定开工时间、约定竣工时间、实际开工时间、实际竣工时间。",
    )
    county = county_code_field(help_text="县（市、区）代码（6 位数字）；县级用户可省略（本县）。")
    dry_run = serializers.BooleanField(required=False, default=False, help_text="true：只检查，不写入。")


class SupplyImportResultSerializer(serializers.Serializer):
    dry_run = serializers.BooleanField()
    created = serializers.IntegerField(help_text="新增记录数")
    updated = serializers.IntegerField(help_text="有变化的记录数")
    unchanged = serializers.IntegerField(help_text="没有变化的记录数")


# A 400 of the supply-record import: the file's or its rows' errors, or a parameter's ({"file": ["…"]}).
SUPPLY_IMPORT_ERRORS = {
    "type": "object",
    "description": "文件或其中各行的错误（errors，有任何错误时不写入任何数据），或参数错误（字段名 → 中文说明）。",
    "properties": {"errors": EXCEL_ERRORS},
    "additionalProperties": {"type": "array", "items": {"type": "string"}},
}
