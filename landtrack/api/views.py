"""Base views: every queryset through the user's scope, every write through a service."""

import re

from django.db import transaction
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from leadership.scope import can_write

from .errors import PreconditionFailed
from .parsers import JSONParser

IF_MATCH = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=False,
    description="GET 返回的 ETag；与当前版本不符时答 412，不作任何修改。省略或为 * 时不作检查。",
)
ETAG = OpenApiParameter(
    "ETag",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    response=[200],
    description="当前版本的标签；修改或删除时以 If-Match 回传。",
)

ETAG_CREATED = OpenApiParameter(
    "ETag",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    response=[201],
    description="新记录的版本标签；修改或删除时以 If-Match 回传。",
)


class AnyAcceptMixin:
    """A file download (an .xlsx, a TXT) answers whatever the client accepts, its own media type included
    (errors in JSON), rather than 406: its body is not the output of a renderer DRF could choose."""

    def perform_content_negotiation(self, request, force=False):
        return super().perform_content_negotiation(request, force=True)


class ScopedViewSetMixin:
    """A viewset over a model whose queryset has ``visible_to(user)``.

    ``write_label`` names the model in ``leadership.scope.WRITE_ROLES``. Objects outside the
    user's scope are simply absent (404); writes into a region the user may not write are 403.
    Bodies are JSON only (API.md); a view taking a file names its own parsers.
    """

    write_label = None
    parser_classes = [JSONParser]

    def get_queryset(self):
        return super().get_queryset().visible_to(self.request.user)

    def check_region_writable(self, region):
        if region is not None and not can_write(self.request.user, self.write_label, region):
            raise PermissionDenied(f"您不能在“{region.name}”录入或修改此类数据。")


#: The actions that change one object: each runs in a transaction (below) and reads its object locked.
LOCKING_ACTIONS = frozenset({"update", "partial_update", "destroy"})


class VersionedViewSetMixin:
    """``ETag`` on reading one object; a PUT/PATCH/DELETE whose ``If-Match`` names another version is 412.

    The model keeps a ``version`` that its service raises on every change. The early check here
    answers 412 before the body is even validated; the service repeats it under a row lock, so a
    write racing this one is refused too. ``perform_update``/``perform_destroy`` pass
    ``self.if_match_version`` to the service; ``perform_create``/``perform_update`` leave the object
    they saved, re-read, in ``serializer.instance`` and ``self.saved_object`` (its ETag is answered).

    A PUT/PATCH/DELETE runs in one transaction and reads its object locked (``SELECT … FOR UPDATE`` of
    the object's own row; on SQLite, the transaction's write lock): a change someone else saves meanwhile
    waits for this one, rather than being overwritten with a stale copy of the fields this one leaves alone.
    """

    etag_prefix = None  # e.g. "parcel": ETags read "parcel-12-v3"
    if_match_version = None

    def etag(self, obj):
        return f'"{self.etag_prefix}-{obj.pk}-v{obj.version}"'

    def parse_if_match(self, obj):
        """The version the client's If-Match names; None when absent or ``*``; 412 when not this one."""
        header = self.request.headers.get("If-Match")
        if header is None or header.strip() == "*":
            return None
        pattern = rf'\s*(?:W/)?"{re.escape(self.etag_prefix)}-(\d{{1,18}})-v(\d{{1,18}})"\s*'
        for tag in header.split(","):
            match = re.fullmatch(pattern, tag)
            if match and int(match.group(1)) == obj.pk and int(match.group(2)) == obj.version:
                return obj.version
        raise PreconditionFailed()

    def get_queryset(self):
        queryset = super().get_queryset()
        # By action, not by method: OPTIONS asks get_object() under a PUT's name (DRF's SimpleMetadata)
        # outside any transaction, where a locking read is an error, not a lock.
        if self.action in LOCKING_ACTIONS:
            queryset = queryset.select_for_update(of=("self",))
        return queryset

    def get_object(self):
        obj = super().get_object()
        if self.action in LOCKING_ACTIONS:
            self.if_match_version = self.parse_if_match(obj)
        return obj

    def retrieve(self, request, *args, **kwargs):
        obj = self.get_object()
        response = Response(self.get_serializer(obj).data)
        response["ETag"] = self.etag(obj)
        return response

    def create(self, request, *args, **kwargs):
        response = super().create(request, *args, **kwargs)
        saved = getattr(self, "saved_object", None)
        if saved is not None:
            response["ETag"] = self.etag(saved)
        return response

    @transaction.atomic
    def update(self, request, *args, **kwargs):
        response = super().update(request, *args, **kwargs)
        saved = getattr(self, "saved_object", None)
        if saved is not None:
            response["ETag"] = self.etag(saved)
        return response

    @transaction.atomic
    def destroy(self, request, *args, **kwargs):
        return super().destroy(request, *args, **kwargs)
