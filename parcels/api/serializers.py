from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from landtrack.api.fields import AreaField, ExactDecimalField, ModelSerializer, RegionCodeField
from leadership.choices import RegionLevel
from leadership.models import Region, Unit

from ..choices import ParcelFlag, ParcelStatus
from ..models import Disposal, Parcel
from ..rules import idle_fee, parcel_flags, with_rule_facts
from ..selectors import HISTORY_ACTIONS


class ParcelSerializer(ModelSerializer):
    county = RegionCodeField(queryset=Region.objects.filter(level=RegionLevel.COUNTY))
    county_name = serializers.CharField(source="county.name", read_only=True)
    town = RegionCodeField(
        queryset=Region.objects.filter(level__in=[RegionLevel.TOWN, RegionLevel.ZONE]),
        required=False,
        allow_null=True,
    )
    area_mu = AreaField()
    price_wan = ExactDecimalField(max_digits=14, decimal_places=4, required=False, allow_null=True)
    center_lng = ExactDecimalField(max_digits=9, decimal_places=6, required=False, allow_null=True)
    center_lat = ExactDecimalField(max_digits=8, decimal_places=6, required=False, allow_null=True)
    responsible_unit = serializers.PrimaryKeyRelatedField(
        queryset=Unit.objects.all(), required=False, allow_null=True
    )
    disposed_area_mu = AreaField(read_only=True)
    remaining_area_mu = AreaField(read_only=True)
    status = serializers.ChoiceField(choices=ParcelStatus.choices, read_only=True)
    flags = serializers.SerializerMethodField(help_text="按 as_of（默认今天）判断的规则提示。")
    idle_fee_wan = serializers.SerializerMethodField(
        help_text="应征缴的土地闲置费（万元）：idle_fee_due 时为价款的 20%，否则为 null。"
    )

    class Meta:
        model = Parcel
        fields = [
            "id",
            "county",
            "county_name",
            "town",
            "kind",
            "code",
            "name",
            "location",
            "area_mu",
            "land_use",
            "responsible_unit",
            "planned_method",
            "planned_date",
            "center_lng",
            "center_lat",
            "note",
            "approval_number",
            "approval_date",
            "approving_authority",
            "batch_name",
            "expropriation_status",
            "current_use",
            "unsupplied_reason",
            "supervision_number",
            "contract_number",
            "land_user",
            "supply_method",
            "supply_date",
            "price_wan",
            "agreed_start_date",
            "idle_cause",
            "government_cause",
            "not_started_reason",
            "disposed_area_mu",
            "remaining_area_mu",
            "status",
            "flags",
            "idle_fee_wan",
        ]
        # Uniqueness and every cross-field rule live in the model, which the service runs.
        validators = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None and "responsible_unit" in self.fields:
            self.fields["responsible_unit"].queryset = Unit.objects.visible_to(request.user)

    def _flags(self, parcel):
        as_of = self.context.get("as_of") or timezone.localdate()
        cache = getattr(parcel, "_flags_cache", None)
        if cache is None or cache[0] != as_of:
            if not hasattr(parcel, "disposed_as_of"):
                # A parcel just written: read its facts once (lists come annotated, without extra queries).
                facts = with_rule_facts(Parcel.objects.filter(pk=parcel.pk), as_of).values(
                    "disposed_as_of", "started_as_of"
                )[0]
                parcel.disposed_as_of, parcel.started_as_of = facts["disposed_as_of"], facts["started_as_of"]
            cache = (as_of, parcel_flags(parcel, as_of))
            parcel._flags_cache = cache
        return cache[1]

    @extend_schema_field(serializers.ListField(child=serializers.ChoiceField(choices=ParcelFlag.choices)))
    def get_flags(self, parcel):
        return [flag.code for flag in self._flags(parcel)]

    @extend_schema_field(serializers.DecimalField(max_digits=14, decimal_places=4, allow_null=True))
    def get_idle_fee_wan(self, parcel):
        if any(flag.code == ParcelFlag.IDLE_FEE_DUE for flag in self._flags(parcel)):
            fee = idle_fee(parcel)
            return None if fee is None else f"{fee:.4f}"
        return None


class DisposalSerializer(ModelSerializer):
    area_mu = AreaField()
    created_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True, help_text="录入人的用户名；不详时为 null"
    )

    class Meta:
        model = Disposal
        fields = ["id", "method", "area_mu", "date", "document_number", "note", "created_by", "created_at"]
        read_only_fields = ["created_at"]


class HistoryEntrySerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    user = serializers.CharField(allow_null=True)
    action = serializers.ChoiceField(choices=HISTORY_ACTIONS)
    changes = serializers.DictField(
        child=serializers.ListField(child=serializers.JSONField(allow_null=True), min_length=2, max_length=2),
        help_text="字段名 → [原值, 新值]；新建时原值为 null，删除时新值为 null。",
    )
