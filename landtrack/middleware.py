"""Refuse NUL characters in URLs before any view sees them.

PostgreSQL cannot hold a NUL in a text value: a ``?county=%00`` reaching a query makes the database
driver raise, which would be a 500. No parameter and no path of LandTrack ever contains one, so the
request is answered here: 400 naming the parameter (the API's ``{"field": ["message"]}``), 404 for a
path. Bodies are checked where they are parsed (serializers, forms and models refuse NUL already).
"""

from django.http import HttpResponseBadRequest, HttpResponseNotFound, JsonResponse

NUL = "\x00"
MESSAGE = "不得包含空字符（NUL）。"


class RefuseNulCharactersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        is_api = request.path_info.startswith("/api/")
        if NUL in request.path_info:
            if is_api:
                return JsonResponse(
                    {"detail": "未找到。"}, status=404, json_dumps_params={"ensure_ascii": False}
                )
            return HttpResponseNotFound("未找到。", content_type="text/plain; charset=utf-8")
        bad = sorted(
            {key for key, values in request.GET.lists() if NUL in key or any(NUL in v for v in values)}
        )
        if bad:
            names = [key.replace(NUL, "") or "non_field_errors" for key in bad]
            if is_api:
                return JsonResponse(
                    {name: [MESSAGE] for name in names}, status=400, json_dumps_params={"ensure_ascii": False}
                )
            return HttpResponseBadRequest(
                f"查询参数 {'、'.join(names)} {MESSAGE}", content_type="text/plain; charset=utf-8"
            )
        return self.get_response(request)
