"""Middleware of LandTrack's own: NUL characters refused in URLs, the client's address behind a proxy.

PostgreSQL cannot hold a NUL in a text value: a ``?county=%00`` reaching a query makes the database
driver raise, which would be a 500. No parameter and no path of LandTrack ever contains one, so the
request is answered here: 400 naming the parameter (the API's ``{"field": ["message"]}``), 404 for a
path. Bodies are checked where they are parsed (serializers, forms and models refuse NUL already).
"""

import ipaddress

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


class ClientAddressFromProxyMiddleware:
    """Take the client's address from ``X-Forwarded-For`` when the request comes from a trusted proxy.

    Behind nginx every request reaches gunicorn from the proxy's address, and the sign-in lockout (django-axes)
    counts failures per username and address: without this, every client shares the proxy's address, and five
    wrong passwords from anyone lock the account out for everyone. Only a peer in
    ``LANDTRACK_TRUSTED_PROXIES`` is believed, and only for what the proxies appended: the right-most
    address that is not itself a trusted proxy is the client (anything left of it the client may have written).
    """

    def __init__(self, get_response):
        from django.conf import settings

        self.get_response = get_response
        self.trusted = [ipaddress.ip_network(entry, strict=False) for entry in settings.LANDTRACK_TRUSTED_PROXIES]

    def _is_trusted(self, address):
        try:
            address = ipaddress.ip_address(address.strip())
        except ValueError:
            return False
        return any(address in network for network in self.trusted)

    def __call__(self, request):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded and self._is_trusted(request.META.get("REMOTE_ADDR", "")):
            for entry in reversed(forwarded.split(",")):
                entry = entry.strip()
                if self._is_trusted(entry):
                    continue
                try:
                    request.META["REMOTE_ADDR"] = str(ipaddress.ip_address(entry))
                except ValueError:
                    pass  # not an address: the peer's own address stands
                break
        return self.get_response(request)
