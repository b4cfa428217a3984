"""The OpenAPI schema describes the errors each operation really answers with, not only its success."""

from drf_spectacular.authentication import TokenScheme
from drf_spectacular.openapi import AutoSchema

from .fields import DATE_PATTERN

FIELD_ERRORS = {
    "type": "object",
    "description": "字段名 → 中文错误信息列表；与字段无关的错误在 non_field_errors 中。",
    "additionalProperties": {"type": "array", "items": {"type": "string"}},
    "example": {"area_mu": ["面积必须大于 0 亩。"]},
}
# The errors of an Excel file, each naming its row and column (the imports' 400).
EXCEL_ERRORS = {
    "type": "array",
    "description": "每一处错误，按 Excel 行号排列；有任何错误时不写入任何数据",
    "items": {
        "type": "object",
        "properties": {
            "row": {
                "type": "integer",
                "nullable": True,
                "description": "Excel 行号；针对整个文件时为 null",
            },
            "column": {
                "type": "string",
                "nullable": True,
                "description": "列标题；与具体列无关时为 null",
            },
            "message": {"type": "string", "description": "中文说明"},
        },
        "required": ["row", "column", "message"],
    },
}
DETAIL = {
    "type": "object",
    "properties": {"detail": {"type": "string"}},
    "required": ["detail"],
}

DESCRIPTIONS = {
    "400": "请求数据有误（字段级中文错误信息），未作任何修改。",
    "401": "未提供或提供了无效的认证信息。",
    "403": "已登录，但角色或所属区划不允许此操作。",
    "404": "对象不存在，或不在调用者的数据范围内；列表的页码超出范围时也答 404。",
    "409": "与已保存的数据冲突，未作修改。",
    "412": "If-Match 与当前 ETag 不符：记录已被他人修改，未作修改。",
    "415": "请求体的媒体类型（Content-Type）不是此操作接受的类型，未作任何修改。",
    "429": "登录失败次数过多，账号在该地址被暂时锁定。",
}


NO_BODY = "成功，无响应体。"


class ChineseTokenScheme(TokenScheme):
    """DRF's token authentication, described in Chinese (drf-spectacular's own says it in English)."""

    priority = 0

    def get_security_definition(self, auto_schema):
        definition = super().get_security_definition(auto_schema)
        definition["description"] = (
            f"请求头 `Authorization: {self.target.keyword} <令牌>`；令牌由 POST /api/v1/auth/token/ 以用户名和密码取得。"
        )
        return definition


# Text without a NUL character: what landtrack.middleware lets through in a query string.
NO_NUL = "^[^\\x00]*$"


def error_response(code):
    schema = FIELD_ERRORS if code == "400" else DETAIL
    return {"description": DESCRIPTIONS[code], "content": {"application/json": {"schema": schema}}}


class LandTrackAutoSchema(AutoSchema):
    """Adds the errors each API operation really answers with to its documented responses.

    Every operation: 401 and 403 (a view may narrow that with ``error_codes``). A path with an id: 404.
    A body: 400. A list: 400 (a bad filter or parameter), unless the view names the action in
    ``plain_read_actions`` (it reads no parameter); paginated, also 404 (a page past the last).
    Plus what a view declares per action in ``action_error_codes`` (409, 412).

    A body may also be answered 415 (a media type the operation does not take, DRF's answer).

    Query parameters: one sent empty (``?county=``) counts as omitted everywhere in this API
    (django-filter, DRF's query serializers and pagination all read it so), which the schema says with
    ``allowEmptyValue``; none may hold a NUL character (landtrack.middleware refuses it with 400),
    which a free-text parameter's ``pattern`` says; and a date lies within the API's range
    (landtrack.api.fields.DateField), which a date parameter's ``pattern`` says.
    """

    def get_operation(self, *args, **kwargs):
        operation = super().get_operation(*args, **kwargs)
        if operation is None or not self.path.startswith("/api/v1/"):
            return operation
        codes = set(getattr(self.view, "error_codes", {"401", "403"}))
        method = self.method.upper()
        if "{" in self.path:
            codes.add("404")
        if method in ("POST", "PUT", "PATCH"):
            codes |= {"400", "415"}
        action = getattr(self.view, "action", None)
        if (
            method == "GET"
            and self._is_list_view()
            and action not in getattr(self.view, "plain_read_actions", ())
        ):
            codes.add("400")
            if self._get_paginator() is not None:
                codes.add("404")
        codes |= set(getattr(self.view, "action_error_codes", {}).get(action, ()))
        responses = operation.setdefault("responses", {})
        for code in sorted(codes):
            responses.setdefault(code, error_response(code))
        for response in responses.values():
            if response.get("description") == "No response body":  # drf-spectacular's, for a 204
                response["description"] = NO_BODY
        for parameter in operation.get("parameters", ()):
            if parameter["in"] != "query":
                continue
            if not parameter.get("required"):
                parameter["allowEmptyValue"] = True
            schema = parameter.get("schema", {})
            if schema.get("type") == "string" and not {"pattern", "enum", "format"} & set(schema):
                schema["pattern"] = NO_NUL
            elif schema.get("format") == "date":
                schema["pattern"] = DATE_PATTERN
        return operation


def error_openapi(code):
    """The same error for ``extend_schema(responses=...)``."""
    from drf_spectacular.utils import OpenApiResponse

    return OpenApiResponse(response=FIELD_ERRORS if code == "400" else DETAIL, description=DESCRIPTIONS[code])
