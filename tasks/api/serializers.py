from django.utils import timezone
from rest_framework import serializers

from landtrack.api.fields import AreaField, DateField, ModelSerializer, RateField, RegionCodeField
from leadership.choices import RegionLevel
from leadership.models import Region, Unit

from ..models import CountyTask, RectificationItem


class MilestoneSerializer(serializers.Serializer):
    due = DateField()
    target_rate = RateField(max_digits=5)


class TaskSerializer(ModelSerializer):
    county = RegionCodeField(queryset=Region.objects.filter(level=RegionLevel.COUNTY))
    county_name = serializers.CharField(source="county.name", read_only=True)
    target_area_mu = AreaField()
    milestones = MilestoneSerializer(
        many=True,
        required=False,
        help_text="省略时新任务按 5月31日 25%、6月30日 50%、9月30日 85%、11月30日 100% 设置；给出时整体替换。",
    )

    class Meta:
        model = CountyTask
        fields = [
            "id",
            "county",
            "county_name",
            "year",
            "category",
            "name",
            "target_area_mu",
            "start_date",
            "end_date",
            "assigned_by",
            "document_number",
            "milestones",
        ]
        validators = []

    def to_representation(self, task):
        data = super().to_representation(task)
        data["milestones"] = MilestoneSerializer(
            sorted(task.milestones.all(), key=lambda milestone: milestone.due), many=True
        ).data
        return data


class RectificationItemSerializer(ModelSerializer):
    county = RegionCodeField(queryset=Region.objects.filter(level=RegionLevel.COUNTY))
    lead_unit = serializers.PrimaryKeyRelatedField(
        queryset=Unit.objects.all(), required=False, allow_null=True
    )
    responsible_units = serializers.PrimaryKeyRelatedField(
        queryset=Unit.objects.all(), many=True, required=False
    )
    overdue = serializers.SerializerMethodField(help_text="整改时间已过且未完成（按今天计）。")

    class Meta:
        model = RectificationItem
        fields = [
            "id",
            "county",
            "title",
            "description",
            "deadline",
            "status",
            "completed_date",
            "evidence",
            "lead_unit",
            "responsible_units",
            "overdue",
        ]
        validators = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            visible = Unit.objects.visible_to(request.user)
            self.fields["lead_unit"].queryset = visible
            self.fields["responsible_units"].child_relation.queryset = visible

    def get_overdue(self, item) -> bool:
        return item.is_overdue(self.context.get("as_of") or timezone.localdate())
