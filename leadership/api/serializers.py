from rest_framework import serializers

from landtrack.api.fields import ModelSerializer, RegionCodeField

from ..models import GroupMember, LeadershipGroup, Region, Unit


class RegionSerializer(ModelSerializer):
    parent = RegionCodeField(read_only=True, allow_null=True, help_text="上级区划代码；最上一级为 null")

    class Meta:
        model = Region
        fields = ["code", "name", "level", "parent"]


class UnitSerializer(ModelSerializer):
    region = RegionCodeField(read_only=True)
    region_name = serializers.CharField(source="region.name", read_only=True)

    class Meta:
        model = Unit
        fields = ["id", "region", "region_name", "name", "kind", "duties"]


class GroupMemberSerializer(ModelSerializer):
    unit_name = serializers.CharField(source="unit.name", read_only=True, default=None, allow_null=True)

    class Meta:
        model = GroupMember
        fields = ["order", "role", "name", "title", "unit", "unit_name"]


class LeadershipGroupSerializer(ModelSerializer):
    region = RegionCodeField(read_only=True)
    region_name = serializers.CharField(source="region.name", read_only=True)
    office_unit_name = serializers.CharField(
        source="office_unit.name", read_only=True, default=None, allow_null=True
    )
    members = GroupMemberSerializer(many=True, read_only=True)

    class Meta:
        model = LeadershipGroup
        fields = [
            "id",
            "region",
            "region_name",
            "name",
            "document_number",
            "document_date",
            "office_unit",
            "office_unit_name",
            "office_director",
            "office_duties",
            "members",
        ]


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=128, trim_whitespace=False, style={"input_type": "password"})


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField()
