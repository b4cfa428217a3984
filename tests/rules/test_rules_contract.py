"""The policy rules read back as an outside client would (API.md "Rules, reminders, reports and maps").

Everything is built through the API only — parcels and disposals by the county clerks, supply records by
importing the monitoring system's export, tasks by the city bureau, rectification items by the county
office — and read back as flags, fees, suspected idle land, reminders and overdue items for each role.

Full years (民法典 arts. 201–203, DOMAIN.md §4): a period of n years from D excludes D and ends with the
end of D's n-th anniversary (for 29 February in a common year: 28 February); it "has passed" from the
next day. Every boundary below is worked out by hand in the comments.
"""

import io

import pytest
from openpyxl import Workbook
from rest_framework.test import APIClient

from leadership.choices import Role
from leadership.models import Region
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

FLAGS = ("approval_lapsing", "approval_lapsed", "idle_fee_due", "free_recovery_eligible", "plan_overdue")


def api(user=None):
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def ok(response, status=201):
    assert response.status_code == status, response.content.decode()
    return response.json()


@pytest.fixture
def people(regions):
    def user(name, role, code):
        return UserFactory(username=name, role=role, region=Region.objects.get(code=code))

    return {
        "anze_clerk": user("anze_clerk", Role.COUNTY_CLERK, "141026"),
        "anze_office": user("anze_office", Role.COUNTY_OFFICE, "141026"),
        "xn_clerk": user("xn_clerk", Role.COUNTY_CLERK, "141029"),
        "xn_office": user("xn_office", Role.COUNTY_OFFICE, "141029"),
        "city": user("city", Role.CITY_BUREAU, "141000"),
    }


def unsupplied(code, approval_date, expropriation="not_started", **extra):
    return {
        "county": "141026",
        "kind": "unsupplied",
        "code": code,
        "name": f"{code}项目",
        "area_mu": "5",
        "approval_number": f"晋政地字〔2020〕{code}号",
        "approval_date": approval_date,
        "expropriation_status": expropriation,
        "unsupplied_reason": "no_user",
        **extra,
    }


def idle(code, agreed_start, supply_date, cause="user", price="", **extra):
    payload = {
        "county": "141026",
        "kind": "idle",
        "code": code,
        "name": f"{code}项目",
        "area_mu": "8",
        "land_user": "某某公司",
        "supply_method": "transfer",
        "supply_date": supply_date,
        "agreed_start_date": agreed_start,
        "idle_cause": cause,
        **extra,
    }
    if price:
        payload["price_wan"] = price
    return payload


@pytest.fixture
def anze_parcels(people):
    """安泽's ledger lines, each placed on a boundary of one rule."""
    clerk = api(people["anze_clerk"])

    def parcel(payload):
        return ok(clerk.post("/api/v1/parcels/", payload, format="json"))["id"]

    def dispose(parcel_id, method, area, date):
        ok(
            clerk.post(
                f"/api/v1/parcels/{parcel_id}/disposals/",
                {"method": method, "area_mu": area, "date": date},
                format="json",
            )
        )

    # L1: approved 2020-06-30, nothing implemented. Two full years end with 2022-06-30, so it lapses
    # from 2022-07-01; the 90 days before that are 2022-04-02 … 2022-06-30 (April 2–30 is 29 days,
    # May 31, June 30: 29 + 31 + 30 = 90).
    parcel(unsupplied("L1", "2020-06-30"))
    # L2: approved on a leap day. Its second anniversary does not exist: February's last day 2022-02-28
    # ends the period, so it lapses from 2022-03-01; the 90 days before: 2021-12-01 … 2022-02-28
    # (31 + 31 + 28 = 90).
    parcel(unsupplied("L2", "2020-02-29"))
    # L3: as L1 but expropriation completed: an approval being implemented never lapses.
    parcel(unsupplied("L3", "2020-06-30", expropriation="completed"))
    # L4: as L1, but 1 亩 withdrawn on 2022-06-15: from that day there is a disposal, so no lapse flag.
    dispose(parcel(unsupplied("L4", "2020-06-30")), "approval_withdrawn", "1", "2022-06-15")
    # F1: user-caused idleness, agreed start 2021-06-30 (DOMAIN.md's example): one full year has passed
    # from 2022-07-01 (idle fee 20 % × 860 = 172 万元), two from 2023-07-01 (free recovery).
    parcel(idle("F1", "2021-06-30", "2021-01-15", price="860"))
    # F2: agreed start on a leap day, 2020-02-29: one full year passed from 2021-03-01, two from
    # 2022-03-01. Fee 20 % × 1234.5678 = 246.91356 → 246.9136 万元.
    parcel(idle("F2", "2020-02-29", "2019-12-01", price="1234.5678"))
    # F3: government-caused: never an idle fee nor free recovery (art. 12 methods only).
    parcel(idle("F3", "2020-01-01", "2019-06-01", cause="government", price="500"))
    # F4: user-caused, agreed start 2020-10-15: fee due from 2021-10-16 (60 万元) — until construction
    # started on 2022-03-01, when both its flags end for good.
    f4 = parcel(idle("F4", "2020-10-15", "2020-05-01", price="300", area_mu="10"))
    dispose(f4, "construction_started", "3", "2022-03-01")
    # F5: as F1 but without a price: the fee is due, its amount unknown (null).
    parcel(idle("F5", "2021-06-30", "2021-01-15", area_mu="2"))
    # P1: planned to be disposed of by 2022-08-31: 4 of 10 亩 on 2022-08-01, the last 6 on 2022-09-10.
    # Overdue from 2022-09-01 (the planned day itself is still in time) until 2022-09-10.
    p1 = parcel(unsupplied("P1", "2019-03-01", "completed", area_mu="10", planned_date="2022-08-31"))
    dispose(p1, "supply_transfer", "4", "2022-08-01")
    dispose(p1, "supply_transfer", "6", "2022-09-10")
    return clerk


# as_of → {code: flags}; a parcel not named carries no flag that day.
EXPECTED_FLAGS = {
    "2021-02-28": {},
    "2021-03-01": {"F2": ["idle_fee_due"]},
    "2021-10-15": {"F2": ["idle_fee_due"]},
    "2021-10-16": {"F2": ["idle_fee_due"], "F4": ["idle_fee_due"]},
    "2021-11-30": {"F2": ["idle_fee_due"], "F4": ["idle_fee_due"]},
    "2021-12-01": {"L2": ["approval_lapsing"], "F2": ["idle_fee_due"], "F4": ["idle_fee_due"]},
    "2022-02-28": {"L2": ["approval_lapsing"], "F2": ["idle_fee_due"], "F4": ["idle_fee_due"]},
    "2022-03-01": {"L2": ["approval_lapsed"], "F2": ["idle_fee_due", "free_recovery_eligible"]},
    "2022-04-01": {"L2": ["approval_lapsed"], "F2": ["idle_fee_due", "free_recovery_eligible"]},
    "2022-04-02": {
        "L1": ["approval_lapsing"],
        "L2": ["approval_lapsed"],
        "L4": ["approval_lapsing"],
        "F2": ["idle_fee_due", "free_recovery_eligible"],
    },
    "2022-06-14": {
        "L1": ["approval_lapsing"],
        "L2": ["approval_lapsed"],
        "L4": ["approval_lapsing"],
        "F2": ["idle_fee_due", "free_recovery_eligible"],
    },
    "2022-06-30": {
        "L1": ["approval_lapsing"],
        "L2": ["approval_lapsed"],
        "F2": ["idle_fee_due", "free_recovery_eligible"],
    },
    "2022-07-01": {
        "L1": ["approval_lapsed"],
        "L2": ["approval_lapsed"],
        "F1": ["idle_fee_due"],
        "F2": ["idle_fee_due", "free_recovery_eligible"],
        "F5": ["idle_fee_due"],
    },
    "2022-08-31": {
        "L1": ["approval_lapsed"],
        "L2": ["approval_lapsed"],
        "F1": ["idle_fee_due"],
        "F2": ["idle_fee_due", "free_recovery_eligible"],
        "F5": ["idle_fee_due"],
    },
    "2022-09-01": {
        "L1": ["approval_lapsed"],
        "L2": ["approval_lapsed"],
        "F1": ["idle_fee_due"],
        "F2": ["idle_fee_due", "free_recovery_eligible"],
        "F5": ["idle_fee_due"],
        "P1": ["plan_overdue"],
    },
    "2022-09-10": {
        "L1": ["approval_lapsed"],
        "L2": ["approval_lapsed"],
        "F1": ["idle_fee_due"],
        "F2": ["idle_fee_due", "free_recovery_eligible"],
        "F5": ["idle_fee_due"],
    },
    "2023-06-30": {
        "L1": ["approval_lapsed"],
        "L2": ["approval_lapsed"],
        "F1": ["idle_fee_due"],
        "F2": ["idle_fee_due", "free_recovery_eligible"],
        "F5": ["idle_fee_due"],
    },
    "2023-07-01": {
        "L1": ["approval_lapsed"],
        "L2": ["approval_lapsed"],
        "F1": ["idle_fee_due", "free_recovery_eligible"],
        "F2": ["idle_fee_due", "free_recovery_eligible"],
        "F5": ["idle_fee_due", "free_recovery_eligible"],
    },
}
# The fee in 万元 whenever idle_fee_due holds: 20 % of the price (F5 has none).
FEES = {"F1": "172.0000", "F2": "246.9136", "F4": "60.0000", "F5": None}


def read_parcels(client, **params):
    body = ok(client.get("/api/v1/parcels/", {"page_size": 500, **params}), 200)
    assert body["count"] == len(body["results"])
    return {row["code"]: row for row in body["results"]}


@pytest.mark.parametrize("as_of", list(EXPECTED_FLAGS))
def test_flags_and_fees_at_every_boundary(anze_parcels, people, as_of):
    rows = read_parcels(anze_parcels, as_of=as_of)
    assert set(rows) == {"L1", "L2", "L3", "L4", "F1", "F2", "F3", "F4", "F5", "P1"}
    expected = EXPECTED_FLAGS[as_of]
    assert {code: row["flags"] for code, row in rows.items() if row["flags"]} == expected
    fees = {code: row["idle_fee_wan"] for code, row in rows.items()}
    assert fees == {code: FEES[code] if "idle_fee_due" in expected.get(code, []) else None for code in rows}
    # ?flag= lists exactly the parcels that carry the flag that day.
    for flag in FLAGS:
        listed = set(read_parcels(anze_parcels, as_of=as_of, flag=flag))
        assert listed == {code for code, flags in expected.items() if flag in flags}, flag


def test_every_role_in_scope_reads_the_same_flags_and_no_one_else_does(anze_parcels, people):
    clerk_view = read_parcels(anze_parcels, as_of="2022-07-01")
    for name in ("anze_office", "city"):
        others = read_parcels(api(people[name]), as_of="2022-07-01", county="141026")
        assert {code: (row["flags"], row["idle_fee_wan"]) for code, row in others.items()} == {
            code: (row["flags"], row["idle_fee_wan"]) for code, row in clerk_view.items()
        }
    outsider = api(people["xn_clerk"])
    assert read_parcels(outsider, as_of="2022-07-01", flag="approval_lapsed") == {}
    assert read_parcels(outsider, as_of="2022-07-01", county="141026") == {}


def test_the_as_of_date_defaults_to_today_and_a_bad_one_is_refused(anze_parcels):
    # Today (2024 or later) every two-year period above has run out.
    rows = read_parcels(anze_parcels)
    assert rows["L1"]["flags"] == ["approval_lapsed"] and rows["F4"]["flags"] == []
    for bad in ("2022-02-30", "tomorrow"):
        response = anze_parcels.get("/api/v1/parcels/", {"as_of": bad})
        assert response.status_code == 400 and list(response.json()) == ["as_of"]
    response = anze_parcels.get("/api/v1/parcels/", {"flag": "lapsed"})
    assert response.status_code == 400 and list(response.json()) == ["flag"]


# ---------------------------------------------------------------------------------------------------
# Supply records from the monitoring system's export

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


def export(rows):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(EXPORT_HEADERS)
    for row in rows:
        sheet.append(row)
    content = io.BytesIO()
    workbook.save(content)
    content.seek(0)
    content.name = "供地结果.xlsx"
    return content


def record_row(number, *, start=None, handover=None, actual=None, price=500):
    # 电子监管号, 项目名称, 土地使用权人, 供地方式, 面积（公顷）, 土地用途, 成交价格（万元）, 合同签订日期, 约定交地时间,
    # 约定开工时间, 约定竣工时间, 实际开工时间, 实际竣工时间
    return [
        number,
        f"{number}项目",
        "某某公司",
        "挂牌出让",
        0.8,
        "工业用地",
        price,
        "2020-01-05",
        handover,
    ] + [
        start,
        None,
        actual,
        None,
    ]


@pytest.fixture
def supply_records(people):
    """S1: agreed start 2021-06-30, not started → suspected from 2022-07-01.
    S2: no agreed start, handed over 2020-02-29 → one full year passed from 2021-03-01.
    S3: agreed start 2021-06-30, started 2022-05-01, within the year: never suspected.
    S4: agreed start 2021-06-30, started late on 2022-08-15: suspected 2022-07-01 … 2022-08-14.
    S5: neither agreed start nor handover: nothing to count from.
    """
    clerk = api(people["anze_clerk"])
    rows = [
        record_row("S1", start="2021-06-30", handover="2021-03-01"),
        record_row("S2", handover="2020-02-29"),
        record_row("S3", start="2021-06-30", actual="2022-05-01"),
        record_row("S4", start="2021-06-30", actual="2022-08-15"),
        record_row("S5"),
    ]
    response = clerk.post("/api/v1/supply-records/import/", {"file": export(rows)}, format="multipart")
    assert ok(response, 200) == {"dry_run": False, "created": 5, "updated": 0, "unchanged": 0}
    return clerk


@pytest.mark.parametrize(
    "as_of, suspected",
    [
        ("2021-02-28", []),
        ("2021-03-01", ["S2"]),
        ("2022-06-30", ["S2"]),
        ("2022-07-01", ["S1", "S2", "S4"]),
        ("2022-08-14", ["S1", "S2", "S4"]),
        ("2022-08-15", ["S1", "S2"]),
    ],
)
def test_suspected_idle_supply_records(supply_records, people, as_of, suspected):
    listed = ok(
        supply_records.get("/api/v1/supply-records/", {"flag": "suspected_idle", "as_of": as_of}), 200
    )
    assert sorted(row["supervision_number"] for row in listed["results"]) == suspected
    every = ok(supply_records.get("/api/v1/supply-records/", {"as_of": as_of}), 200)["results"]
    assert {row["supervision_number"]: row["flags"] for row in every} == {
        number: ["suspected_idle"] if number in suspected else [] for number in ("S1", "S2", "S3", "S4", "S5")
    }
    # The city reads the same; 乡宁's clerk none of them.
    city = ok(
        api(people["city"]).get("/api/v1/supply-records/", {"flag": "suspected_idle", "as_of": as_of}), 200
    )
    assert sorted(row["supervision_number"] for row in city["results"]) == suspected
    assert ok(api(people["xn_clerk"]).get("/api/v1/supply-records/"), 200)["count"] == 0


def test_a_suspected_record_becomes_an_idle_ledger_line_with_its_fee(supply_records):
    records = ok(supply_records.get("/api/v1/supply-records/", {"search": "S1"}), 200)["results"]
    (s1,) = [row for row in records if row["supervision_number"] == "S1"]
    parcel = ok(
        supply_records.post(
            f"/api/v1/supply-records/{s1['id']}/to-parcel/",
            {"idle_cause": "user", "town": "141026100"},
            format="json",
        )
    )
    # 0.8 公顷 × 15 = 12 亩; agreed start 2021-06-30 → fee due from 2022-07-01: 20 % × 500 = 100 万元.
    assert (parcel["code"], parcel["kind"], parcel["area_mu"], parcel["agreed_start_date"]) == (
        "S1",
        "idle",
        "12.00",
        "2021-06-30",
    )
    before = ok(supply_records.get(f"/api/v1/parcels/{parcel['id']}/", {"as_of": "2022-06-30"}), 200)
    after = ok(supply_records.get(f"/api/v1/parcels/{parcel['id']}/", {"as_of": "2022-07-01"}), 200)
    assert (before["flags"], before["idle_fee_wan"]) == ([], None)
    assert (after["flags"], after["idle_fee_wan"]) == (["idle_fee_due"], "100.0000")
    again = supply_records.post(
        f"/api/v1/supply-records/{s1['id']}/to-parcel/", {"idle_cause": "user"}, format="json"
    )
    assert again.status_code == 409


def test_a_bad_export_is_refused_whole(supply_records):
    rows = [record_row("S6", start="2021-02-30"), record_row("S7", start="2021-06-30")]
    response = supply_records.post(
        "/api/v1/supply-records/import/", {"file": export(rows)}, format="multipart"
    )
    assert response.status_code == 400
    assert response.json() == {
        "errors": [{"row": 2, "column": "约定开工时间", "message": "日期“2021-02-30”不存在。"}]
    }
    assert ok(supply_records.get("/api/v1/supply-records/"), 200)["count"] == 5  # S7 not written either


# ---------------------------------------------------------------------------------------------------
# 乡宁: rectification items and reminders, as of 2022-09-20 (reminding up to 14 days ahead: 2022-10-04)


@pytest.fixture
def xiangning(people):
    city, clerk, office = api(people["city"]), api(people["xn_clerk"]), api(people["xn_office"])
    # The 2022 批而未供 task, 10 亩, the notice's milestones: 30 Sept requires 85 % = 8.50 亩.
    ok(
        city.post(
            "/api/v1/tasks/",
            {"county": "141029", "year": 2022, "category": "unsupplied", "target_area_mu": "10"},
            format="json",
        )
    )

    def parcel(code, approval_date, expropriation, **extra):
        payload = {**unsupplied(code, approval_date, expropriation), "county": "141029", **extra}
        return ok(clerk.post("/api/v1/parcels/", payload, format="json"))["id"]

    # XP1: 6 of 10 亩 supplied on 2022-06-01; planned to be done by 2022-10-01.
    xp1 = parcel("XP1", "2021-01-05", "completed", area_mu="10", planned_date="2022-10-01")
    ok(
        clerk.post(
            f"/api/v1/parcels/{xp1}/disposals/",
            {"method": "supply_transfer", "area_mu": "6", "date": "2022-06-01"},
            format="json",
        )
    )
    # Approvals with nothing implemented, lapsing on the day after their second anniversary:
    parcel("XP2", "2020-10-01", "not_started")  # lapses 2022-10-02: 12 days after 20 Sept
    parcel("XP3", "2020-10-03", "not_started")  # lapses 2022-10-04: 14 days, the horizon's last day
    parcel("XP4", "2020-10-04", "not_started")  # lapses 2022-10-05: 15 days, not yet a reminder

    def item(title, deadline, **extra):
        payload = {"county": "141029", "title": title, "deadline": deadline, **extra}
        return ok(office.post("/api/v1/rectifications/", payload, format="json"))

    items = {
        "R1": item("R1 明确责任主体", "2022-09-15"),
        "R2": item("R2 完善工作制度", "2022-09-30", status="in_progress"),
        "R3": item("R3 编制储备计划", "2022-09-01", status="done", completed_date="2022-08-30"),
        "R4": item("R4 区域评价", "2022-10-20"),
        "R5": item("R5 标准地出让", "2022-10-04"),
        "R6": item("R6 清理闲置", "2022-10-05"),
    }
    return {"office": office, "clerk": clerk, "items": items}


def reminders(client, as_of):
    return ok(client.get("/api/v1/reminders/", {"as_of": as_of}), 200)


XIANGNING_REMINDERS = [
    # (kind, due, days_left, in the title)
    ("rectification", "2022-09-15", -5, "R1 明确责任主体"),  # overdue by 5 days
    ("milestone", "2022-09-30", 10, "还需 2.50 亩"),  # 85 % of 10 = 8.50, 6 done
    ("rectification", "2022-09-30", 10, "R2 完善工作制度"),
    ("parcel", "2022-10-01", 11, "XP1"),  # 10 − 6 = 4 亩 left
    ("parcel", "2022-10-02", 12, "XP2"),
    ("parcel", "2022-10-04", 14, "XP3"),
    ("rectification", "2022-10-04", 14, "R5 标准地出让"),
]


def summary(items):
    return [(item["kind"], item["due"], item["days_left"]) for item in items]


def test_the_county_office_is_reminded_of_what_is_due_soonest_first(xiangning, people):
    items = reminders(xiangning["office"], "2022-09-20")
    assert summary(items) == [entry[:3] for entry in XIANGNING_REMINDERS]
    for item, (_, _, _, words) in zip(items, XIANGNING_REMINDERS, strict=True):
        assert set(item) == {"kind", "due", "days_left", "county", "title", "url"}
        assert item["county"] == "141029" and words in item["title"] and item["url"].startswith("/")
    assert "尚余 4.00 亩" in items[3]["title"]
    # The clerk of the county reads the same; 安泽's office none of it.
    assert reminders(xiangning["clerk"], "2022-09-20") == items
    assert summary(reminders(api(people["anze_office"]), "2022-09-20")) == []


def test_the_city_is_reminded_of_every_county(xiangning, anze_parcels, people):
    # 安泽 adds its lapsed approvals: L2 from 2022-03-01 (203 days before 20 Sept: 31 + 30 + 31 + 30 + 31
    # + 31 + 19) and L1 from 2022-07-01 (31 + 31 + 19 = 81 days). L4 has a disposal; P1 was finished on
    # 10 Sept, so its plan is no longer a reminder.
    items = reminders(api(people["city"]), "2022-09-20")
    assert summary(items) == [
        ("parcel", "2022-03-01", -203),
        ("parcel", "2022-07-01", -81),
        *[entry[:3] for entry in XIANGNING_REMINDERS],
    ]
    assert [item["county"] for item in items[:2]] == ["141026", "141026"]
    assert "L2" in items[0]["title"] and "L1" in items[1]["title"]
    assert summary(reminders(api(people["anze_clerk"]), "2022-09-20")) == summary(items[:2])


def test_reminders_move_with_the_date(xiangning):
    # 5 Oct: R1 and R2 overdue; the milestone of 30 Sept missed (6 < 8.50); XP1's plan overdue since 1 Oct;
    # XP2, XP3 lapsed; XP4 lapses today (0 days); R5 overdue; R6 due today.
    items = reminders(xiangning["office"], "2022-10-05")
    assert summary(items) == [
        ("rectification", "2022-09-15", -20),
        ("milestone", "2022-09-30", -5),
        ("rectification", "2022-09-30", -5),
        ("parcel", "2022-10-01", -4),
        ("parcel", "2022-10-02", -3),
        ("parcel", "2022-10-04", -1),
        ("rectification", "2022-10-04", -1),
        ("parcel", "2022-10-05", 0),
        ("rectification", "2022-10-05", 0),
    ]
    assert "未达到" in items[1]["title"] and "还差 2.50 亩" in items[1]["title"]


def test_a_bad_reminder_date_is_refused(xiangning):
    response = xiangning["office"].get("/api/v1/reminders/", {"as_of": "2022-13-01"})
    assert response.status_code == 400 and list(response.json()) == ["as_of"]
    assert api().get("/api/v1/reminders/").status_code == 401


def test_rectification_items_follow_their_status_flow_and_show_overdue(xiangning, people):
    office, items = xiangning["office"], xiangning["items"]

    def patch(key, **data):
        return office.patch(f"/api/v1/rectifications/{items[key]['id']}/", data, format="json")

    # 未开始 → 已销号 skips the flow; 已完成 → 已销号 needs evidence; 已销号 is final.
    assert patch("R1", status="closed", completed_date="2022-09-10", evidence="验收报告").status_code == 400
    response = patch("R3", status="closed")
    assert response.status_code == 400 and "evidence" in response.json()
    closed = ok(patch("R3", status="closed", evidence="市局验收意见（2022-09-02）"), 200)
    assert (closed["status"], closed["overdue"]) == ("closed", False)
    assert patch("R3", status="in_progress").status_code == 400
    assert ok(patch("R1", status="in_progress"), 200)["status"] == "in_progress"
    # Overdue today (the deadlines all lie in 2022): every item not done or closed.
    overdue = ok(office.get("/api/v1/rectifications/", {"overdue": "true"}), 200)["results"]
    assert sorted(item["title"][:2] for item in overdue) == ["R1", "R2", "R4", "R5", "R6"]
    assert all(item["overdue"] for item in overdue)
    done = ok(office.get("/api/v1/rectifications/", {"status": "closed"}), 200)["results"]
    assert [item["title"][:2] for item in done] == ["R3"]
    # Only the county office writes them; 安泽's office does not see them.
    assert (
        xiangning["clerk"]
        .post("/api/v1/rectifications/", {"county": "141029", "title": "x"}, format="json")
        .status_code
        == 403
    )
    assert api(people["anze_office"]).get(f"/api/v1/rectifications/{items['R1']['id']}/").status_code == 404


def test_the_per_county_rectification_list_counts_overdue_items_as_of_a_date(client, xiangning, people):
    client.force_login(people["xn_office"])
    page = client.get("/dashboard/141029/rectifications/", {"as_of": "2022-09-20"})
    # 20 Sept: only R1 (15 Sept, not started) is past its deadline; R3 was done on 30 August.
    assert page.context["overdue"] == 1
    assert [item.title[:2] for item in page.context["items"] if item.overdue_now] == ["R1"]
    assert client.get("/dashboard/141026/rectifications/").status_code == 404
