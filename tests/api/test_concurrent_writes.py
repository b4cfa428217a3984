"""Two users changing the same object at once through the API, each from their own connection.

A PATCH without If-Match changes what it names and nothing else: a colleague's change saved while it was
being handled is neither lost nor written back over with the request's stale copy, and the change
history holds each save's true state.
"""

import datetime
import threading
from decimal import Decimal

import pytest
from django.db import connections

from parcels import services as parcel_services
from parcels.models import Parcel
from tasks import services as task_services
from tasks.models import CountyTask, RectificationItem
from tests.factories import ParcelFactory

from .harness import client_for

pytestmark = pytest.mark.django_db(transaction=True)

# How long the first request, about to write, waits for the colleague's request to finish. Without a
# row lock the colleague's save commits at once; with one it cannot before the first request's own
# commit, so the wait runs out: the one delay of these tests.
WAIT_SECONDS = 1.5


def save_while_a_colleague_saves(monkeypatch, service_module, service_name, mine, colleagues):
    """Send ``mine()``; once its object is read and checked, just before its service writes, the
    colleague sends ``colleagues()`` from a second connection. Both responses, mine first."""
    real_service = getattr(service_module, service_name)
    colleague_finished = threading.Event()
    answers = {}

    def colleague():
        try:
            answers["colleague"] = colleagues()
        finally:
            connections.close_all()
            colleague_finished.set()

    def service_after_the_colleague(**kwargs):
        if not answers:  # the first request's call; the colleague's goes straight through
            answers["started"] = True
            threading.Thread(target=colleague).start()
            colleague_finished.wait(WAIT_SECONDS)
        return real_service(**kwargs)

    monkeypatch.setattr(service_module, service_name, service_after_the_colleague)
    answers["mine"] = mine()
    assert colleague_finished.wait(30)
    return answers["mine"], answers["colleague"]


def test_a_parcel_patch_keeps_a_colleagues_concurrent_change(monkeypatch, users, anze):
    parcel = ParcelFactory(county=anze, name="原名")
    url = f"/api/v1/parcels/{parcel.pk}/"
    mine, colleagues = save_while_a_colleague_saves(
        monkeypatch,
        parcel_services,
        "parcel_save",
        lambda: client_for(users["clerk"]).patch(url, {"name": "我的修改"}, format="json"),
        lambda: client_for(users["admin"]).patch(url, {"note": "同事的补充"}, format="json"),
    )
    assert (mine.status_code, colleagues.status_code) == (200, 200), (mine.content, colleagues.content)
    parcel.refresh_from_db()
    assert (parcel.name, parcel.note, parcel.version) == ("我的修改", "同事的补充", 3)
    # Created, then my save (the note not yet added), then the colleague's on top of it.
    history = parcel.history.order_by("history_id")
    assert [(record.name, record.note) for record in history] == [
        ("原名", ""),
        ("我的修改", ""),
        ("我的修改", "同事的补充"),
    ]
    assert [record.history_user for record in history] == [None, users["clerk"], users["admin"]]


def test_a_task_patch_keeps_a_colleagues_concurrent_change(monkeypatch, users, anze):
    task = task_services.task_create(
        county=anze, year=2023, category="both", target_area_mu=Decimal("60"), name="原任务名"
    )
    url = f"/api/v1/tasks/{task.pk}/"
    mine, colleagues = save_while_a_colleague_saves(
        monkeypatch,
        task_services,
        "task_save",
        lambda: client_for(users["city"]).patch(url, {"target_area_mu": "80"}, format="json"),
        lambda: client_for(users["admin"]).patch(
            url, {"document_number": "临自然资发〔2023〕5号"}, format="json"
        ),
    )
    assert (mine.status_code, colleagues.status_code) == (200, 200), (mine.content, colleagues.content)
    task = CountyTask.objects.get(pk=task.pk)
    assert (task.target_area_mu, task.document_number, task.version) == (
        Decimal("80.0000"),
        "临自然资发〔2023〕5号",
        3,
    )
    history = task.history.order_by("history_id")
    assert [(record.target_area_mu, record.document_number) for record in history] == [
        (Decimal("60.0000"), ""),
        (Decimal("80.0000"), ""),
        (Decimal("80.0000"), "临自然资发〔2023〕5号"),
    ]


def test_a_rectification_patch_keeps_a_colleagues_concurrent_change(monkeypatch, users, anze):
    item = task_services.rectification_save(
        item=RectificationItem(county=anze, title="原标题", deadline=datetime.date(2024, 6, 30))
    )
    url = f"/api/v1/rectifications/{item.pk}/"
    mine, colleagues = save_while_a_colleague_saves(
        monkeypatch,
        task_services,
        "rectification_save",
        lambda: client_for(users["office"]).patch(url, {"title": "我的标题"}, format="json"),
        lambda: client_for(users["admin"]).patch(url, {"description": "同事写的说明"}, format="json"),
    )
    assert (mine.status_code, colleagues.status_code) == (200, 200), (mine.content, colleagues.content)
    item.refresh_from_db()
    assert (item.title, item.description, item.version) == ("我的标题", "同事写的说明", 3)
    history = item.history.order_by("history_id")
    assert [(record.title, record.description) for record in history] == [
        ("原标题", ""),
        ("我的标题", ""),
        ("我的标题", "同事写的说明"),
    ]


def test_a_stale_if_match_is_still_412_after_a_colleagues_concurrent_change(monkeypatch, users, anze):
    parcel = ParcelFactory(county=anze, name="原名")
    url = f"/api/v1/parcels/{parcel.pk}/"
    clerk = client_for(users["clerk"])
    etag = clerk.get(url)["ETag"]
    mine, colleagues = save_while_a_colleague_saves(
        monkeypatch,
        parcel_services,
        "parcel_save",
        lambda: clerk.patch(url, {"name": "我的修改"}, format="json", HTTP_IF_MATCH=etag),
        lambda: client_for(users["admin"]).patch(
            url, {"note": "同事的补充"}, format="json", HTTP_IF_MATCH=etag
        ),
    )
    # Mine read the row first and holds it: the colleague, who read the same version, is refused.
    assert (mine.status_code, colleagues.status_code) == (200, 412)
    parcel = Parcel.objects.get(pk=parcel.pk)
    assert (parcel.name, parcel.note, parcel.version) == ("我的修改", "", 2)


def test_options_on_one_object_outside_a_transaction_answers_not_500(users, anze):
    # DRF's OPTIONS asks get_object() under a PUT's name to say what a PUT takes; outside a transaction
    # (as served: these tests are not wrapped in one) a locking read there was a 500.
    parcel = ParcelFactory(county=anze)
    clerk = client_for(users["clerk"])
    response = clerk.options(f"/api/v1/parcels/{parcel.pk}/", {"as_of": "1949-10-01"})
    assert response.status_code == 200, response.content[:300]
    assert "PUT" in response.json()["actions"]
    assert clerk.options("/api/v1/parcels/0/").status_code == 200  # nothing to describe a PUT of
    task = CountyTask.objects.create(county=anze, year=2023, category="both", target_area_mu=Decimal("10"))
    assert client_for(users["city"]).options(f"/api/v1/tasks/{task.pk}/").status_code == 200
