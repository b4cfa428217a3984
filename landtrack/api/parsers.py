"""JSON in: what DRF's parser leaves to chance is refused here as a 400, never a 500."""

from django.conf import settings
from rest_framework.exceptions import ParseError, ValidationError
from rest_framework.parsers import JSONParser as DRFJSONParser
from rest_framework.settings import api_settings

SURROGATE_MESSAGE = "含有无效的 Unicode 字符（孤立的代理项），请提交有效的 UTF-8 文本。"


def has_surrogate(text):
    return any("\ud800" <= char <= "\udfff" for char in text)


def surrogate_field(data):
    """The top-level field holding a lone surrogate (``"\\ud800"`` escapes are valid JSON but not text).

    Returns None when there is none. Walks iteratively, so no nesting depth can exhaust the stack.
    """
    pending = [(None, data)]
    while pending:
        field, value = pending.pop()
        if isinstance(value, str):
            if has_surrogate(value):
                return field or api_settings.NON_FIELD_ERRORS_KEY
        elif isinstance(value, dict):
            for key, item in value.items():
                if has_surrogate(key):
                    return api_settings.NON_FIELD_ERRORS_KEY
                pending.append((field or key, item))
        elif isinstance(value, list):
            pending.extend((field, item) for item in value)
    return None


class JSONParser(DRFJSONParser):
    """DRF's JSON parser, also refusing lone surrogates, nesting too deep to parse and oversized bodies."""

    def parse(self, stream, media_type=None, parser_context=None):
        request = (parser_context or {}).get("request")
        length = request.META.get("CONTENT_LENGTH") if request is not None else None
        # DRF reads a JSON body past Django's upload limit; no LandTrack request comes near it.
        # Digits only (not ² or ①, which int() refuses); more than 18 of them is over any limit.
        most = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if length and length.isdecimal() and (len(length) > 18 or int(length) > most):
            limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE // (1024 * 1024)
            raise ValidationError({api_settings.NON_FIELD_ERRORS_KEY: [f"请求体超过 {limit} MB，未作处理。"]})
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError as error:
            raise ParseError("JSON 嵌套层数过多。") from error
        field = surrogate_field(data)
        if field is not None:
            raise ValidationError({field: [SURROGATE_MESSAGE]})
        return data
