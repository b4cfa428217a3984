import re

import django_filters
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.fields import DateField
from rest_framework.generics import get_object_or_404
from rest_framework.response import Response

from landtrack.api.errors import Conflict, PreconditionFailed
from landtrack.api.views import ScopedViewSetMixin

from .. import services
from ..choices import ParcelFlag, ParcelKind, ParcelStatus
from ..models import Disposal, Parcel
from ..rules import flag_filter, with_rule_facts
from ..selectors import parcel_history
from .serializers import DisposalSerializer, HistoryEntrySerializer, ParcelSerializer

# Ids are at most 18 digits; anything longer is not a route (404), not a database overflow.
ID_PATTERN = r"\d{1,18}"
IF_MATCH = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=False,
    description="GET 返回的 ETag；与当前版本不符时答 412，不作任何修改。",
)


def parcel_etag(parcel):
    return f'"parcel-{parcel.pk}-v{parcel.version}"'


def expected_version(request, parcel):
    """The version named by If-Match: None when absent or ``*``; 412 when it is not this parcel's."""
    header = request.headers.get("If-Match")
    if header is None or header.strip() == "*":
        return None
    for tag in header.split(","):
        match = re.fullmatch(r'\s*(?:W/)?"parcel-(\d+)-v(\d+)"\s*', tag)
        if match and int(match.group(1)) == parcel.pk:
            return int(match.group(2))
    raise PreconditionFailed()


class ParcelFilter(django_filters.FilterSet):
    county = django_filters.CharFilter(field_name="county__code", label="县（市、区）代码")
    town = django_filters.CharFilter(field_name="town__code", label="乡镇（园区）代码")
    kind = django_filters.ChoiceFilter(choices=ParcelKind.choices)
    status = django_filters.ChoiceFilter(
        choices=ParcelStatus.choices, method="filter_status", label="处置状态"
    )
    flag = django_filters.ChoiceFilter(choices=ParcelFlag.choices, method="filter_flag", label="规则提示")
    as_of = django_filters.DateFilter(method="judge_as_of", label="规则判断日期（默认今天）")

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


@extend_schema_view(
    retrieve=extend_schema(description="带 ETag 响应头；修改或删除时以 If-Match 回传。"),
    update=extend_schema(parameters=[IF_MATCH]),
    partial_update=extend_schema(parameters=[IF_MATCH]),
    destroy=extend_schema(parameters=[IF_MATCH], description="已有处置记录的地块不能删除（409）。"),
)
class ParcelViewSet(ScopedViewSetMixin, viewsets.ModelViewSet):
    """Ledger lines (地块) of the caller's counties."""

    queryset = Parcel.objects.select_related("county", "town")
    serializer_class = ParcelSerializer
    write_label = "parcels.parcel"
    filterset_class = ParcelFilter
    search_fields = [
        "code",
        "name",
        "approval_number",
        "supervision_number",
        "land_user",
        "contract_number",
        "batch_name",
        "location",
    ]
    ordering_fields = ["id", "code", "area_mu", "disposed_area_mu", "updated_at"]
    ordering = ["county__code", "code"]
    lookup_value_regex = ID_PATTERN
    action_error_codes = {
        "update": ["412"],
        "partial_update": ["412"],
        "destroy": ["409", "412"],
    }

    def rules_as_of(self):
        """?as_of= for the rule flags (default today); a bad date is a 400 naming the field."""
        if not hasattr(self, "_as_of"):
            raw = self.request.query_params.get("as_of")
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

    def get_serializer_context(self):
        context = super().get_serializer_context()
        context["as_of"] = self.rules_as_of()
        return context

    def retrieve(self, request, *args, **kwargs):
        parcel = self.get_object()
        response = Response(self.get_serializer(parcel).data)
        response["ETag"] = parcel_etag(parcel)
        return response

    def perform_create(self, serializer):
        self.check_region_writable(serializer.validated_data["county"])
        serializer.instance = services.parcel_save(
            parcel=Parcel(**serializer.validated_data), user=self.request.user
        )

    def update(self, request, *args, **kwargs):
        partial = kwargs.pop("partial", False)
        parcel = self.get_object()
        version = expected_version(request, parcel)
        serializer = self.get_serializer(parcel, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        county = serializer.validated_data.get("county")
        if county is not None and county.pk != parcel.county_id:
            self.check_region_writable(county)
        for name, value in serializer.validated_data.items():
            setattr(parcel, name, value)
        services.parcel_save(parcel=parcel, user=request.user, expected_version=version)
        parcel = self.get_queryset().get(pk=parcel.pk)
        response = Response(self.get_serializer(parcel).data)
        response["ETag"] = parcel_etag(parcel)
        return response

    def destroy(self, request, *args, **kwargs):
        parcel = self.get_object()
        version = expected_version(request, parcel)
        try:
            services.parcel_delete(parcel=parcel, user=request.user, expected_version=version)
        except services.ParcelHasDisposals as refusal:
            raise Conflict(refusal.message) from refusal
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(responses=HistoryEntrySerializer(many=True), filters=False)
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def history(self, request, pk=None):
        """Who changed the parcel or its disposals, when, and what: newest first."""
        parcel = self.get_object()
        return Response(HistoryEntrySerializer(parcel_history(parcel.pk), many=True).data)


class ParcelDisposalViewSet(
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Disposals (处置记录) of one parcel."""

    serializer_class = DisposalSerializer
    write_label = "parcels.disposal"
    lookup_value_regex = ID_PATTERN
    filter_backends = []
    ordering = ["date", "id"]

    def get_parcel(self):
        if not hasattr(self, "_parcel"):
            queryset = Parcel.objects.visible_to(self.request.user).select_related("county")
            self._parcel = get_object_or_404(queryset, pk=self.kwargs["parcel_pk"])
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
