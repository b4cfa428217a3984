import django_filters
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.generics import get_object_or_404
from rest_framework.response import Response

from landtrack.api.errors import Conflict
from landtrack.api.fields import DateField
from landtrack.api.filters import DateFilter
from landtrack.api.schema import error_openapi
from landtrack.api.views import ETAG, ETAG_CREATED, IF_MATCH, ScopedViewSetMixin, VersionedViewSetMixin
from leadership.models import Unit

from .. import services
from ..choices import ParcelFlag, ParcelKind, ParcelStatus
from ..models import SEARCH_LOOKUPS, Disposal, Parcel
from ..rules import flag_filter, with_rule_facts
from ..selectors import parcel_history
from .pagination import ParcelPagination
from .serializers import DisposalSerializer, HistoryEntrySerializer, ParcelSerializer

# Ids are at most 18 digits; anything longer is not a route (404), not a database overflow.
ID_PATTERN = r"\d{1,18}"
AS_OF = OpenApiParameter(
    "as_of",
    OpenApiTypes.DATE,
    OpenApiParameter.QUERY,
    required=False,
    description="flags 与 idle_fee_wan 的判断日期（YYYY-MM-DD），默认今天（Asia/Shanghai）。",
)
PARCEL_PATH = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH, description="地块 id")
DISPOSAL_PATH = OpenApiParameter("did", OpenApiTypes.INT, OpenApiParameter.PATH, description="处置记录 id")


def units_in_scope(request):
    """The responsible units the caller may filter by: only those of their own scope."""
    if request is None:
        return Unit.objects.none()
    return Unit.objects.visible_to(request.user)


class ParcelFilter(django_filters.FilterSet):
    county = django_filters.CharFilter(field_name="county__code", label="县（市、区）代码")
    town = django_filters.CharFilter(field_name="town__code", label="乡镇（园区）代码")
    kind = django_filters.ChoiceFilter(choices=ParcelKind.choices)
    # Only the caller's units: an id from another county is refused like one that does not exist.
    responsible_unit = django_filters.ModelChoiceFilter(queryset=units_in_scope, label="责任单位 id")
    status = django_filters.ChoiceFilter(
        choices=ParcelStatus.choices, method="filter_status", label="处置状态"
    )
    flag = django_filters.ChoiceFilter(choices=ParcelFlag.choices, method="filter_flag", label="规则提示")
    as_of = DateFilter(method="judge_as_of", label="规则判断日期（默认今天）")

    class Meta:
        model = Parcel
        fields = ["county", "town", "kind", "status", "flag", "as_of", "responsible_unit", "planned_method"]

    def filter_status(self, queryset, name, value):
        return queryset.with_status(value)

    def judge_as_of(self, queryset, name, value):
        return queryset  # read by filter_flag and by the serializer; filters nothing by itself

    def filter_flag(self, queryset, name, value):
        as_of = self.form.cleaned_data.get("as_of") or timezone.localdate()
        if "disposed_as_of" not in queryset.query.annotations:
            queryset = with_rule_facts(queryset, as_of)
        return queryset.filter(flag_filter(value, as_of))


WRITE_PARCEL = "县自然资源局经办人员（本县）或系统管理员。"


@extend_schema_view(
    list=extend_schema(
        summary="地块列表",
        description="调用者数据范围内的地块（台账），可按县、乡镇、类型、处置状态、规则提示筛选，?search= 搜索编号、名称、文号、使用权人等。",
        parameters=[AS_OF],
    ),
    retrieve=extend_schema(
        summary="地块详情",
        description="带 ETag 响应头；修改或删除时以 If-Match 回传。范围外的地块答 404。",
        parameters=[AS_OF, ETAG],
        responses={200: ParcelSerializer, 400: error_openapi("400")},
    ),
    create=extend_schema(
        summary="新增地块",
        description="录入一宗批而未供或闲置土地。" + WRITE_PARCEL,
        parameters=[AS_OF, ETAG_CREATED],
    ),
    update=extend_schema(
        summary="修改地块（全部字段）",
        description="If-Match 与当前 ETag 不符时答 412，不作修改。" + WRITE_PARCEL,
        parameters=[IF_MATCH, AS_OF, ETAG],
    ),
    partial_update=extend_schema(
        summary="修改地块（部分字段）",
        description="If-Match 与当前 ETag 不符时答 412，不作修改。" + WRITE_PARCEL,
        parameters=[IF_MATCH, AS_OF, ETAG],
    ),
    destroy=extend_schema(
        summary="删除地块",
        description="已有处置记录的地块不能删除（409）；If-Match 与当前 ETag 不符时答 412。" + WRITE_PARCEL,
        parameters=[IF_MATCH],
    ),
)
class ParcelViewSet(VersionedViewSetMixin, ScopedViewSetMixin, viewsets.ModelViewSet):
    """Ledger lines (地块) of the caller's counties."""

    queryset = Parcel.objects.select_related("county", "town")
    serializer_class = ParcelSerializer
    write_label = "parcels.parcel"
    etag_prefix = "parcel"
    filterset_class = ParcelFilter
    pagination_class = ParcelPagination
    search_fields = SEARCH_LOOKUPS
    ordering_fields = ["id", "code", "area_mu", "disposed_area_mu", "updated_at"]
    ordering = ["county__code", "code"]
    lookup_value_regex = ID_PATTERN
    # 409 on create/update: two clerks saving the same code at the same moment (the database's
    # uniqueness holds where the model's check could not see the other).
    action_error_codes = {
        "create": ["409"],
        "update": ["409", "412"],
        "partial_update": ["409", "412"],
        "destroy": ["409", "412"],
    }
    plain_read_actions = ("history",)

    def rules_as_of(self):
        """?as_of= for the rule flags (default today); a bad date is a 400 naming the field."""
        if not hasattr(self, "_as_of"):
            # A deletion answers no parcel, and its documented parameters hold no date: not read there.
            raw = None if self.action == "destroy" else self.request.query_params.get("as_of")
            if raw in (None, ""):
                self._as_of = timezone.localdate()
            else:
                try:
                    self._as_of = DateField().to_internal_value(raw)
                except ValidationError as error:
                    raise ValidationError({"as_of": error.detail}) from error
        return self._as_of

    def get_queryset(self):
        return with_rule_facts(super().get_queryset(), self.rules_as_of())

    def filter_queryset(self, queryset):
        # A deletion takes the parcel its id names (in the caller's scope): the list's filters, ?as_of=
        # among them, are no parameters of it.
        if self.action == "destroy":
            return queryset
        return super().filter_queryset(queryset)

    def get_serializer_context(self):
        context = super().get_serializer_context()
        context["as_of"] = self.rules_as_of()
        return context

    def perform_create(self, serializer):
        self.check_region_writable(serializer.validated_data["county"])
        parcel = services.parcel_save(parcel=Parcel(**serializer.validated_data), user=self.request.user)
        serializer.instance = self.saved_object = self.get_queryset().get(pk=parcel.pk)

    def perform_update(self, serializer):
        parcel = serializer.instance
        county = serializer.validated_data.get("county")
        if county is not None and county.pk != parcel.county_id:
            self.check_region_writable(county)
        for name, value in serializer.validated_data.items():
            setattr(parcel, name, value)
        services.parcel_save(parcel=parcel, user=self.request.user, expected_version=self.if_match_version)
        serializer.instance = self.saved_object = self.get_queryset().get(pk=parcel.pk)

    def perform_destroy(self, parcel):
        try:
            services.parcel_delete(
                parcel=parcel, user=self.request.user, expected_version=self.if_match_version
            )
        except services.ParcelHasDisposals as refusal:
            raise Conflict(refusal.message) from refusal

    @extend_schema(
        summary="地块变更记录",
        description="地块及其处置记录的全部变更：何时、何人、改了什么（字段 → [原值, 新值]），最新的在前。不分页。",
        responses=HistoryEntrySerializer(many=True),
        filters=False,
    )
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def history(self, request, pk=None):
        """Who changed the parcel or its disposals, when, and what: newest first."""
        parcel = get_object_or_404(Parcel.objects.visible_to(request.user).only("pk"), pk=pk)
        return Response(HistoryEntrySerializer(parcel_history(parcel.pk), many=True).data)


@extend_schema_view(
    list=extend_schema(summary="地块的处置记录", description="按完成日期排列。", parameters=[PARCEL_PATH]),
    create=extend_schema(
        summary="录入处置记录",
        description="处置方式须适用于地块类型；面积须大于 0 且不超过剩余面积；完成日期不能晚于今天，"
        "也不能早于批准（供地）时间。" + WRITE_PARCEL,
        parameters=[PARCEL_PATH],
    ),
    retrieve=extend_schema(
        summary="处置记录详情", description="该地块的一条处置记录。", parameters=[PARCEL_PATH, DISPOSAL_PATH]
    ),
    destroy=extend_schema(
        summary="删除处置记录",
        description="面积退回地块。" + WRITE_PARCEL,
        parameters=[PARCEL_PATH, DISPOSAL_PATH],
    ),
)
class ParcelDisposalViewSet(
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Disposals (处置记录) of one parcel: ``/parcels/{id}/disposals/{did}/``."""

    serializer_class = DisposalSerializer
    write_label = "parcels.disposal"
    lookup_url_kwarg = "did"
    lookup_value_regex = ID_PATTERN
    filter_backends = []
    ordering = ["date", "id"]

    def get_parcel(self):
        if not hasattr(self, "_parcel"):
            queryset = Parcel.objects.visible_to(self.request.user).select_related("county")
            self._parcel = get_object_or_404(queryset, pk=self.kwargs["id"])
        return self._parcel

    def get_queryset(self):
        parcel = self.get_parcel()
        return Disposal.objects.filter(parcel=parcel).select_related("created_by").order_by("date", "id")

    def check_permissions(self, request):
        super().check_permissions(request)
        if getattr(self, "swagger_fake_view", False):
            return
        parcel = self.get_parcel()
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            self.check_region_writable(parcel.county)

    def perform_create(self, serializer):
        serializer.instance = services.disposal_record(
            parcel=self.get_parcel(), user=self.request.user, **serializer.validated_data
        )

    def perform_destroy(self, instance):
        services.disposal_delete(disposal=instance, user=self.request.user)
