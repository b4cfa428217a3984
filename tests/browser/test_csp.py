"""Every page obeys the content security policy: Chromium reports no violation anywhere.

The policy (landtrack/settings.py) allows scripts, styles and images from the site itself only, with no
inline script or style. A page that broke it would lose its script or its look in production; here the
browser's own ``securitypolicyviolation`` events are collected on each page and must stay empty.
"""

import pytest
from django.core.management import call_command

from parcels.models import Parcel
from tasks.models import CountyTask, RectificationItem

from .conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

COLLECT_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(`${event.violatedDirective} ${event.blockedURI} ${event.sourceFile}:${event.lineNumber}`);
});
"""


def violations_on(page, url):
    response = page.goto(url)
    assert response.status == 200, url
    policy = response.headers.get("content-security-policy", "")
    assert "script-src 'self'" in policy and "style-src 'self'" in policy, (url, policy)
    page.wait_for_load_state("networkidle")
    return page.evaluate("window.__cspViolations")


def test_every_page_obeys_the_content_security_policy(page, live_server):
    call_command("demo_setup", verbosity=0)
    page.add_init_script(COLLECT_VIOLATIONS)
    base = live_server.url
    found = {}

    login = violations_on(page, f"{base}/accounts/login/")
    if login:
        found["/accounts/login/"] = login

    sign_in(page, live_server, "demo_admin", "landtrack-demo")
    parcel = Parcel.objects.get(code="XN2022-003")
    task = CountyTask.objects.get(county__code="141029", year=2022)
    item = RectificationItem.objects.filter(county__code="141029").first()
    pages = [
        "/dashboard/?year=2023",
        "/dashboard/?year=2022&as_of=2022-09-05",
        "/dashboard/141026/?year=2023",
        "/dashboard/141029/?year=2022&as_of=2022-09-05",
        "/dashboard/141026/map/",
        "/dashboard/141029/rectifications/",
        "/dashboard/reminders/",
        "/admin/",
        "/admin/parcels/parcel/",
        "/admin/parcels/parcel/add/",
        f"/admin/parcels/parcel/{parcel.pk}/change/",
        f"/admin/parcels/parcel/{parcel.pk}/history/",
        "/admin/parcels/parcel/ledger/import/",
        "/admin/parcels/parcel/boundary-upload/",
        "/admin/parcels/supplyrecord/",
        "/admin/tasks/countytask/",
        f"/admin/tasks/countytask/{task.pk}/change/",
        "/admin/tasks/rectificationitem/",
        f"/admin/tasks/rectificationitem/{item.pk}/change/",
        "/admin/leadership/leadershipgroup/",
        "/admin/leadership/unit/",
        "/api/docs/",
    ]
    for path in pages:
        seen = violations_on(page, f"{base}{path}")
        if seen:
            found[path] = seen
    # Swagger UI drew the operations from the schema, with its script loaded from the site.
    page.goto(f"{base}/api/docs/")
    page.wait_for_selector(".opblock", timeout=15000)
    assert page.locator(".opblock").count() > 20
    assert not page.evaluate("window.__cspViolations")
    assert found == {}
