from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from landtrack.api.fields import DateField

from ..choices import ReminderKind
from ..reminders import reminders_for


class ReminderSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=ReminderKind.choices)
    due = serializers.DateField()
    days_left = serializers.IntegerField(help_text="距到期的天数；已逾期为负数")
    county = serializers.CharField(help_text="县（市、区）代码")
    title = serializers.CharField()
    url = serializers.CharField(help_text="处理该事项的页面")


class ReminderQuery(serializers.Serializer):
    as_of = DateField(required=False)


class ReminderView(APIView):
    """What needs the caller's attention in their scope: due within 14 days, or overdue; soonest first."""

    @extend_schema(
        operation_id="reminders_list",
        summary="提醒事项",
        description="调用者数据范围内已逾期和 14 天内到期的事项（进度节点、整改事项、地块），按到期日期排列，"
        "最早的在前；days_left 为距到期的天数，已逾期为负数。不分页。",
        parameters=[OpenApiParameter("as_of", OpenApiTypes.DATE, description="默认今天（北京时间）")],
        responses=ReminderSerializer(many=True),
    )
    def get(self, request):
        query = ReminderQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        as_of = query.validated_data.get("as_of") or timezone.localdate()
        # Each reminder as ReminderSerializer describes it (tests/rules/test_reminders.py holds them equal).
        return Response([item.as_json() for item in reminders_for(request.user, as_of)])
