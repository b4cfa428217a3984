"""Supply records from the monitoring system: the suspected-idle rule and the ledger line opened from one."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from parcels.models import Parcel, SupplyRecord
from tests.api.harness import client_for
from tests.factories import supply_record as record
from tests.helpers import database_snapshot

pytestmark = pytest.mark.django_db

D = datetime.date


def suspected(client, as_of):
    rows = client.get(
        "/api/v1/supply-records/", {"flag": "suspected_idle", "as_of": as_of.isoformat()}
    ).json()
    return sorted(row["supervision_number"] for row in rows["results"])


@pytest.mark.parametrize(
    "as_of, expected",
    [
        (D(2021, 4, 30), []),
        (D(2021, 5, 1), ["B"]),  # B: no agreed start, so one full year after the handover of 30 April 2020
        (
            D(2021, 9, 30),
            ["B"],
        ),  # A: the last day of the first full year after its agreed start, 30 Sept 2020
        (D(2021, 10, 1), ["A", "B"]),
    ],
)
def test_a_record_is_suspected_idle_one_full_year_after_the_agreed_start_or_handover(
    users, anze, as_of, expected
):
    record(anze, "A")
    record(anze, "B", agreed_start_date=None)
    record(anze, "C", agreed_start_date=None, agreed_delivery_date=None)  # nothing to count from
    record(anze, "D", actual_start_date=D(2021, 3, 1))  # started in time
    assert suspected(client_for(users["clerk"]), as_of) == expected


def test_a_late_start_ends_the_suspicion_from_that_day(users, anze):
    record(anze, "E", actual_start_date=D(2022, 6, 1))
    client = client_for(users["clerk"])
    assert suspected(client, D(2022, 5, 31)) == ["E"]
    assert suspected(client, D(2022, 6, 1)) == []
    row = client.get("/api/v1/supply-records/", {"as_of": "2022-05-31"}).json()["results"][0]
    assert row["flags"] == ["suspected_idle"] and row["area_mu"] == "18.52"  # 1.2345 公顷 × 15 = 18.5175


def test_records_are_scoped_by_county(users, anze, xiangning):
    record(xiangning, "XN-1")
    assert client_for(users["clerk"]).get("/api/v1/supply-records/").json()["count"] == 0
    assert client_for(users["city"]).get("/api/v1/supply-records/").json()["count"] == 1


def test_a_record_opens_an_idle_ledger_line_prefilled_from_it(users, anze):
    source = record(anze, "1410262020B00001")
    client = client_for(users["clerk"])
    response = client.post(
        f"/api/v1/supply-records/{source.pk}/to-parcel/", {"idle_cause": "user"}, format="json"
    )
    assert response.status_code == 201, response.content
    parcel = response.json()
    assert (parcel["kind"], parcel["code"], parcel["supervision_number"]) == (
        "idle",
        "1410262020B00001",
        "1410262020B00001",
    )
    assert (parcel["land_user"], parcel["supply_date"], parcel["agreed_start_date"]) == (
        "某某公司",
        "2020-03-01",
        "2020-09-30",
    )
    assert parcel["area_mu"] == "18.52" and Parcel.objects.get(pk=parcel["id"]).area_mu == Decimal("18.5175")
    source.refresh_from_db()
    assert source.parcel_id == parcel["id"]
    again = client.post(
        f"/api/v1/supply-records/{source.pk}/to-parcel/", {"idle_cause": "user"}, format="json"
    )
    assert again.status_code == 409


def test_opening_a_ledger_line_needs_what_the_record_lacks(users, anze):
    source = record(anze, "NOSTART", agreed_start_date=None)
    client = client_for(users["clerk"])
    before = database_snapshot()
    response = client.post(
        f"/api/v1/supply-records/{source.pk}/to-parcel/", {"idle_cause": "user"}, format="json"
    )
    assert response.status_code == 400
    assert response.json() == {"agreed_start_date": ["闲置土地地块必须填写约定开工时间。"]}
    assert database_snapshot() == before
    assert client.post(f"/api/v1/supply-records/{source.pk}/to-parcel/", {}, format="json").status_code == 400


@pytest.mark.parametrize("field", ["code", "land_user", "not_started_reason"])
def test_a_number_given_for_a_text_of_the_ledger_line_is_refused(users, anze, field):
    """As everywhere in the API: a code sent as 12 would lose the leading zeros of "0012"."""
    source = record(anze, "NUMBERS")
    before = database_snapshot()
    response = client_for(users["clerk"]).post(
        f"/api/v1/supply-records/{source.pk}/to-parcel/", {"idle_cause": "user", field: 12}, format="json"
    )
    assert response.status_code == 400
    assert response.json() == {field: ["请填写文本（JSON 字符串）。"]}
    assert database_snapshot() == before


def test_only_the_countys_clerk_opens_ledger_lines(users, anze):
    source = record(anze, "R1")
    url = f"/api/v1/supply-records/{source.pk}/to-parcel/"
    assert client_for(users["office"]).post(url, {"idle_cause": "user"}, format="json").status_code == 403
    assert (
        client_for(users["other_clerk"]).post(url, {"idle_cause": "user"}, format="json").status_code == 404
    )
    assert client_for(None).post(url, {"idle_cause": "user"}, format="json").status_code == 401


def post_idle_ledger_line(client, add_url, county):
    """The admin's add form of an idle ledger line, opened at ``add_url``, filled in and sent."""
    from tests.admin_forms import admin_form_data

    data = admin_form_data(
        client.get(add_url),
        county=county.pk,
        name="某工业项目",
        area_mu="18.5175",
        land_user="某某公司",
        supply_method="transfer",
        supply_date="2020-03-01",
        agreed_start_date="2020-09-30",
        idle_cause="user",
    )
    return client.post(add_url, data)


def test_the_admin_offers_a_prefilled_ledger_line_and_links_it(client, users, anze):
    source = record(anze, "ADMIN-1")
    client.force_login(users["clerk"])
    listing = client.get(reverse("admin:parcels_supplyrecord_changelist")).content.decode()
    assert "疑似闲置" in listing and "生成台账" in listing
    add_url = reverse("admin:parcels_parcel_add") + f"?supply_record={source.pk}&kind=idle&code=ADMIN-1"
    form = client.get(add_url).context["adminform"].form
    assert form.initial["code"] == "ADMIN-1"
    response = post_idle_ledger_line(client, add_url, anze)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    source.refresh_from_db()
    assert source.parcel.code == "ADMIN-1"


# ---------------------------------------------------------------------------------------------------
# Import of the monitoring system's export (POST /supply-records/import/)

EXPORT_HEADERS = [
    "电子监管号",
    "项目名称",
    "土地使用权人",
    "供地方式",
    "面积（公顷）",
    "土地用途",
    "成交价格（万元）",
    "合同签订日期",
    "约定交地时间",
    "约定开工时间",
    "约定竣工时间",
    "实际开工时间",
    "实际竣工时间",
]


def export_file(rows, *, title_rows=1, headers=EXPORT_HEADERS):
    """An .xlsx as the monitoring system exports it: a title line, the header row, then the records."""
    import io

    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "供地结果"
    for _ in range(title_rows):
        sheet.append(["土地市场动态监测与监管系统 供地结果查询"])
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    content = io.BytesIO()
    workbook.save(content)
    content.seek(0)
    content.name = "供地结果.xlsx"
    return content


def upload(client, rows=None, *, content=None, county="141026", dry_run=None, **options):
    data = {"file": content if content is not None else export_file(rows, **options)}
    if county is not None:
        data["county"] = county
    if dry_run is not None:
        data["dry_run"] = "true" if dry_run else "false"
    return client.post("/api/v1/supply-records/import/", data, format="multipart")


GOOD_ROWS = [
    # number, project, user, method, ha, use, price, contract, handover, start, completion, actual start, end
    [
        "1410262020B00001",
        "工业项目一",
        "甲公司",
        "挂牌出让",
        1.2345,
        "工业用地",
        800,
        D(2020, 3, 1),
        D(2020, 4, 30),
        D(2020, 9, 30),
        D(2022, 9, 30),
        None,
        None,
    ],
    [
        "1410262020B00002",
        "商住项目二",
        "乙公司",
        "划拨",
        "0.5",
        "住宅用地",
        None,
        "2020/5/6",
        "2020年6月1日",
        None,
        None,
        None,
        None,
    ],
    [
        "1410262021B00003",
        "物流项目三",
        "丙公司",
        "出让",
        2.000000000000001,
        "仓储用地",
        "1530.5",
        "2021-01-10",
        "2021-02-01",
        "2021-05-01",
        "2023-05-01",
        "2021-04-20",
        None,
    ],
]


def test_an_export_is_imported_and_reimporting_it_changes_nothing(users, anze):
    clerk = client_for(users["clerk"])
    response = upload(clerk, GOOD_ROWS)
    assert response.status_code == 200, response.content
    assert response.json() == {"dry_run": False, "created": 3, "updated": 0, "unchanged": 0}
    first = SupplyRecord.objects.get(supervision_number="1410262020B00001")
    assert (first.county_id, first.supply_method, first.area_ha, first.price_wan) == (
        anze.pk,
        "transfer",
        Decimal("1.2345"),
        Decimal("800"),
    )
    assert (first.contract_date, first.agreed_delivery_date, first.agreed_start_date) == (
        D(2020, 3, 1),
        D(2020, 4, 30),
        D(2020, 9, 30),
    )
    second = SupplyRecord.objects.get(supervision_number="1410262020B00002")
    # Dates written as text in two forms; no agreed start; 划拨.
    assert (
        second.supply_method,
        second.contract_date,
        second.agreed_delivery_date,
        second.agreed_start_date,
    ) == (
        "allocation",
        D(2020, 5, 6),
        D(2020, 6, 1),
        None,
    )
    # 2.000000000000001 is a float's noise: read as Excel shows it, 2.
    assert SupplyRecord.objects.get(supervision_number="1410262021B00003").area_ha == Decimal("2")
    assert first.history.first().history_user == users["clerk"]

    assert upload(clerk, GOOD_ROWS).json() == {"dry_run": False, "created": 0, "updated": 0, "unchanged": 3}
    changed = [list(row) for row in GOOD_ROWS]
    changed[1][11] = D(2021, 8, 1)  # the second project has started since
    assert upload(clerk, changed).json() == {"dry_run": False, "created": 0, "updated": 1, "unchanged": 2}
    assert SupplyRecord.objects.get(supervision_number="1410262020B00002").actual_start_date == D(2021, 8, 1)


def test_a_dry_run_checks_and_writes_nothing(users, anze):
    before = database_snapshot()
    response = upload(client_for(users["clerk"]), GOOD_ROWS, dry_run=True)
    assert response.json() == {"dry_run": True, "created": 3, "updated": 0, "unchanged": 0}
    assert database_snapshot() == before


def test_every_bad_row_is_listed_and_nothing_is_written(users, anze, xiangning):
    record(xiangning, "1410292020B00009")  # already registered to 乡宁
    rows = [
        GOOD_ROWS[0],
        [
            "1410262020B00005",
            "",
            "丁公司",
            "出让",
            "一点二",
            "工业用地",
            -5,
            "2020-02-30",
            None,
            None,
            None,
            None,
            None,
        ],
        ["1410262020B00001", "重复项目", "戊公司", "赠与", 1, "", None, None, None, None, None, None, None],
        [
            "1410292020B00009",
            "他县项目",
            "己公司",
            "出让",
            1,
            "",
            None,
            None,
            None,
            None,
            None,
            D(2099, 1, 1),
            None,
        ],
        [
            "1410262020B00006",
            "竣工早于开工",
            "庚公司",
            "出让",
            0,
            "",
            None,
            None,
            None,
            None,
            None,
            D(2021, 5, 1),
            D(2021, 4, 1),
        ],
    ]
    before = database_snapshot()
    response = upload(client_for(users["clerk"]), rows)
    assert response.status_code == 400
    errors = [(error["row"], error["column"]) for error in response.json()["errors"]]
    # By row, then in the export's column order.
    assert errors == [
        (4, "项目名称"),  # required
        (4, "面积（公顷）"),  # "一点二" is not a number
        (4, "成交价格（万元）"),  # negative
        (4, "合同签订日期"),  # 30 February
        (5, "电子监管号"),  # the same as row 3 (the first record)
        (5, "供地方式"),  # 赠与 is no supply method
        (6, "电子监管号"),  # 乡宁's record
        (6, "实际开工时间"),  # in the future
        (7, "面积（公顷）"),  # 0
        (7, "实际竣工时间"),  # before the start
    ]
    messages = {(error["row"], error["column"]): error["message"] for error in response.json()["errors"]}
    assert messages[(4, "合同签订日期")] == "日期“2020-02-30”不存在。"
    assert messages[(5, "电子监管号")] == "电子监管号“1410262020B00001”与第 3 行重复。"
    assert "不能导入安泽县" in messages[(6, "电子监管号")]
    assert database_snapshot() == before


@pytest.mark.parametrize(
    "content, message",
    [
        (b"", "文件是空的。"),
        (b"not a workbook", "不是有效的 Excel 工作簿"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1old", "旧版 Excel（.xls）"),
    ],
)
def test_a_file_that_is_not_an_export_is_refused_as_a_whole(users, anze, content, message):
    import io

    source = io.BytesIO(content)
    source.name = "供地结果.xlsx"
    response = upload(client_for(users["clerk"]), content=source)
    assert response.status_code == 400
    (error,) = response.json()["errors"]
    assert (error["row"], error["column"]) == (None, None) and message in error["message"]


def test_an_export_without_its_headers_is_refused(users, anze):
    response = upload(client_for(users["clerk"]), [["x"]], headers=["编号", "名称"])
    assert response.status_code == 400
    assert "没有找到供地结果的表头行" in response.json()["errors"][0]["message"]
    response = upload(client_for(users["clerk"]), [["1", "1"]], headers=["电子监管号", "面积（公顷）"])
    assert "缺少必填列：项目名称" in response.json()["errors"][0]["message"]


def test_who_may_import(users, anze):
    assert upload(client_for(users["office"]), GOOD_ROWS).status_code == 403
    assert upload(client_for(users["city"]), GOOD_ROWS).status_code == 403
    assert upload(client_for(users["other_clerk"]), GOOD_ROWS).status_code == 404
    assert upload(client_for(None), GOOD_ROWS).status_code == 401
    # A clerk's own county is the default; an unknown code is a 400 naming the field.
    assert upload(client_for(users["clerk"]), GOOD_ROWS, county=None).status_code == 200
    response = upload(client_for(users["admin"]), GOOD_ROWS, county="999999")
    assert response.status_code == 400 and list(response.json()) == ["county"]
    # The county is named as on every other endpoint (parcels.api.ledger_views.resolve_county).
    response = upload(client_for(users["admin"]), GOOD_ROWS, county="14102")
    assert response.json() == {"county": ["县（市、区）代码应为 6 位数字，如 141026。"]}
    assert SupplyRecord.objects.count() == 3


def test_an_upload_far_over_the_size_limit_is_refused_unread(users, anze, monkeypatch):
    import io

    from parcels.api import rules_views

    def unread(**kwargs):
        raise AssertionError("the upload was read")

    monkeypatch.setattr(rules_views, "supply_records_import", unread)
    source = io.BytesIO(b"PK" + b"\0" * (11 * 1024 * 1024))
    source.name = "供地结果.xlsx"
    response = upload(client_for(users["clerk"]), content=source)
    assert response.status_code == 400
    assert response.json() == {
        "errors": [
            {
                "row": None,
                "column": None,
                "message": "文件大小为 11.0 MB，超过 10 MB 的上限；请删去无关的工作表或拆分后分批导入。",
            }
        ]
    }


def test_an_import_that_meets_another_imports_new_record_writes_nothing_and_answers_409(
    users, anze, monkeypatch
):
    from parcels import services, supply_records

    create = services.bulk_create_with_history

    def raced(records, model, **kwargs):
        # Another clerk's import created the first number after this one read the stored records.
        record(anze, records[0].supervision_number)
        return create(records, model, **kwargs)

    monkeypatch.setattr(services, "bulk_create_with_history", raced)
    before = database_snapshot()
    response = upload(client_for(users["clerk"]), GOOD_ROWS)
    assert response.status_code == 409
    assert response.json() == {"detail": supply_records.CONFLICT_MESSAGE}
    assert database_snapshot() == before


@pytest.mark.parametrize("count", [3, 60])
def test_the_import_query_count_does_not_grow_with_rows(users, anze, count, django_assert_max_num_queries):
    rows = [
        [f"14102620200{n:05d}", f"项目{n}", "某公司", "出让", 1, "", None, None, None, D(2020, 1, 1)]
        + [None] * 3
        for n in range(count)
    ]
    clerk = client_for(users["clerk"])
    # the county, the stored records (locked), the inserts and their history in batches
    with django_assert_max_num_queries(8):
        assert upload(clerk, rows).json()["created"] == count
    with django_assert_max_num_queries(8):
        assert upload(clerk, rows).json()["unchanged"] == count


def test_what_a_record_lacks_can_be_given_when_opening_its_ledger_line(users, anze):
    source = record(anze, "NOCONTRACT", contract_date=None, land_user="", supply_method="")
    client = client_for(users["clerk"])
    url = f"/api/v1/supply-records/{source.pk}/to-parcel/"
    refused = client.post(url, {"idle_cause": "user"}, format="json")
    assert refused.status_code == 400
    assert set(refused.json()) == {"land_user", "supply_method", "supply_date"}
    response = client.post(
        url,
        {
            "idle_cause": "user",
            "supply_date": "2020-03-15",
            "land_user": "某某公司",
            "supply_method": "transfer",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    assert (response.json()["supply_date"], response.json()["land_user"]) == ("2020-03-15", "某某公司")


def test_the_admin_imports_an_export_all_or_nothing(client, users, anze):
    client.force_login(users["clerk"])
    listing = client.get(reverse("admin:parcels_supplyrecord_changelist")).content.decode()
    url = reverse("admin:parcels_supplyrecord_import")
    assert url in listing
    page = client.get(url)
    assert list(page.context["form"].fields["county"].queryset) == [anze]  # a clerk imports their county

    bad = [
        list(GOOD_ROWS[0]),
        ["1410262020B00007", "", "甲", "出让", "x", "", None, None, None, None, None, None, None],
    ]
    before = database_snapshot()
    response = client.post(url, {"file": export_file(bad), "county": anze.pk})
    assert response.status_code == 200
    html = response.content.decode()
    assert "没有导入任何记录" in html and "第 4 行" in html and "面积（公顷）" in html
    assert database_snapshot() == before

    checked = client.post(url, {"file": export_file(GOOD_ROWS), "county": anze.pk, "dry_run": "on"})
    assert "检查通过，导入后将新增 3 条" in checked.content.decode()
    assert database_snapshot() == before

    done = client.post(url, {"file": export_file(GOOD_ROWS), "county": anze.pk}, follow=True)
    assert "新增 3 条" in done.content.decode()
    assert SupplyRecord.objects.filter(county=anze).count() == 3

    client.force_login(users["office"])
    assert client.get(url).status_code == 403
    assert url not in client.get(reverse("admin:parcels_supplyrecord_changelist")).content.decode()


@pytest.mark.parametrize("extra", [0, 10])
def test_the_record_list_costs_the_same_queries_however_many_records(
    users, anze, extra, django_assert_num_queries
):
    from tests.factories import IdleParcelFactory

    for n in range(3 + extra):
        # every other record already opened its ledger line: the link is shown without reading the parcel
        parcel = IdleParcelFactory(county=anze, code=f"LIST-{n:03d}") if n % 2 else None
        record(anze, f"LIST-{n:03d}", parcel=parcel)
    clerk = client_for(users["clerk"])
    # the count, then the page with each record's county
    with django_assert_num_queries(2):
        body = clerk.get("/api/v1/supply-records/", {"flag": "suspected_idle", "as_of": "2022-06-30"}).json()
    assert body["count"] == 3 + extra
    assert [row["flags"] for row in body["results"]] == [["suspected_idle"]] * (3 + extra)
    assert body["results"][1]["parcel"] is not None and body["results"][1]["county"] == "141026"


@pytest.mark.parametrize(
    "fields, field, message",
    [
        ({"area_ha": Decimal("0")}, "area_ha", "面积必须大于 0 公顷。"),
        ({"contract_date": D(2999, 1, 1)}, "contract_date", "合同签订日期不能晚于今天。"),
        ({"actual_start_date": D(2999, 1, 1)}, "actual_start_date", "实际开工时间不能晚于今天。"),
        (
            {"actual_start_date": D(2021, 5, 1), "actual_completion_date": D(2021, 4, 1)},
            "actual_completion_date",
            "实际竣工时间不能早于实际开工时间 2021年5月1日。",
        ),
    ],
)
def test_the_model_itself_refuses_what_the_import_refuses(anze, fields, field, message):
    """The rules live on SupplyRecord, so the admin and the shell refuse the same rows as the importer."""
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as refused:
        record(anze, "1410262020B00099", **fields)
    assert refused.value.message_dict[field] == [message]
    assert not SupplyRecord.objects.filter(supervision_number="1410262020B00099").exists()


@pytest.mark.parametrize(
    "fields",
    [
        {"area_ha": Decimal("0")},
        {"actual_start_date": D(2021, 5, 1), "actual_completion_date": D(2021, 4, 1)},
    ],
)
def test_the_database_refuses_them_too_when_save_is_skipped(anze, fields):
    from django.db import IntegrityError, transaction

    values = dict(county=anze, supervision_number="1410262020B00098", project_name="某项目", area_ha=Decimal("1"))
    values.update(fields)
    with pytest.raises(IntegrityError), transaction.atomic():
        SupplyRecord.objects.bulk_create([SupplyRecord(**values)])
