"""Parcel boundaries over the API: upload a coordinate file, read GeoJSON, export coordinate files (API.md)."""

import django_filters
from django.http import HttpResponse
from django.utils.http import content_disposition_header
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.generics import GenericAPIView, get_object_or_404
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from landtrack.api.schema import DETAIL, error_openapi
from landtrack.api.views import AnyAcceptMixin, ScopedViewSetMixin
from landtrack.numbers import area_2, rate_2

from .. import boundary_services
from ..boundaries import GEOGRAPHIC_EPSG, MAX_FILE_BYTES, BoundaryFileError, LineError, area_check
from ..choices import ParcelKind, ParcelStatus
from ..models import Parcel

CRS = {"type": "name", "properties": {"name": f"urn:ogc:def:crs:EPSG::{GEOGRAPHIC_EPSG}"}}
MAX_MB = MAX_FILE_BYTES // 1024 // 1024


def _area(value):
    return None if value is None else f"{area_2(value):.2f}"


def _rate(value):
    return None if value is None else f"{rate_2(value):.2f}"


def boundary_figures(parcel, boundary):
    """The area check of a parcel's boundary against its ledger area, exact until shown."""
    if boundary is None:
        return {
            "area_mu_computed": None,
            "area_mu_file": None,
            "difference_percent": None,
            "area_mismatch": None,
        }
    check = area_check(
        area_m2=boundary.area_m2, declared_mu=parcel.area_mu, file_area_ha=boundary.file_area_ha
    )
    return {
        # From the exact area, as the warnings and the admin's panel show it (the stored 4 places rounded
        # again could differ by 0.01).
        "area_mu_computed": _area(check.computed_mu),
        "area_mu_file": _area(check.file_mu),
        "difference_percent": _rate(check.difference_percent),
        "area_mismatch": check.mismatch,
    }


def parcel_feature(parcel, *, with_warnings=False):
    """A parcel as a GeoJSON Feature (geometry null while it has no boundary); the boundary must be loaded."""
    boundary = getattr(parcel, "boundary", None)
    properties = {
        "id": parcel.pk,
        "code": parcel.code,
        "name": parcel.name,
        "county": parcel.county.code,
        "county_name": parcel.county.name,
        "town": parcel.town.code if parcel.town_id else None,
        "town_name": parcel.town.name if parcel.town_id else None,
        "kind": parcel.kind,
        "status": parcel.status,
        "area_mu": _area(parcel.area_mu),
        "area_mu_declared": _area(parcel.area_mu),
        "disposed_area_mu": _area(parcel.disposed_area_mu),
        "remaining_area_mu": _area(parcel.remaining_area_mu),
        **boundary_figures(parcel, boundary),
        "zone": boundary.zone if boundary else None,
        "epsg": boundary.epsg if boundary else None,
        "uploaded_at": boundary.uploaded_at.isoformat() if boundary else None,
    }
    if with_warnings:
        properties["warnings"] = boundary_services.boundary_warnings(boundary, parcel) if boundary else []
    return {
        "type": "Feature",
        "id": parcel.pk,
        "geometry": boundary.geometry if boundary else None,
        "properties": properties,
    }


# --------------------------------------------------------------------------------------------------------
# Schema

LINE_ERRORS = {
    "type": "object",
    "description": "坐标文件无法读取或不能保存：每条错误给出行号（与整个文件有关时为 null）和中文说明；未作任何修改。",
    "properties": {
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "line": {"type": "integer", "nullable": True, "description": "文件中的行号，从 1 起"},
                    "message": {"type": "string"},
                },
                "required": ["line", "message"],
            },
        }
    },
    "required": ["errors"],
    "example": {"errors": [{"line": 14, "message": "X 坐标“4000a00.000”不是有效的数字（单位：米）。"}]},
}
AREA = {"type": "string", "nullable": True, "description": "亩，保留 2 位小数", "example": "15.00"}
UPLOAD_RESULT = {
    "type": "object",
    "properties": {
        "area_mu_computed": {
            **AREA,
            "nullable": False,
            "description": "按高斯-克吕格平面坐标计算的面积（亩）",
        },
        "area_mu_declared": {**AREA, "nullable": False, "description": "台账面积（亩）"},
        "difference_percent": {
            "type": "string",
            "description": "(计算面积 − 台账面积) ÷ 台账面积 × 100，保留 2 位小数；超出 ±1% 时 warnings 中有提示",
            "example": "0.00",
        },
        "area_mu_file": {**AREA, "description": "文件地块行中的面积（公顷 × 15），未填写时为 null"},
        "warnings": {
            "type": "array",
            "items": {"type": "string"},
            "description": "已容忍的文件问题和面积核对提示",
        },
    },
    "required": ["area_mu_computed", "area_mu_declared", "difference_percent", "warnings"],
}
POLYGON = {
    "type": "object",
    "description": "GeoJSON Polygon，经纬度（CGCS2000，EPSG 4490），[经度, 纬度]；外圈逆时针，内圈顺时针",
    "properties": {
        "type": {"type": "string", "enum": ["Polygon"]},
        "coordinates": {
            "type": "array",
            "items": {"type": "array", "items": {"type": "array", "items": {"type": "number"}}},
        },
    },
}
FEATURE_PROPERTIES = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "code": {"type": "string"},
        "name": {"type": "string"},
        "county": {"type": "string"},
        "county_name": {"type": "string"},
        "town": {"type": "string", "nullable": True},
        "town_name": {"type": "string", "nullable": True},
        "kind": {"type": "string", "enum": ParcelKind.values},
        "status": {"type": "string", "enum": ParcelStatus.values},
        "area_mu": {**AREA, "description": "台账面积（亩）"},
        "area_mu_declared": {**AREA, "description": "台账面积（亩），同 area_mu，与上传结果的字段同名"},
        "disposed_area_mu": AREA,
        "remaining_area_mu": AREA,
        "area_mu_computed": AREA,
        "area_mu_file": AREA,
        "difference_percent": {"type": "string", "nullable": True, "example": "0.00"},
        "area_mismatch": {
            "type": "boolean",
            "nullable": True,
            "description": "计算面积与台账面积相差超过 1%",
        },
        "zone": {"type": "integer", "nullable": True, "description": "投影带号"},
        "epsg": {"type": "integer", "nullable": True, "description": "文件坐标的投影坐标系 EPSG 代码"},
        "uploaded_at": {"type": "string", "format": "date-time", "nullable": True},
        "warnings": {"type": "array", "items": {"type": "string"}, "description": "仅单个地块的 Feature 有"},
    },
}
FEATURE = {
    "type": "object",
    "properties": {
        "type": {"type": "string", "enum": ["Feature"]},
        "id": {"type": "integer"},
        "geometry": POLYGON,
        "properties": FEATURE_PROPERTIES,
        "crs": {"type": "object", "description": "urn:ogc:def:crs:EPSG::4490（坐标顺序仍为经度、纬度）"},
    },
    "required": ["type", "geometry", "properties"],
}
FEATURE_COLLECTION = {
    "type": "object",
    "properties": {
        "type": {"type": "string", "enum": ["FeatureCollection"]},
        "crs": {"type": "object"},
        "features": {"type": "array", "items": FEATURE},
    },
    "required": ["type", "features"],
}
TXT = OpenApiResponse(
    OpenApiTypes.BINARY,
    description="界址点坐标 TXT（部颁格式，GB18030/GBK 编码，CRLF 换行），Y 坐标带带号，各圈闭合；重新上传后得到相同的界址点。",
)


FILTER_PARAMETERS = [
    OpenApiParameter("county", OpenApiTypes.STR, description="县（市、区）代码"),
    OpenApiParameter("town", OpenApiTypes.STR, description="乡镇（园区）代码"),
    OpenApiParameter("kind", OpenApiTypes.STR, enum=ParcelKind.values, description="地块类型"),
    OpenApiParameter("status", OpenApiTypes.STR, enum=ParcelStatus.values, description="处置状态"),
]


class BoundaryUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text=f"界址点坐标 TXT（GBK 或 UTF-8），不超过 {MAX_MB} MB")


class BoundaryFilter(django_filters.FilterSet):
    county = django_filters.CharFilter(field_name="county__code", label="县（市、区）代码")
    town = django_filters.CharFilter(field_name="town__code", label="乡镇（园区）代码")
    kind = django_filters.ChoiceFilter(choices=ParcelKind.choices, label="地块类型")
    status = django_filters.ChoiceFilter(
        choices=ParcelStatus.choices, method="filter_status", label="处置状态"
    )

    class Meta:
        model = Parcel
        fields = ["county", "town", "kind", "status"]

    def filter_status(self, queryset, name, value):
        return queryset.with_status(value)


class ParcelScopedView(ScopedViewSetMixin, GenericAPIView):
    """A view over the caller's parcels: out of scope is 404, a write needs a parcel write in the county."""

    queryset = Parcel.objects.select_related("county", "town", "boundary")
    write_label = "parcels.parcel"
    pagination_class = None
    filter_backends = []

    def get_parcel(self, *, write=False):
        parcel = get_object_or_404(self.get_queryset(), pk=self.kwargs["pk"])
        if write:
            self.check_region_writable(parcel.county)
        return parcel


class ParcelBoundaryView(ParcelScopedView):
    """A parcel's boundary: upload a coordinate file, read it as GeoJSON, or remove it."""

    parser_classes = [MultiPartParser, FormParser]
    # What OPTIONS describes for POST (DRF's metadata asks the view for a serializer).
    serializer_class = BoundaryUploadSerializer

    @extend_schema(
        operation_id="parcel_boundary_retrieve",
        summary="地块边界（GeoJSON Feature）",
        description="经纬度（CGCS2000，EPSG 4490）。地块尚未上传界址坐标时答 404。",
        responses={200: OpenApiResponse(FEATURE, description="GeoJSON Feature：地块的边界（经纬度）")},
    )
    def get(self, request, pk):
        parcel = self.get_parcel()
        if getattr(parcel, "boundary", None) is None:
            raise NotFound("该地块还没有上传界址坐标。")
        feature = parcel_feature(parcel, with_warnings=True)
        return Response({**feature, "crs": CRS})

    @extend_schema(
        operation_id="parcel_boundary_upload",
        summary="上传地块的界址点坐标文件",
        description=(
            "multipart 字段 file：部颁界址点坐标 TXT（GBK、UTF-8 或带 BOM 的 UTF-8；3 度带或 6 度带；"
            f"Y 坐标可带或不带带号），不超过 {MAX_MB} MB。文件含多个地块时取地块编号与本地块相同的一个；"
            "只含一个地块时即用它。已有边界时替换之。Y 无带号前缀、缺闭合点、界址点数差一等常见问题容忍并在 warnings "
            "中提示；无法读取的文件答 400，逐条给出行号和原因，不作修改。"
        ),
        request={"multipart/form-data": BoundaryUploadSerializer},
        responses={
            200: OpenApiResponse(UPLOAD_RESULT, description="已保存；面积核对结果和警告"),
            400: OpenApiResponse(LINE_ERRORS, description="文件无法读取或地块图形无效，未作修改"),
        },
    )
    def post(self, request, pk):
        parcel = self.get_parcel(write=True)
        upload = request.FILES.get("file")
        if upload is None:
            return self.refuse([LineError(None, "请以 multipart/form-data 的 file 字段上传界址点坐标文件。")])
        if upload.size > MAX_FILE_BYTES:
            return self.refuse(
                [LineError(None, f"文件大小为 {upload.size / 1024 / 1024:.1f} MB，超过 {MAX_MB} MB 的上限。")]
            )
        try:
            boundary = boundary_services.boundary_upload(
                parcel=parcel, content=upload.read(), file_name=upload.name or "", user=request.user
            )
        except BoundaryFileError as refusal:
            return self.refuse(refusal.errors)
        figures = boundary_figures(parcel, boundary)
        return Response(
            {
                "area_mu_computed": figures["area_mu_computed"],
                "area_mu_declared": _area(parcel.area_mu),
                "difference_percent": figures["difference_percent"],
                "area_mu_file": figures["area_mu_file"],
                "warnings": boundary_services.boundary_warnings(boundary, parcel),
            }
        )

    @extend_schema(
        operation_id="parcel_boundary_destroy",
        summary="删除地块边界",
        description="删除误传的界址坐标；地块尚未上传时答 404。",
        responses={204: None},
    )
    def delete(self, request, pk):
        parcel = self.get_parcel(write=True)
        boundary = getattr(parcel, "boundary", None)
        if boundary is None:
            raise NotFound("该地块还没有上传界址坐标。")
        boundary_services.boundary_delete(boundary=boundary, user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @staticmethod
    def refuse(errors):
        return Response({"errors": [error.as_dict() for error in errors]}, status=status.HTTP_400_BAD_REQUEST)


def txt_response(content, filename):
    response = HttpResponse(content, content_type="text/plain; charset=GB18030")
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response


class ParcelBoundaryTxtView(AnyAcceptMixin, ParcelScopedView):
    """A parcel's boundary written back as a coordinate file."""

    @extend_schema(
        operation_id="parcel_boundary_txt",
        summary="导出地块的界址点坐标 TXT",
        description="地块尚未上传界址坐标时答 404。",
        responses={(200, "text/plain"): TXT},
    )
    def get(self, request, pk):
        parcel = self.get_parcel()
        boundary = getattr(parcel, "boundary", None)
        if boundary is None:
            raise NotFound("该地块还没有上传界址坐标。")
        return txt_response(boundary_services.boundaries_txt([boundary]), f"{parcel.code}-界址点坐标.txt")


class ParcelListView(ScopedViewSetMixin, GenericAPIView):
    """The caller's parcels filtered by ?county=&town=&kind=&status=, boundaries loaded, in one query."""

    queryset = Parcel.objects.select_related("county", "town", "boundary").order_by("county__code", "code")
    filterset_class = BoundaryFilter
    pagination_class = None
    filter_backends = [DjangoFilterBackend]


class ParcelGeoJSONView(ParcelListView):
    """Every parcel in the caller's scope as a GeoJSON FeatureCollection, with its status."""

    @extend_schema(
        operation_id="parcels_geojson",
        summary="地块边界（GeoJSON FeatureCollection）",
        description=(
            "调用者范围内已上传界址坐标的地块（可按县、乡镇、类型、处置状态筛选），每个地块一个 Feature，"
            "properties 中有 status（pending/partial/disposed）和面积核对结果；尚未上传界址坐标的地块不在其中。"
            "经纬度（CGCS2000，EPSG 4490）。"
        ),
        parameters=FILTER_PARAMETERS,
        responses={
            200: OpenApiResponse(
                FEATURE_COLLECTION, description="GeoJSON FeatureCollection：每个地块一个 Feature"
            ),
            400: error_openapi("400"),
        },
    )
    def get(self, request):
        parcels = self.filter_queryset(self.get_queryset()).filter(boundary__isnull=False)
        return Response(
            {
                "type": "FeatureCollection",
                "crs": CRS,
                "features": [parcel_feature(parcel) for parcel in parcels],
            }
        )


class BoundariesTxtView(AnyAcceptMixin, ParcelListView):
    """The boundaries of the caller's parcels (filtered like the GeoJSON) as one coordinate file."""

    @extend_schema(
        operation_id="parcels_boundaries_txt",
        summary="导出多个地块的界址点坐标 TXT",
        description="只含已上传界址坐标的地块；没有这样的地块时答 404。地块分属不同投影带时文件头不写带号，各点 Y 坐标均带带号。",
        parameters=FILTER_PARAMETERS,
        responses={
            (200, "text/plain"): TXT,
            400: error_openapi("400"),
            404: OpenApiResponse(DETAIL, description="所选范围内没有已上传界址坐标的地块。"),
        },
    )
    def get(self, request):
        parcels = self.filter_queryset(self.get_queryset()).filter(boundary__isnull=False)
        boundaries = [parcel.boundary for parcel in parcels]
        if not boundaries:
            raise NotFound("所选范围内没有已上传界址坐标的地块。")
        county = request.query_params.get("county") or "地块"
        return txt_response(boundary_services.boundaries_txt(boundaries), f"{county}-界址点坐标.txt")
