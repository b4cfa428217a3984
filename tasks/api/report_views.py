"""The Excel reports over the API: the monthly report and a county's three lists (tasks.reports)."""

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.views import APIView

from landtrack.api.schema import error_openapi
from landtrack.api.views import AnyAcceptMixin
from leadership.scope import is_admin
from parcels.api.ledger_views import county_code_field, resolve_county
from parcels.ledger import XLSX_CONTENT_TYPE, xlsx_response

from .. import reports

YEAR_MESSAGES = {
    "invalid": "年份应为整数，如 2023。",
    "max_string_length": "年份应为整数，如 2023。",
    "min_value": "年份应在 2000 至 2100 之间。",
    "max_value": "年份应在 2000 至 2100 之间。",
}
MONTH_MESSAGES = {
    "invalid": "月份应为 1 至 12 的整数。",
    "max_string_length": "月份应为 1 至 12 的整数。",
    "min_value": "月份应为 1 至 12 的整数。",
    "max_value": "月份应为 1 至 12 的整数。",
}


class MonthlyReportQuery(serializers.Serializer):
    year = serializers.IntegerField(
        required=False, min_value=2000, max_value=2100, error_messages=YEAR_MESSAGES
    )
    month = serializers.IntegerField(required=False, min_value=1, max_value=12, error_messages=MONTH_MESSAGES)
    county = county_code_field()

    def validate(self, data):
        # A month still running (or still ahead) is reported as of today; the report says as of when.
        today = timezone.localdate()
        data.setdefault("year", today.year)
        data.setdefault("month", today.month if data["year"] == today.year else 12)
        return data


class ListsQuery(serializers.Serializer):
    year = serializers.IntegerField(
        required=False, min_value=2000, max_value=2100, error_messages=YEAR_MESSAGES
    )
    county = county_code_field()

    def validate(self, data):
        data.setdefault("year", timezone.localdate().year)
        return data


XLSX_RESPONSE = OpenApiResponse(OpenApiTypes.BINARY, description="Excel 工作簿（.xlsx）")
COUNTY_PARAMETER = OpenApiParameter(
    "county", OpenApiTypes.STR, pattern=r"^[0-9]{6}$", description="县（市、区）代码；县级用户省略时为本县"
)
YEAR_PARAMETER = OpenApiParameter(
    "year",
    {"type": "integer", "minimum": 2000, "maximum": 2100},
    description="任务年度（2000–2100），省略时为今年",
)


class MonthlyReportView(AnyAcceptMixin, APIView):
    """The month-end progress report (月报) as a styled workbook."""

    error_codes = {"400", "401", "403", "404"}

    @extend_schema(
        operation_id="reports_monthly",
        summary="进度月报（Excel）",
        parameters=[
            YEAR_PARAMETER,
            OpenApiParameter(
                "month",
                {"type": "integer", "minimum": 1, "maximum": 12},
                description="月份（1–12），省略时为本月（往年为 12 月）；当月未结束时截至今天",
            ),
            OpenApiParameter(
                "county",
                OpenApiTypes.STR,
                pattern=r"^[0-9]{6}$",
                description="县（市、区）代码；省略时为调用者范围内的全部县（县级用户为本县）",
            ),
        ],
        responses={
            (200, XLSX_CONTENT_TYPE): XLSX_RESPONSE,
            400: error_openapi("400"),
            404: error_openapi("404"),
        },
        description=(
            "与 /progress/ 相同的数据，统计截至该月最后一天（当月未结束时截至今天）："
            "进度汇总（含差额、下一节点）、时间节点、分乡镇（园区）三个工作表。"
        ),
    )
    def get(self, request):
        query = MonthlyReportQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        county = resolve_county(request, params.get("county"), required=False)
        # Without a county the report covers the caller's scope: the city account's city, but every county
        # for an administrator, whatever region the account names (create_account takes one for any role).
        user = request.user
        region = county or (user.region if user.region_id and not is_admin(user) else None)
        year, month = params["year"], params["month"]
        name = f"{region.name if region else ''}{year}年{month:02d}月进度月报.xlsx"
        return xlsx_response(
            lambda target: reports.monthly_report(
                target,
                user=request.user,
                year=year,
                month=month,
                county=county,
                region_name=region.name if region else "",
            ),
            name,
        )


class CountyListsView(AnyAcceptMixin, APIView):
    """A county's three lists of the 2023 notice (任务清单, 项目清单, 责任清单) as one workbook."""

    error_codes = {"400", "401", "403", "404"}

    @extend_schema(
        operation_id="reports_lists",
        summary="县级三项清单（Excel）",
        parameters=[YEAR_PARAMETER, COUNTY_PARAMETER],
        responses={
            (200, XLSX_CONTENT_TYPE): XLSX_RESPONSE,
            400: error_openapi("400"),
            404: error_openapi("404"),
        },
        description="一个县的任务清单、项目清单（逐宗地）和责任清单；截至该年最后一天（当年截至今天）。",
    )
    def get(self, request):
        query = ListsQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        county = resolve_county(request, params.get("county"))
        year = params["year"]
        return xlsx_response(
            lambda target: reports.county_lists(target, user=request.user, county=county, year=year),
            f"{county.name}{year}年度三项清单.xlsx",
        )
