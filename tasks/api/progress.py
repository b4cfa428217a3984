"""The progress endpoints: reports over :mod:`tasks.progress`, not paginated (API.md)."""

from decimal import ROUND_HALF_UP

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from landtrack.api.fields import AreaField, CountyCodeParameter, DateField, RateField, ShownRateField
from landtrack.numbers import HUNDREDTH, area_2, rate_2
from leadership.choices import RegionLevel
from leadership.models import Region
from leadership.scope import region_in_scope

from ..choices import ProgressStatus, TaskCategory
from ..progress import (
    TaskRef,
    category_sums,
    completed_figures,
    derived_figures,
    task_progress,
    tasks_in_scope,
)


class MilestoneProgressSerializer(serializers.Serializer):
    due = serializers.DateField()
    target_rate = RateField()
    target_area_mu = AreaField()
    completed_area_mu = AreaField(allow_null=True, help_text="未到期时为 null")
    met = serializers.BooleanField(allow_null=True, help_text="未到期时为 null")


class NextMilestoneSerializer(serializers.Serializer):
    due = serializers.DateField()
    target_rate = RateField()
    target_area_mu = AreaField()
    remaining_area_mu = AreaField()


class ProgressRowSerializer(serializers.Serializer):
    county = serializers.CharField(source="task.county.code")
    county_name = serializers.CharField(source="task.county.name")
    task_id = serializers.IntegerField(source="task.pk")
    year = serializers.IntegerField(source="task.year")
    category = serializers.ChoiceField(choices=TaskCategory.choices, source="task.category")
    as_of = serializers.DateField()
    target_area_mu = AreaField()
    completed_area_mu = AreaField()
    completion_rate = ShownRateField()
    required_rate = ShownRateField()
    required_area_mu = AreaField()
    shortfall_area_mu = AreaField()
    status = serializers.ChoiceField(choices=ProgressStatus.choices)
    next_milestone = NextMilestoneSerializer(allow_null=True, help_text="最后一个节点之后为 null")
    milestones = MilestoneProgressSerializer(many=True)


class TownSerializer(serializers.Serializer):
    code = serializers.CharField(allow_null=True)
    name = serializers.CharField()
    parcels = serializers.IntegerField()
    area_mu = AreaField()
    completed_area_mu = AreaField()


class CountyProgressRowSerializer(ProgressRowSerializer):
    towns = TownSerializer(many=True)


class TotalSerializer(serializers.Serializer):
    category = serializers.ChoiceField(choices=TaskCategory.choices)
    target_area_mu = AreaField()
    completed_area_mu = AreaField()
    completion_rate = ShownRateField()


class ProgressSerializer(serializers.Serializer):
    as_of = serializers.DateField()
    results = ProgressRowSerializer(many=True)
    totals = TotalSerializer(many=True)


class CountyProgressSerializer(serializers.Serializer):
    county = serializers.CharField()
    county_name = serializers.CharField()
    as_of = serializers.DateField()
    results = CountyProgressRowSerializer(many=True)


def _area(value):
    # As AreaField writes it; a quantized Decimal's str() is that figure with its two places, without
    # format()'s slower path.
    return None if value is None else str(area_2(value))


def _rate(value):
    return str(rate_2(value))


# task pk -> (task, as_of, done, reached, row): the row last written for each task, in this process.
_written = {}
ROWS_KEPT = 12_000  # some 3 KB a row: a year's report for the country, twice over, for a few dates


def forget_rows():
    """Drop the rows this process keeps (tests; the benchmark's run as a new worker)."""
    _written.clear()


def report_rows(tasks, as_of):
    """The country-wide report's rows and totals as ProgressSerializer and TotalSerializer describe them,
    written straight from the engine's figures (:func:`tasks.progress.completed_figures` and
    :func:`tasks.progress.derived_figures`).

    The country's report has 2,850 rows of some 30 figures each: DRF's generic serializers, or even the
    engine's TaskProgress objects, would spend most of its time (the schema still documents the rows with
    the serializers above, and a test holds both to the same output). What the tasks of one campaign
    share — the milestones' dates and rates, written out — is written once per campaign shape. Areas are
    written as :func:`_area` writes them, inline.

    A row is a function of the task (its fields, county and milestones), the date and what the task has
    completed by the date and by each milestone due: the process keeps the row it last wrote for each
    task with those, and writes it again only when one of them differs. A disposal changes its county's
    figures, so its rows are written afresh at once; a task read again after a catalog change is compared
    field by field with the one its row was written for. The rows are shared between responses and must
    not be changed by whoever receives them.
    """
    places, half_up = HUNDREDTH, ROUND_HALF_UP
    as_of_text = as_of.isoformat()
    texts = {}  # shape -> its milestones' (due, rate) written out, and its required rate
    rows, sums = [], []
    written = _written
    if len(written) > ROWS_KEPT:
        written.clear()
    for task, shape, _, done, reached in completed_figures(tasks, as_of):
        kept = written.get(task.pk) if type(task) is TaskRef else None
        if (
            kept is not None
            and kept[1] == as_of
            and kept[2] == done
            and kept[3] == reached
            and (kept[0] is task or kept[0] == task)
        ):
            if kept[0] is not task:
                written[task.pk] = (task, *kept[1:])
            rows.append(kept[4])
            sums.append((task.category, task.target_area_mu, done))
            continue
        rate, areas, required_area, shortfall, remaining, status = derived_figures(task, shape, done)
        written_shape = texts.get(shape)
        if written_shape is None:
            written_shape = texts[shape] = (
                [(due.isoformat(), _rate(target_rate)) for due, target_rate, _, _ in shape.milestones],
                _rate(shape.required_rate),
            )
        milestone_texts, required_rate = written_shape
        due_count = shape.due_count
        milestones, upcoming = [], None
        for position, (due, target_rate) in enumerate(milestone_texts):
            area = areas[position]
            if position < due_count:
                got = reached[position]
                milestones.append(
                    {
                        "due": due,
                        "target_rate": target_rate,
                        "target_area_mu": str(area.quantize(places, half_up)),
                        "completed_area_mu": str(got.quantize(places, half_up)),
                        "met": got >= area,
                    }
                )
            else:
                area_text = str(area.quantize(places, half_up))
                milestones.append(
                    {
                        "due": due,
                        "target_rate": target_rate,
                        "target_area_mu": area_text,
                        "completed_area_mu": None,
                        "met": None,
                    }
                )
                if upcoming is None:
                    upcoming = {
                        "due": due,
                        "target_rate": target_rate,
                        "target_area_mu": area_text,
                        "remaining_area_mu": str(remaining.quantize(places, half_up)),
                    }
        county, target = task.county, task.target_area_mu
        row = {
            "county": county.code,
            "county_name": county.name,
            "task_id": task.pk,
            "year": task.year,
            "category": task.category,
            "as_of": as_of_text,
            "target_area_mu": str(target.quantize(places, half_up)),
            "completed_area_mu": str(done.quantize(places, half_up)),
            "completion_rate": str(rate.quantize(places, half_up)),
            "required_rate": required_rate,
            "required_area_mu": str(required_area.quantize(places, half_up)),
            "shortfall_area_mu": str(shortfall.quantize(places, half_up)),
            "status": status,
            "next_milestone": upcoming,
            "milestones": milestones,
        }
        if type(task) is TaskRef:
            written[task.pk] = (task, as_of, done, reached, row)
        rows.append(row)
        sums.append((task.category, target, done))
    totals = [
        {
            "category": total["category"],
            "target_area_mu": _area(total["target_area_mu"]),
            "completed_area_mu": _area(total["completed_area_mu"]),
            "completion_rate": _rate(total["completion_rate"]),
        }
        for total in category_sums(sums)
    ]
    return rows, totals


class PeriodQuery(serializers.Serializer):
    """?year=&as_of= (as_of defaults to today in Asia/Shanghai, the year to that of as_of)."""

    year = serializers.IntegerField(required=False, min_value=2000, max_value=2100)
    as_of = DateField(required=False)

    def validate(self, data):
        data.setdefault("as_of", timezone.localdate())
        # A date reads the campaign of its own year unless a year is named.
        data.setdefault("year", data["as_of"].year)
        return data


class ProgressQuery(PeriodQuery):
    """?year=&as_of=&category=&county= of the city-wide report."""

    category = serializers.ChoiceField(choices=TaskCategory.choices, required=False)
    county = CountyCodeParameter(required=False)


QUERY_PARAMETERS = [
    OpenApiParameter(
        "year",
        {"type": "integer", "minimum": 2000, "maximum": 2100},
        description="任务年度（2000–2100）；省略时取 as_of 所在年度",
    ),
    OpenApiParameter(
        "as_of", OpenApiTypes.DATE, description="统计截止日期（含当日）；省略时为今天（北京时间）"
    ),
]


class ProgressView(APIView):
    """One row per county task in the caller's scope, with the city's totals per category."""

    error_codes = {"400", "401", "403"}

    @extend_schema(
        operation_id="progress_list",
        summary="各县任务进度",
        description="调用者数据范围内每项县级任务一行：截至 as_of 的已完成面积、完成率、应达比例、差额、状态、"
        "下一节点和各时间节点；totals 为各类别合计。不分页。",
        parameters=[
            *QUERY_PARAMETERS,
            OpenApiParameter("category", OpenApiTypes.STR, enum=TaskCategory.values),
            OpenApiParameter(
                "county", OpenApiTypes.STR, pattern=r"^[0-9]{6}$", description="县（市、区）代码，6 位数字"
            ),
        ],
        responses=ProgressSerializer,
    )
    def get(self, request):
        query = ProgressQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        tasks = tasks_in_scope(
            request.user,
            year=params["year"],
            category=params.get("category"),
            county_code=params.get("county"),
        )
        rows, totals = report_rows(tasks, params["as_of"])
        return Response({"as_of": params["as_of"].isoformat(), "results": rows, "totals": totals})


class CountyProgressView(APIView):
    """A county's tasks, each with the breakdown by town (or zone)."""

    error_codes = {"400", "401", "403", "404"}

    @extend_schema(
        operation_id="progress_county",
        summary="一个县的任务进度",
        description="该县各项任务的进度（与 /progress/ 的一行相同），另按乡镇（园区）分列地块数、面积和已完成面积。"
        "范围外或不存在的县答 404。",
        parameters=QUERY_PARAMETERS,
        responses=CountyProgressSerializer,
    )
    def get(self, request, county_code):
        query = PeriodQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        county = Region.objects.filter(code=county_code, level=RegionLevel.COUNTY).first()
        if county is None or not region_in_scope(request.user, county):
            raise NotFound("未找到。")
        tasks = tasks_in_scope(request.user, year=params["year"], county_code=county.code)
        rows = task_progress(tasks, params["as_of"], breakdown=True)
        body = {"county": county.code, "county_name": county.name, "as_of": params["as_of"], "results": rows}
        return Response(CountyProgressSerializer(body).data)
