import re

from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination

PAGE_NUMBER = re.compile(r"[0-9]{1,18}")


class Pagination(PageNumberPagination):
    """``{"count", "next", "previous", "results"}`` with ``?page=`` and ``?page_size=`` (at most 500).

    A page that is not a positive whole number of at most 18 digits is bad input (400); a page past
    the last one is not there (404), as in DRF. A ``page_size`` that is not a positive number falls
    back to 50.
    """

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500
    invalid_page_message = "页码超出范围。"

    def get_page_number(self, request, paginator):
        raw = request.query_params.get(self.page_query_param) or "1"
        if raw in self.last_page_strings:
            return paginator.num_pages
        if not PAGE_NUMBER.fullmatch(raw) or int(raw) < 1:
            raise ValidationError({self.page_query_param: ["页码应为正整数。"]})
        return int(raw)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_query_param:
                parameter["schema"] = {"type": "integer", "minimum": 1, "maximum": 10**18 - 1}
                parameter["description"] = "页码，从 1 起；超出末页答 404。"
            elif parameter["name"] == self.page_size_query_param:
                # Any value is taken (DRF's page_size): so the schema admits any text, not only integers.
                parameter["schema"] = {"type": "string", "example": str(self.page_size)}
                parameter["description"] = (
                    f"每页条数，默认 {self.page_size}，最多 {self.max_page_size}（更大的值按 {self.max_page_size} 计；"
                    f"不是正整数时按默认的 {self.page_size} 计）。"
                )
        return parameters
