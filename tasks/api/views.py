import django_filters
from django.db.models import Prefetch
from django.utils import timezone
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import viewsets

from landtrack.api.filters import BooleanFilter, IntegerFilter
from landtrack.api.views import ETAG, ETAG_CREATED, IF_MATCH, ScopedViewSetMixin, VersionedViewSetMixin
from parcels.api.views import ID_PATTERN

from .. import services
from ..choices import RectificationStatus, TaskCategory
from ..models import CountyTask, Milestone, RectificationItem
from .serializers import RectificationItemSerializer, TaskSerializer


class TaskFilter(django_filters.FilterSet):
    county = django_filters.CharFilter(field_name="county__code", label="县（市、区）代码")
    year = IntegerFilter(label="任务年度")
    category = django_filters.ChoiceFilter(choices=TaskCategory.choices)

    class Meta:
        model = CountyTask
        fields = ["county", "year", "category"]


WRITE_TASK = "市规划和自然资源局（本市各县）或系统管理员。"
WRITE_ITEM = "县领导小组办公室（本县）或系统管理员。"
STALE = "If-Match 与当前 ETag 不符时答 412，不作修改。"


@extend_schema_view(
    list=extend_schema(
        summary="县级任务列表", description="调用者数据范围内各县的年度消化任务及其时间节点。"
    ),
    retrieve=extend_schema(
        summary="县级任务详情", description="带 ETag 响应头；修改时以 If-Match 回传。", parameters=[ETAG]
    ),
    create=extend_schema(
        summary="下达县级任务",
        description="省略 milestones 时按当年 5月31日 25%、6月30日 50%、9月30日 85%、11月30日 100% 设置；"
        "节点目标须随日期递增且最后一个为 100%；任务面积须大于 0。" + WRITE_TASK,
        parameters=[ETAG_CREATED],
    ),
    partial_update=extend_schema(
        summary="修改县级任务",
        description="给出 milestones 时整体替换。" + STALE + WRITE_TASK,
        parameters=[IF_MATCH, ETAG],
    ),
    destroy=extend_schema(summary="撤销县级任务", description=STALE + WRITE_TASK, parameters=[IF_MATCH]),
)
class TaskViewSet(VersionedViewSetMixin, ScopedViewSetMixin, viewsets.ModelViewSet):
    """County tasks (县级任务) with their milestones; the city bureau assigns them."""

    queryset = CountyTask.objects.select_related("county").prefetch_related(
        Prefetch("milestones", queryset=Milestone.objects.order_by("due"))
    )
    serializer_class = TaskSerializer
    write_label = "tasks.countytask"
    etag_prefix = "task"
    # 409: the same county, year and category saved twice at the same moment (database uniqueness).
    action_error_codes = {"create": ["409"], "partial_update": ["409", "412"], "destroy": ["412"]}
    filterset_class = TaskFilter
    search_fields = ["name", "document_number", "county__name"]
    ordering_fields = ["year", "target_area_mu", "id"]
    ordering = ["-year", "county__code", "category"]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    lookup_value_regex = ID_PATTERN

    @staticmethod
    def milestone_pairs(data):
        milestones = data.pop("milestones", None)
        if milestones is None:
            return None
        return [(item["due"], item["target_rate"]) for item in milestones]

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        self.check_region_writable(data["county"])
        milestones = self.milestone_pairs(data)
        serializer.instance = self.saved_object = services.task_save(
            task=CountyTask(**data), milestones=milestones, user=self.request.user
        )

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        task = serializer.instance
        if "county" in data and data["county"].pk != task.county_id:
            self.check_region_writable(data["county"])
        milestones = self.milestone_pairs(data)
        for name, value in data.items():
            setattr(task, name, value)
        services.task_save(
            task=task, milestones=milestones, user=self.request.user, expected_version=self.if_match_version
        )
        # Re-read the milestones the service wrote, not the prefetched ones.
        serializer.instance = self.saved_object = self.get_queryset().get(pk=task.pk)

    def perform_destroy(self, task):
        services.task_delete(task=task, user=self.request.user, expected_version=self.if_match_version)


class RectificationFilter(django_filters.FilterSet):
    county = django_filters.CharFilter(field_name="county__code", label="县（市、区）代码")
    status = django_filters.ChoiceFilter(choices=RectificationStatus.choices)
    overdue = BooleanFilter(method="filter_overdue", label="是否逾期（按今天计）")

    class Meta:
        model = RectificationItem
        fields = ["county", "status", "overdue"]

    def filter_overdue(self, queryset, name, value):
        overdue = queryset.overdue(timezone.localdate())
        if value:
            return overdue
        return queryset.exclude(pk__in=overdue.values("pk"))


@extend_schema_view(
    list=extend_schema(summary="整改事项列表", description="?overdue=true 只列已逾期未完成的事项。"),
    retrieve=extend_schema(
        summary="整改事项详情", description="带 ETag 响应头；修改时以 If-Match 回传。", parameters=[ETAG]
    ),
    create=extend_schema(summary="新增整改事项", description=WRITE_ITEM, parameters=[ETAG_CREATED]),
    partial_update=extend_schema(
        summary="修改整改事项",
        description="状态按 未开始 → 推进中 → 已完成 → 已销号 推进；销号须注明佐证材料。"
        + STALE
        + WRITE_ITEM,
        parameters=[IF_MATCH, ETAG],
    ),
)
class RectificationItemViewSet(VersionedViewSetMixin, ScopedViewSetMixin, viewsets.ModelViewSet):
    """Rectification items (整改事项); the county office keeps them."""

    queryset = RectificationItem.objects.select_related("county").prefetch_related("responsible_units")
    serializer_class = RectificationItemSerializer
    write_label = "tasks.rectificationitem"
    etag_prefix = "rectification"
    action_error_codes = {"partial_update": ["412"]}
    filterset_class = RectificationFilter
    search_fields = ["title", "description"]
    ordering_fields = ["deadline", "id", "status"]
    ordering = ["county__code", "order", "deadline", "id"]
    http_method_names = ["get", "post", "patch", "head", "options"]
    lookup_value_regex = ID_PATTERN

    def _save(self, item, data, expected_version=None):
        units = data.pop("responsible_units", None)
        for name, value in data.items():
            setattr(item, name, value)
        return services.rectification_save(
            item=item, user=self.request.user, responsible_units=units, expected_version=expected_version
        )

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        self.check_region_writable(data["county"])
        serializer.instance = self.saved_object = self._save(RectificationItem(), data)

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        if "county" in data and data["county"].pk != serializer.instance.county_id:
            self.check_region_writable(data["county"])
        self._save(serializer.instance, data, expected_version=self.if_match_version)
        serializer.instance = self.saved_object = self.get_queryset().get(pk=serializer.instance.pk)
