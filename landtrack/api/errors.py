"""Every refusal as the contract says: 400 with Chinese field messages, 409, 412 — never a 500."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.db.models import ProtectedError
from django.http import Http404
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
    elif isinstance(exc, exceptions.ParseError):
        return Response(
            {api_settings.NON_FIELD_ERRORS_KEY: ["请求数据无法解析，请提交有效的 JSON。"]},
            status=status.HTTP_400_BAD_REQUEST,
        )
    if isinstance(exc, exceptions.ValidationError) and not isinstance(exc.detail, dict):
        # A bare list of messages (DRF raises some that way) still answers as {"field": [...]}.
        detail = exc.detail if isinstance(exc.detail, list) else [exc.detail]
        exc = exceptions.ValidationError({api_settings.NON_FIELD_ERRORS_KEY: detail})
    return drf_exception_handler(exc, context)
