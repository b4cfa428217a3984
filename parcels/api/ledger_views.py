"""The Excel ledger over the API: import (with dry run), export with the list's filters, and the template.

Every rule of the ledger lives in :mod:`parcels.ledger`; these views only resolve the county, check who
may do what, and translate the ledger's answer into the contract's JSON (API.md).
"""

from functools import partial

from django.conf import settings
from django.utils import timezone
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.filters import SearchFilter
from rest_framework.generics import GenericAPIView
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from landtrack.api.fields import COUNTY_CODE, CountyCodeParameter
from landtrack.api.permissions import SignedInPermission
from landtrack.api.schema import EXCEL_ERRORS, error_openapi
from landtrack.api.views import AnyAcceptMixin, ScopedViewSetMixin
from leadership.choices import RegionLevel
from leadership.models import Region
from leadership.scope import can_write, home_county, region_in_scope

from .. import ledger
from ..choices import ParcelKind
from ..models import Parcel
from .views import ParcelFilter, ParcelViewSet

XLSX = ledger.XLSX_CONTENT_TYPE


def resolve_county(request, code, *, required=True, field=False):
    """The county a request names by code: 400 if the code is malformed, 404 if no such county is in
    the caller's scope (absent or another's: the same answer, API.md). A county named in a request
    body (``field``) that does not exist at all is a 400 on that field, as any bad reference is.

    Without a code, a county role means its own county; anyone else must name one (or gets None
    when ``required`` is false).
    """
    user = request.user
    code = (code or "").strip()
    if not code:
        county = home_county(user)
        if county is not None:
            return county
        if required:
            raise ValidationError({"county": ["请填写县（市、区）代码。"]})
        return None
    if not COUNTY_CODE.fullmatch(code):
        raise ValidationError({"county": ["县（市、区）代码应为 6 位数字，如 141026。"]})
    county = Region.objects.filter(code=code, level=RegionLevel.COUNTY).first()
    if county is None and field:
        raise ValidationError({"county": [f"没有代码为“{code}”的县（市、区）。"]})
    if county is None or not region_in_scope(user, county):
        raise NotFound(f"未找到代码为“{code}”的县（市、区）。")
    return county


def county_code_field(**kwargs):
    """The optional county code parameter that :func:`resolve_county` then resolves."""
    return CountyCodeParameter(required=False, allow_blank=True, **kwargs)


class LedgerImportSerializer(serializers.Serializer):
    file = serializers.FileField(
        allow_empty_file=True,
        help_text=f"台账 .xlsx 文件（不超过 {ledger.MAX_FILE_LABEL}、{ledger.MAX_ROWS} 行），表头见 DOMAIN.md §5。",
    )
    kind = serializers.ChoiceField(
        choices=ParcelKind.choices,
        required=False,
        allow_blank=True,
        help_text="台账类型；省略时按文件的表头识别。",
    )
    county = county_code_field(help_text="县（市、区）代码（6 位数字）；县级用户可省略（本县）。")
    dry_run = serializers.BooleanField(
        required=False, default=False, help_text="true：只检查、预览，不写入。"
    )


class ChangeSerializer(serializers.Serializer):
    row = serializers.IntegerField(help_text="Excel 行号")
    code = serializers.CharField(help_text="地块编号")
    action = serializers.ChoiceField(choices=[("created", "新增"), ("updated", "更新")])
    changes = serializers.DictField(
        child=serializers.ListField(
            child=serializers.CharField(allow_blank=True), min_length=2, max_length=2
        ),
        help_text="列标题 → [原值, 新值]（新增的地块为空）",
    )


class LedgerImportResultSerializer(serializers.Serializer):
    dry_run = serializers.BooleanField()
    kind = serializers.ChoiceField(choices=ParcelKind.choices, help_text="导入的台账类型")
    created = serializers.IntegerField(help_text="新增地块数")
    updated = serializers.IntegerField(help_text="有变化的地块数")
    unchanged = serializers.IntegerField(help_text="没有变化的地块数")
    changes = ChangeSerializer(many=True, help_text="新增和有变化的每一行")


# A 400 of the import: the file's or its rows' errors, or a parameter's (``{"kind": ["…"]}``).
IMPORT_ERRORS = {
    "type": "object",
    "description": "文件或台账行的错误（errors，文件整体不能读取时另有 file），或参数错误（字段名 → 中文说明）。",
    "properties": {
        "errors": EXCEL_ERRORS,
        "file": {
            "type": "array",
            "items": {"type": "string"},
            "description": "文件整体不能读取时（非 .xlsx、过大、空文件、缺表头）的说明",
        },
    },
    "additionalProperties": {"type": "array", "items": {"type": "string"}},
}


IMPORT_ERRORS_EXAMPLE = {
    "errors": [
        {
            "row": 5,
            "column": "批准时间*",
            "message": "无法识别的日期“2021-13-45”；请填写如 2021-03-05、2021/3/5 或 2021年3月5日 的日期。",
        },
        {"row": 7, "column": "未供原因*", "message": "“没人要”不是可选的未供原因；可填：规划调整、…、其他。"},
    ]
}


class LedgerImportView(APIView):
    """Import a county's Excel ledger: every row or none, with a dry run that only checks and previews."""

    parser_classes = [MultiPartParser, FormParser]
    write_label = "parcels.parcel"
    error_codes = {"400", "401", "403", "404", "409"}

    @extend_schema(
        operation_id="parcels_import",
        summary="导入台账（Excel）",
        request={"multipart/form-data": LedgerImportSerializer},
        responses={
            200: LedgerImportResultSerializer,
            400: OpenApiResponse(
                IMPORT_ERRORS,
                description="文件不能读取，或有错误的行（逐行、逐列列出全部错误），未写入任何数据；"
                '参数错误时为 {"字段": ["中文说明"]}。',
                examples=[OpenApiExample("错误的行", value=IMPORT_ERRORS_EXAMPLE)],
            ),
            403: error_openapi("403"),
            404: error_openapi("404"),
            409: error_openapi("409"),
        },
        description=(
            "按“县（市、区）+ 地块编号”新增或更新地块；再次导入同一文件不作任何修改（计入 unchanged）。"
            f"文件不超过 {ledger.MAX_FILE_LABEL}。县级经办人员只能导入本县台账；某行的县（市、区）代码不是所选县时，该行报错。"
        ),
    )
    def post(self, request):
        refusal = ledger.upload_too_large(request)
        if refusal:
            body = {"errors": [{"row": None, "column": None, "message": refusal}], "file": [refusal]}
            return Response(body, status=status.HTTP_400_BAD_REQUEST)
        query = LedgerImportSerializer(data=request.data)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        county = resolve_county(request, params.get("county"), field=True)
        if not can_write(request.user, self.write_label, county):
            raise PermissionDenied(f"您不能导入{county.name}的台账。")
        result = ledger.ledger_import(
            source=params["file"],
            kind=params.get("kind") or None,
            county=county,
            user=request.user,
            dry_run=params["dry_run"],
            reason=f"Excel 台账导入（{params['file'].name[:80]}）",
        )
        if result.conflict:
            return Response({"detail": result.errors[0].message}, status=status.HTTP_409_CONFLICT)
        if not result.ok:
            body = {"errors": [error.as_dict() for error in result.errors]}
            if result.file_refused:
                body["file"] = [error.message for error in result.errors]
            return Response(body, status=status.HTTP_400_BAD_REQUEST)
        summary = result.summary()
        summary["kind"] = result.kind
        return Response(summary)


def _download_name(prefix, county=None, kind=None):
    parts = [prefix]
    if county is not None:
        parts.append(county.name)
    if kind:
        parts.append(str(ParcelKind(kind).label))
    parts.append(f"{timezone.localdate():%Y%m%d}")
    return "-".join(parts) + ".xlsx"


class ParcelExportView(AnyAcceptMixin, ScopedViewSetMixin, GenericAPIView):
    """The ledger as .xlsx with the parcel list's filters, in the import's columns so that it re-imports."""

    queryset = Parcel.objects.select_related("county", "town", "responsible_unit")
    filterset_class = ParcelFilter
    filter_backends = [DjangoFilterBackend, SearchFilter]
    search_fields = ParcelViewSet.search_fields
    pagination_class = None
    error_codes = {"400", "401", "403"}

    @extend_schema(
        operation_id="parcels_export",
        summary="导出台账（Excel）",
        filters=True,
        parameters=[OpenApiParameter("search", OpenApiTypes.STR, description="与地块列表相同的搜索")],
        responses={
            (200, XLSX): OpenApiResponse(
                OpenApiTypes.BINARY,
                description="台账工作簿：每种类型一个工作表（指定 kind 时只有该类型），表头与导入相同。",
            ),
            400: error_openapi("400"),
        },
        description="与地块列表相同的筛选参数；只含调用者数据范围内的地块。一次最多导出 100,000 宗"
        "（部署可调），超过时答 400，请按县、类型等筛选后分批导出。",
    )
    def get(self, request):
        parcels = self.filter_queryset(self.get_queryset()).order_by("county__code", "code")
        kind = request.query_params.get("kind") or None
        kinds = [kind] if kind else list(ParcelKind.values)
        sheets = [(value, parcels.filter(kind=value)) for value in kinds]
        county = None
        code = request.query_params.get("county")
        if code:
            county = Region.objects.filter(code=code, level=RegionLevel.COUNTY).first()
            if county is not None and not region_in_scope(request.user, county):
                county = None  # named in the file name only when the caller sees it
        else:
            county = home_county(request.user)
        write = partial(ledger.write_ledger, sheets=sheets, max_rows=settings.LEDGER_EXPORT_MAX_ROWS)
        try:
            return ledger.xlsx_response(write, _download_name("台账", county, kind))
        except ledger.ExportTooLarge as refusal:
            raise ValidationError(str(refusal)) from refusal


class TemplateQuery(serializers.Serializer):
    kind = serializers.ChoiceField(choices=ParcelKind.choices, required=False, allow_blank=True)
    county = county_code_field()


class ImportTemplateView(AnyAcceptMixin, APIView):
    """An empty ledger per kind with its headers, drop-down lists on the choice columns and notes."""

    permission_classes = [SignedInPermission]

    error_codes = {"400", "401", "403", "404"}

    @extend_schema(
        operation_id="parcels_import_template",
        summary="下载台账导入模板",
        description="空台账工作簿：每种类型一个工作表，表头与导入相同，选择列带下拉选项，附填表说明。",
        parameters=[
            OpenApiParameter(
                "kind", OpenApiTypes.STR, enum=ParcelKind.values, description="省略时两种台账各一个工作表"
            ),
            OpenApiParameter(
                "county",
                OpenApiTypes.STR,
                pattern=r"^[0-9]{6}$",
                description="县（市、区）代码：乡镇（园区）、责任单位列提供该县的下拉选项；县级用户默认本县",
            ),
        ],
        responses={
            (200, XLSX): OpenApiResponse(OpenApiTypes.BINARY, description="空台账模板"),
            400: error_openapi("400"),
            404: error_openapi("404"),
        },
    )
    def get(self, request):
        query = TemplateQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        kind = query.validated_data.get("kind") or None
        county = resolve_county(request, query.validated_data.get("county"), required=False)
        kinds = [kind] if kind else list(ParcelKind.values)
        towns, units = ledger.county_choices(county, request.user) if county else ((), ())
        return ledger.xlsx_response(
            lambda target: ledger.write_template(target, kinds, towns=towns, units=units),
            _download_name("台账模板", county, kind),
        )
