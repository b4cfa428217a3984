import django_filters
from axes.handlers.proxy import AxesProxyHandler
from django.contrib.auth import authenticate, user_logged_in
from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import status, viewsets
from rest_framework.exceptions import MethodNotAllowed, ValidationError
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from landtrack.api.parsers import JSONParser
from landtrack.api.permissions import SignedInPermission
from landtrack.api.schema import error_openapi
from landtrack.api.views import ScopedViewSetMixin
from landtrack.lockout import lockout_response

from ..choices import RegionLevel, UnitKind
from ..models import GroupMember, LeadershipGroup, Region, Unit
from ..services import token_issue, token_revoke
from .serializers import (
    LeadershipGroupSerializer,
    RegionSerializer,
    TokenRequestSerializer,
    TokenSerializer,
    UnitSerializer,
)


class RegionFilter(django_filters.FilterSet):
    level = django_filters.ChoiceFilter(choices=RegionLevel.choices)
    parent = django_filters.CharFilter(field_name="parent__code", label="上级区划代码")

    class Meta:
        model = Region
        fields = ["level", "parent"]


@extend_schema_view(
    list=extend_schema(
        summary="行政区划列表", description="按区划代码引用；?level= 按级别、?parent= 按上级区划代码筛选。"
    ),
    retrieve=extend_schema(summary="行政区划详情", description="按区划代码读取一个行政区划。"),
)
class RegionViewSet(viewsets.ReadOnlyModelViewSet):
    """Administrative divisions (reference data), referred to by code."""

    queryset = Region.objects.select_related("parent").order_by("code")
    permission_classes = [SignedInPermission]
    serializer_class = RegionSerializer
    lookup_field = "code"
    filterset_class = RegionFilter
    search_fields = ["code", "name"]
    ordering_fields = ["code", "name"]


class UnitFilter(django_filters.FilterSet):
    region = django_filters.CharFilter(field_name="region__code", label="所属区划代码")
    kind = django_filters.ChoiceFilter(choices=UnitKind.choices)

    class Meta:
        model = Unit
        fields = ["region", "kind"]


@extend_schema_view(
    list=extend_schema(summary="责任单位列表", description="调用者数据范围内的责任单位及其工作职责。"),
    retrieve=extend_schema(summary="责任单位详情", description="范围外的单位答 404。"),
)
class UnitViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """Responsible units (责任单位) of the caller's counties, with their duties."""

    queryset = Unit.objects.select_related("region")
    serializer_class = UnitSerializer
    write_label = "leadership.unit"
    filterset_class = UnitFilter
    search_fields = ["name", "duties"]
    ordering_fields = ["name", "order"]


class LeadershipGroupFilter(django_filters.FilterSet):
    region = django_filters.CharFilter(field_name="region__code", label="所属区划代码")

    class Meta:
        model = LeadershipGroup
        fields = ["region"]


@extend_schema_view(
    list=extend_schema(
        summary="领导小组列表", description="调用者数据范围内的领导小组，members 按文件公布的顺序排列。"
    ),
    retrieve=extend_schema(summary="领导小组详情", description="含全部成员；范围外的领导小组答 404。"),
)
class LeadershipGroupViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """Leadership groups (领导小组) with their members in published order."""

    queryset = LeadershipGroup.objects.select_related("region", "office_unit").prefetch_related(
        Prefetch("members", queryset=GroupMember.objects.select_related("unit").order_by("order", "id"))
    )
    serializer_class = LeadershipGroupSerializer
    write_label = "leadership.leadershipgroup"
    filterset_class = LeadershipGroupFilter
    search_fields = ["name", "document_number"]
    ordering_fields = ["name", "document_date"]


class TokenView(APIView):
    """Exchange a username and password for an API token; DELETE revokes the caller's token."""

    error_codes = set()
    parser_classes = [JSONParser]

    def get_authenticators(self):
        # Signing in reads no credentials but the body's: a client still sending its revoked token
        # gets a new one instead of a 401, and a browser session needs no CSRF token to ask for one.
        request = getattr(self, "request", None)  # None while the schema is generated
        if request is not None and request.method == "POST":
            return []
        return super().get_authenticators()

    def initial(self, request, *args, **kwargs):
        if request.method not in self.allowed_methods:
            raise MethodNotAllowed(request.method)  # before authentication: 405, not 401
        super().initial(request, *args, **kwargs)

    def get_permissions(self):
        if self.request.method == "POST":
            return [AllowAny()]
        return [IsAuthenticated()]

    @extend_schema(
        summary="取得 API 令牌",
        description="以用户名和密码换取令牌，此后以 `Authorization: Token <令牌>` 调用接口。"
        "同一用户名在同一地址连续登录失败 5 次即被暂时锁定（429）。账号停用即令牌失效；"
        "账号的密码修改或禁用后原令牌作废，须以新密码重新取得。",
        request=TokenRequestSerializer,
        responses={
            200: TokenSerializer,
            400: error_openapi("400"),
            429: error_openapi("429"),
        },
        auth=[],
    )
    def post(self, request):
        serializer = TokenRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        credentials = {"username": serializer.validated_data["username"]}
        http_request = request._request
        if AxesProxyHandler.is_locked(http_request, credentials):
            return lockout_response(http_request, credentials=credentials)
        user = authenticate(
            request=http_request,
            username=serializer.validated_data["username"],
            password=serializer.validated_data["password"],
        )
        if getattr(http_request, "axes_locked_out", False):
            return lockout_response(http_request, credentials=credentials)
        if user is None or not user.is_active:
            raise ValidationError({"non_field_errors": ["用户名或密码错误。"]})
        # A sign-in as the admin's: the account's failures forgotten (AXES_RESET_ON_SUCCESS), its last sign-in
        # and django-axes' record of sign-ins updated.
        user_logged_in.send(sender=user.__class__, request=http_request, user=user)
        return Response({"token": token_issue(user=user).key})

    @extend_schema(
        summary="吊销 API 令牌",
        description="吊销调用者当前的令牌；此后使用它的请求答 401，可重新登录取得新令牌。",
        responses={204: None, 401: error_openapi("401")},
    )
    def delete(self, request):
        token_revoke(user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
