"""What a locked-out sign-in sees: a Chinese message, as JSON for the API and as a page elsewhere."""

from django.conf import settings
from django.http import HttpResponse, JsonResponse

MESSAGE = "登录失败次数过多，该账号在此地址已被暂时锁定，请 {minutes} 分钟后再试，或联系系统管理员解锁。"


def lockout_response(request, original_response=None, credentials=None):
    seconds = int(settings.AXES_COOLOFF_TIME.total_seconds())
    message = MESSAGE.format(minutes=seconds // 60)
    if request.path.startswith("/api/"):
        response = JsonResponse({"detail": message}, status=429, json_dumps_params={"ensure_ascii": False})
    else:
        response = HttpResponse(
            f'<!DOCTYPE html><html lang="zh-hans"><head><meta charset="utf-8"><title>账号已锁定</title></head>'
            f"<body><h1>账号已锁定</h1><p>{message}</p></body></html>",
            status=429,
        )
    # When to ask again, for a program signing in (RFC 9110 §10.2.3): the cool-off, the longest the lock
    # can still last.
    response["Retry-After"] = str(seconds)
    return response
