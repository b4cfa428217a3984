"""Every refusal as the contract says: 400 with Chinese field messages, 409, 412 — never a 500."""

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.db.models import ProtectedError
from django.http import Http404, JsonResponse
from django.views.defaults import bad_request as django_bad_request
from django.views.defaults import page_not_found
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler

from landtrack.services import StaleVersion


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "与已保存的数据冲突，未作修改。"
    default_code = "conflict"


class PreconditionFailed(exceptions.APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = "该记录已被他人修改（If-Match 与当前 ETag 不符），未作修改。请重新读取后再改。"
    default_code = "precondition_failed"


def django_errors(error):
    """A Django ValidationError as the API's ``{"field": ["message"]}``."""
    if hasattr(error, "error_dict"):
        return {
            (api_settings.NON_FIELD_ERRORS_KEY if field == "__all__" else field): messages
            for field, messages in error.message_dict.items()
        }
    return {api_settings.NON_FIELD_ERRORS_KEY: error.messages}


# Messages DRF writes in English without passing them through its translations.
UNTRANSLATED = {"No data provided": "未提交任何数据（请求体为空或为 null）。"}


def flat_messages(detail, prefix=""):
    """Nested serializer errors as plain strings, each saying where it applies.

    ``[{}, {"target_rate": ["…"]}]`` becomes ``["第 2 项 target_rate：…"]``, so that every field of a 400
    answers with a list of messages as API.md says, nested fields (milestones) included. DRF also gives
    a list's errors as ``{1: {"target_rate": ["…"]}}``, keyed by the item's index from 0: the same item.
    """
    if isinstance(detail, dict):
        messages = []
        for key, value in detail.items():
            if isinstance(key, int):
                label = f"第 {key + 1} 项 "
            else:
                label = "" if key == api_settings.NON_FIELD_ERRORS_KEY else f"{key}："
            messages += flat_messages(value, prefix + label)
        return messages
    if isinstance(detail, list):
        if all(isinstance(item, str) for item in detail):
            return [
                exceptions.ErrorDetail(
                    prefix + UNTRANSLATED.get(str(item), item), getattr(item, "code", None)
                )
                for item in detail
            ]
        messages = []
        for index, item in enumerate(detail, start=1):
            if item:
                messages += flat_messages(item, f"{prefix}第 {index} 项 ")
        return messages
    return [exceptions.ErrorDetail(prefix + str(detail), getattr(detail, "code", None))]


def field_errors(detail):
    """``{"field": ["message", ...]}`` whatever shape DRF produced."""
    if not isinstance(detail, dict):
        return {api_settings.NON_FIELD_ERRORS_KEY: flat_messages(detail)}
    return {field: flat_messages(value) for field, value in detail.items()}


TOO_MANY = "请求的参数或文件过多（参数最多 {fields} 个，文件最多 {files} 个），未作处理。"
CSRF_FAILED = "CSRF 校验失败，未作修改：请刷新页面后重试；其他系统请用 API 令牌（Authorization: Token …）。"


def too_many():
    return TOO_MANY.format(
        fields=settings.DATA_UPLOAD_MAX_NUMBER_FIELDS, files=settings.DATA_UPLOAD_MAX_NUMBER_FILES
    )


def bad_request(request, exception=None):
    """Django's 400 for a request refused before any view (too many parameters, a bad host …): JSON under
    /api/, as API.md's 400 ``{"field": ["message"]}``; Django's own page elsewhere."""
    if request.path.startswith("/api/"):
        if isinstance(exception, (TooManyFieldsSent, TooManyFilesSent)):
            message = too_many()
        else:
            message = "请求无效，未作处理。"
        return JsonResponse(
            {api_settings.NON_FIELD_ERRORS_KEY: [message]},
            status=400,
            json_dumps_params={"ensure_ascii": False},
        )
    return django_bad_request(request, exception)


def not_found(request, exception=None):
    """Django's 404 for a URL that matches no route: JSON under /api/, Django's own page elsewhere."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "未找到。"}, status=404, json_dumps_params={"ensure_ascii": False})
    return page_not_found(request, exception)


def exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(django_errors(exc))
    elif isinstance(exc, StaleVersion):
        exc = PreconditionFailed()
    elif isinstance(exc, ProtectedError):
        exc = Conflict("该记录仍被其他数据引用，不能删除。")
    elif isinstance(exc, IntegrityError):
        exc = Conflict()
    elif isinstance(exc, Http404):
        # Django's message names the model; the contract says only that the object is not there.
        exc = exceptions.NotFound("未找到。")
    elif isinstance(exc, RequestDataTooBig):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE // (1024 * 1024)
        exc = exceptions.ValidationError(
            {api_settings.NON_FIELD_ERRORS_KEY: [f"请求体超过 {limit} MB，未作处理。"]}
        )
    elif isinstance(exc, (TooManyFieldsSent, TooManyFilesSent)):
        exc = exceptions.ValidationError({api_settings.NON_FIELD_ERRORS_KEY: [too_many()]})
    elif isinstance(exc, exceptions.PermissionDenied) and str(exc.detail).startswith("CSRF Failed"):
        # DRF's session check, in English: a browser's write without the token of the page it came from.
        exc = exceptions.PermissionDenied(CSRF_FAILED)
    elif isinstance(exc, exceptions.ParseError):
        return Response(
            {api_settings.NON_FIELD_ERRORS_KEY: ["请求数据无法解析，请提交有效的 JSON。"]},
            status=status.HTTP_400_BAD_REQUEST,
        )
    if isinstance(exc, exceptions.ValidationError):
        exc = exceptions.ValidationError(field_errors(exc.detail))
    return drf_exception_handler(exc, context)
