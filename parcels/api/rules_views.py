"""Supply records from the national monitoring system, and the idle-land ledger line opened from one."""

import django_filters
from django.db import transaction
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from landtrack.api.errors import Conflict
from landtrack.api.filters import BooleanFilter, DateFilter
from landtrack.api.parsers import JSONParser
from landtrack.api.schema import error_openapi
from leadership.scope import can_write

from .. import services
from ..ledger import upload_too_large
from ..models import Parcel, SupplyRecord
from ..rules import SUSPECTED_IDLE, suspected_idle_filter
from ..supply_records import supply_records_import
from .ledger_views import resolve_county
from .rules_serializers import (
    SUPPLY_IMPORT_ERRORS,
    SupplyImportResultSerializer,
    SupplyImportSerializer,
    SupplyRecordSerializer,
    ToParcelSerializer,
)
from .serializers import ParcelSerializer
from .views import ID_PATTERN

AS_OF = OpenApiParameter("as_of", OpenApiTypes.DATE, description="判断疑似闲置的日期；默认今天（北京时间）")


class SupplyRecordFilter(django_filters.FilterSet):
    county = django_filters.CharFilter(field_name="county__code", label="县（市、区）代码")
    flag = django_filters.ChoiceFilter(
        choices=[(SUSPECTED_IDLE, "疑似闲置")], method="filter_flag", label="规则提示"
    )
    as_of = DateFilter(method="judge_as_of", label="判断日期（默认今天）")
    linked = BooleanFilter(field_name="parcel", lookup_expr="isnull", exclude=True, label="已生成台账")

    class Meta:
        model = SupplyRecord
        fields = ["county", "flag", "as_of", "supply_method"]

    def judge_as_of(self, queryset, name, value):
        return queryset

    def filter_flag(self, queryset, name, value):
        return queryset.filter(
            suspected_idle_filter(self.form.cleaned_data.get("as_of") or timezone.localdate())
        )


class SupplyRecordViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Supply results imported from the monitoring system (土地市场动态监测与监管系统)."""

    queryset = SupplyRecord.objects.select_related("county")
    serializer_class = SupplyRecordSerializer
    parser_classes = [JSONParser]
    write_label = "parcels.parcel"
    filterset_class = SupplyRecordFilter
    search_fields = ["supervision_number", "project_name", "land_user"]
    ordering_fields = ["supervision_number", "contract_date", "agreed_start_date"]
    ordering = ["county__code", "supervision_number"]
    lookup_value_regex = ID_PATTERN
    action_error_codes = {"retrieve": ["400"], "to_parcel": ["409"], "import_records": ["404", "409"]}

    def get_queryset(self):
        return super().get_queryset().visible_to(self.request.user)

    def get_serializer_context(self):
        context = super().get_serializer_context()
        raw = self.request.query_params.get("as_of")
        if raw:
            form_filter = SupplyRecordFilter(self.request.query_params, queryset=SupplyRecord.objects.none())
            if form_filter.is_valid():
                context["as_of"] = form_filter.form.cleaned_data.get("as_of")
        return context

    @extend_schema(
        summary="供地记录列表",
        description="从土地市场动态监测与监管系统导入的供地结果（调用者数据范围内）；?flag=suspected_idle "
        "只列按 as_of 判断疑似闲置的记录，?linked= 按是否已生成闲置土地台账筛选。",
        parameters=[AS_OF],
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(
        summary="供地记录详情",
        description="flags 按 as_of（默认今天）判断。范围外的记录答 404。",
        parameters=[AS_OF],
    )
    def retrieve(self, request, *args, **kwargs):
        return super().retrieve(request, *args, **kwargs)

    @extend_schema(
        summary="由供地记录生成闲置土地台账",
        description="以该记录的电子监管号、项目名称、面积（公顷 × 15）、土地使用权人、供地方式、合同签订时间、"
        "约定开工时间等新增一宗闲置土地；请求中给出的字段优先，闲置原因必填。一条记录只能生成一次（已生成时答 "
        "409）。县自然资源局经办人员（本县）或系统管理员。",
        request=ToParcelSerializer,
        responses={201: ParcelSerializer},
    )
    @action(detail=True, methods=["post"], url_path="to-parcel")
    def to_parcel(self, request, pk=None):
        """Open the idle-land ledger line for this record, pre-filled from it."""
        record = self.get_object()
        given = ToParcelSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        data = given.validated_data
        with transaction.atomic():
            try:
                record = services.supply_record_lock_for_ledger(pk=record.pk)
            except services.SupplyRecordNotFound as gone:  # deleted since get_object read it
                raise NotFound from gone
            except services.SupplyRecordRefused as refusal:
                raise Conflict(refusal.message) from refusal
            fields = services.supply_record_ledger_fields(record)  # the admin's "生成台账" fills the same
            for name in ("code", "land_user", "supply_method", "supply_date", "agreed_start_date"):
                fields[name] = data.get(name) or fields[name]
            if "area_mu" in data:
                # A given area is kept as given, 0 too (refused by the parcel's rules), never replaced.
                fields["area_mu"] = data["area_mu"]
            parcel = Parcel(
                **fields,
                town=data.get("town"),
                idle_cause=data["idle_cause"],
                government_cause=data.get("government_cause", ""),
                not_started_reason=data.get("not_started_reason", ""),
            )
            services.parcel_save(parcel=parcel, user=request.user)
            services.supply_record_link(record=record, parcel=parcel, user=request.user)
        return Response(
            ParcelSerializer(parcel, context=self.get_serializer_context()).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(
        operation_id="supply_records_import",
        summary="导入供地记录",
        request={"multipart/form-data": SupplyImportSerializer},
        responses={
            200: SupplyImportResultSerializer,
            400: OpenApiResponse(
                SUPPLY_IMPORT_ERRORS,
                description="文件不能读取或有错误的行（逐行、逐列列出全部错误），未写入任何数据；"
                '参数错误时为 {"字段": ["中文说明"]}。',
                examples=[
                    OpenApiExample(
                        "错误的行",
                        value={
                            "errors": [
                                {"row": 3, "column": "面积（公顷）", "message": "“一点二”不是数字。"},
                                {"row": 5, "column": "约定开工时间", "message": "日期“2021-02-30”不存在。"},
                            ]
                        },
                    )
                ],
            ),
            403: error_openapi("403"),
            404: error_openapi("404"),
            409: error_openapi("409"),
        },
        description="导入土地市场动态监测与监管系统导出的供地结果（.xlsx），按电子监管号新增或更新；"
        "有任何错误时整份文件都不导入。县级经办人员只能导入本县。",
    )
    @action(
        detail=False,
        methods=["post"],
        url_path="import",
        parser_classes=[MultiPartParser, FormParser],
        serializer_class=SupplyImportSerializer,
    )
    def import_records(self, request):
        """Import the monitoring system's supply-result export for a county: every row or none."""
        refusal = upload_too_large(request)
        if refusal:
            return Response(
                {"errors": [{"row": None, "column": None, "message": refusal}]},
                status=status.HTTP_400_BAD_REQUEST,
            )
        given = SupplyImportSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        data = given.validated_data
        county = resolve_county(request, data.get("county"), field=True)
        if not can_write(request.user, self.write_label, county):
            raise PermissionDenied(f"您不能导入{county.name}的供地记录。")
        result = supply_records_import(
            source=data["file"], county=county, user=request.user, dry_run=data["dry_run"]
        )
        if result.conflict:
            return Response({"detail": result.errors[0]["message"]}, status=status.HTTP_409_CONFLICT)
        if not result.ok:
            return Response({"errors": result.errors}, status=status.HTTP_400_BAD_REQUEST)
        return Response(result.summary())
