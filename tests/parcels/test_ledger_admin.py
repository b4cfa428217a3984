"""The parcel admin's ledger import (upload → preview → confirm), export and template, with the test client."""

import datetime
import io
import re
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from parcels.models import Parcel
from tests.factories import DisposalFactory, ParcelFactory
from tests.helpers import database_snapshot

from .ledger_files import ledger_bytes, read_back, unsupplied_row, upload

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/parcels/parcel/"
IMPORT = "/admin/parcels/parcel/ledger/import/"
EXPORT = "/admin/parcels/parcel/ledger/export/"
TEMPLATE = "/admin/parcels/parcel/ledger/template/"


@pytest.fixture(autouse=True)
def upload_dir(settings, tmp_path):
    settings.LEDGER_UPLOAD_DIR = tmp_path / "uploads"
    return settings.LEDGER_UPLOAD_DIR


@pytest.fixture
def clerk(client, clerk_anze):
    client.force_login(clerk_anze)
    return client


@pytest.fixture
def stored(anze):
    """安泽县's ledger before the upload: 0001 (to be renamed) and 0003 (as in the file)."""
    ParcelFactory(county=anze, code="0001", name="旧名称", area_mu=Decimal("12.5000"))
    ParcelFactory(county=anze, code="0003", **fields_of(unsupplied_row("0003")))


def fields_of(row):
    """The model fields a ledger row of ledger_files.unsupplied_row sets, for a stored twin of it."""
    return {
        "name": row["项目名称"],
        "location": row["坐落"],
        "town": None,
        "approval_number": row["批准文号"],
        "approval_date": row["批准时间"],
        "batch_name": row["批次名称"],
        "area_mu": Decimal(str(row["未供面积（亩）"])),
        "expropriation_status": "completed",
        "current_use": row["利用现状"],
        "unsupplied_reason": "no_user",
        "planned_method": "supply_transfer",
        "planned_date": row["计划完成时间"],
    }


def the_file():
    return ledger_bytes(
        "unsupplied",
        [
            unsupplied_row("0001", 项目名称="新名称"),
            unsupplied_row("0002"),
            unsupplied_row("0003", **{"乡镇（园区）": None}),
        ],
    )


def text_of(response):
    return re.sub(r"\s+", " ", response.content.decode())


def upload_file(client, content, county, kind=""):
    return client.post(IMPORT, {"file": upload(content, "安泽台账.xlsx"), "kind": kind, "county": county.pk})


def test_upload_preview_confirm_imports_what_the_preview_showed(clerk, anze, clerk_anze, stored, upload_dir):
    assert 'href="/admin/parcels/parcel/ledger/import/"' in clerk.get(CHANGELIST).content.decode()
    form = clerk.get(IMPORT)
    assert form.status_code == 200 and "上传 Excel 台账" in form.content.decode()

    before = database_snapshot()
    response = upload_file(clerk, the_file(), anze)
    assert response.status_code == 302
    preview_url = response["Location"]
    assert preview_url.startswith(IMPORT)
    assert len(list(upload_dir.glob("*.xlsx"))) == 1  # the file waits on the server, not in the browser

    preview = clerk.get(preview_url)
    page = text_of(preview)
    assert "安泽县批而未供台账，共 3 行" in page
    assert 'id="ledger-created">1<' in page and 'id="ledger-updated">1<' in page
    assert 'id="ledger-unchanged">1<' in page
    assert "项目名称*：<del>旧名称</del> → <ins>新名称</ins>" in page
    assert database_snapshot() == before  # previewing writes nothing

    done = clerk.post(preview_url, {"confirm": "1"})
    assert (
        done.status_code == 302 and done["Location"] == f"{CHANGELIST}?county=141026&kind__exact=unsupplied"
    )
    assert Parcel.objects.get(code="0001").name == "新名称"
    assert Parcel.objects.filter(county=anze).count() == 3
    assert Parcel.history.filter(code="0002", history_user=clerk_anze, history_type="+").exists()
    messages = [str(message) for message in clerk.get(done["Location"]).context["messages"]]
    assert messages == ["已导入安泽县批而未供台账“安泽台账.xlsx”：新增 1 宗，更新 1 宗，未变 1 宗。"]
    assert list(upload_dir.glob("*.xlsx")) == []
    assert clerk.post(preview_url, {"confirm": "1"}).status_code == 302  # used up: back to the upload
    assert Parcel.history.filter(code="0002").count() == 1


def test_bad_rows_are_listed_by_row_and_column_and_nothing_is_kept(clerk, anze, upload_dir):
    content = ledger_bytes(
        "unsupplied",
        [unsupplied_row("0001", 批准时间="2021/2/30"), unsupplied_row("0002", 未供原因="不知道")],
    )
    before = database_snapshot()
    response = upload_file(clerk, content, anze)
    assert response.status_code == 200
    page = text_of(response)
    assert "台账中有 2 处错误，本次没有导入任何数据" in page
    assert "<td>第 2 行</td><td>批准时间*</td><td>日期“2021/2/30”不存在。</td>" in page
    assert "<td>第 3 行</td><td>未供原因*</td><td>“不知道”不是可选的未供原因" in page
    assert database_snapshot() == before
    assert not upload_dir.exists() or list(upload_dir.glob("*.xlsx")) == []
    assert "ledger_imports" not in clerk.session


def test_a_file_that_is_not_excel_is_refused_on_the_upload_page(clerk, anze):
    response = upload_file(clerk, b"not a workbook at all", anze)
    assert response.status_code == 200
    assert "文件未能导入，台账没有任何修改" in text_of(response)
    assert "不是有效的 Excel 工作簿" in text_of(response)


def test_a_file_over_the_limit_is_refused_naming_the_limit(clerk, anze, upload_dir):
    response = upload_file(clerk, b"PK" + b"\0" * (11 * 1024 * 1024), anze)
    assert response.status_code == 200
    assert "超过 10 MB 的上限" in text_of(response)
    assert not upload_dir.exists() or list(upload_dir.glob("*.xlsx")) == []


def test_the_confirmation_judges_the_stored_file_again_against_the_ledger_as_it_is(clerk, anze, stored):
    content = ledger_bytes("unsupplied", [unsupplied_row("0001", **{"未供面积（亩）": 5})])
    preview_url = upload_file(clerk, content, anze)["Location"]
    assert 'ledger-updated">1<' in text_of(clerk.get(preview_url))
    # Meanwhile 6 亩 of 0001 is disposed of: the file's 5 亩 no longer fits.
    DisposalFactory(
        parcel=Parcel.objects.get(code="0001"), area_mu=Decimal("6"), date=datetime.date(2023, 1, 5)
    )
    before = database_snapshot()
    response = clerk.post(preview_url, {"confirm": "1"})
    assert response.status_code == 200
    assert "面积不能小于已处置面积 6.0000 亩。" in text_of(response)
    assert database_snapshot() == before


def test_a_stored_file_changed_on_the_server_is_not_imported(clerk, anze, upload_dir):
    preview_url = upload_file(clerk, the_file(), anze)["Location"]
    (stored_file,) = upload_dir.glob("*.xlsx")
    stored_file.write_bytes(ledger_bytes("unsupplied", [unsupplied_row("EVIL")]))
    response = clerk.post(preview_url, {"confirm": "1"})
    assert response.status_code == 302 and response["Location"] == IMPORT
    assert not Parcel.objects.exists()


def test_another_session_cannot_confirm_someone_elses_upload(client, clerk_anze, make_user, anze):
    from leadership.choices import Role

    client.force_login(clerk_anze)
    preview_url = upload_file(client, the_file(), anze)["Location"]
    client.logout()
    client.force_login(make_user("clerk_anze_2", Role.COUNTY_CLERK, anze))
    response = client.post(preview_url, {"confirm": "1"})
    assert response.status_code == 302 and response["Location"] == IMPORT
    assert not Parcel.objects.exists()


def test_cancelling_keeps_nothing(clerk, anze, upload_dir):
    preview_url = upload_file(clerk, the_file(), anze)["Location"]
    response = clerk.post(preview_url, {"cancel": "1"})
    assert response.status_code == 302
    assert list(upload_dir.glob("*.xlsx")) == [] and not Parcel.objects.exists()


def test_a_clerk_imports_only_into_their_own_county(clerk, anze, xiangning):
    form = clerk.get(IMPORT).context["form"]
    assert list(form.fields["county"].queryset) == [anze]
    response = upload_file(clerk, the_file(), xiangning)
    assert response.status_code == 200 and "county" in response.context["form"].errors
    assert not Parcel.objects.exists()


def test_the_county_office_may_not_import(client, office_anze, anze):
    client.force_login(office_anze)
    assert 'ledger/import/"' not in client.get(CHANGELIST).content.decode()
    assert client.get(IMPORT).status_code == 403
    assert upload_file(client, the_file(), anze).status_code == 403


def test_the_export_honours_the_changelists_filters_and_the_users_scope(clerk, anze, xiangning):
    ParcelFactory(county=anze, code="0001", name="唐城镇北")
    ParcelFactory(county=anze, code="0002", name="府城镇东")
    ParcelFactory(county=xiangning, code="0001", name="唐城村")
    changelist = clerk.get(CHANGELIST, {"kind__exact": "unsupplied", "q": "唐城"}).content.decode()
    assert f'href="{EXPORT}?kind__exact=unsupplied&amp;q=%E5%94%90%E5%9F%8E"' in changelist
    response = clerk.get(EXPORT, {"kind__exact": "unsupplied", "q": "唐城"})
    assert response.status_code == 200
    sheets = read_back(b"".join(response.streaming_content))
    assert list(sheets) == ["批而未供"]
    assert [(row[0], row[1]) for row in sheets["批而未供"][1:]] == [("141026", "0001")]
    everything = read_back(b"".join(clerk.get(EXPORT).streaming_content))
    assert [row[1] for row in everything["批而未供"][1:]] == ["0001", "0002"]  # 乡宁's 0001 is not there


def test_an_export_past_the_limit_goes_back_to_the_list_with_the_reason(clerk, anze, settings):
    settings.LEDGER_EXPORT_MAX_ROWS = 1
    ParcelFactory(county=anze, code="0001", name="唐城镇北")
    ParcelFactory(county=anze, code="0002", name="府城镇东")
    response = clerk.get(EXPORT, {"kind__exact": "unsupplied"})
    assert response.status_code == 302
    assert response["Location"] == f"{CHANGELIST}?kind__exact=unsupplied"
    page = clerk.get(response["Location"]).content.decode()
    assert "符合条件的地块有 2 宗，超过一次导出的上限 1 宗" in page
    # One parcel is within the limit.
    response = clerk.get(EXPORT, {"kind__exact": "unsupplied", "q": "唐城"})
    assert response.status_code == 200
    assert [row[1] for row in read_back(b"".join(response.streaming_content))["批而未供"][1:]] == ["0001"]


def test_the_template_from_the_admin_offers_the_clerks_towns(clerk):
    response = clerk.get(TEMPLATE, {"kind": "unsupplied"})
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    assert workbook.sheetnames == ["批而未供", "选项", "填表说明"]
    assert workbook["选项"]["A2"].value == "府城镇"
