"""Synthetic ledgers at national size, for the benchmark and load tests (``generate_demo_data``).

Everything is generated from one seed, so two runs with the same arguments write the same data. Rows go
in through ``bulk_create`` in batches: the services' per-row checks and history would take hours at a
million parcels, so the generator itself keeps every rule the models enforce (required fields per kind,
methods that fit the kind and the idle cause, disposals within the parcel's area, dated after its
approval or supply and not in the future) and fills the denormalised figures (``disposed_area_mu``, the
progress rollup) the way the services would.

Synthetic regions use province codes 900000–990000, which GB/T 2260 leaves unassigned, so they never
collide with real divisions such as 临汾市 141000.
"""

import datetime
import random
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection, reset_queries, transaction
from django.utils import timezone

from leadership.choices import RegionLevel, UnitKind
from leadership.models import Region, Unit
from parcels.choices import (
    ARTICLE_12_METHODS,
    METHODS_BY_KIND,
    ExpropriationStatus,
    GovernmentCause,
    IdleCause,
    ParcelKind,
    SupplyMethod,
    UnsuppliedReason,
)
from parcels.models import Disposal, Parcel
from parcels.rollup import rollup_rebuild
from tasks.choices import TaskCategory
from tasks.models import CountyTask, Milestone

SYNTHETIC_PREFIX = "9"
COUNTIES_PER_CITY = 19
CITIES_PER_PROVINCE = 15
# Provinces 90–99: room for the country's 2,850 county-level divisions, exactly.
MAX_COUNTIES = 10 * CITIES_PER_PROVINCE * COUNTIES_PER_CITY
BATCH = 5000
FOUR_PLACES = Decimal("0.0001")

# Syllables for place names: realistic enough on a dashboard, never a real county by accident (the codes
# keep them apart anyway).
SYLLABLES = (
    "安 宝 昌 崇 东 丰 富 广 海 和 河 鹤 华 嘉 建 江 金 锦 景 康 乐 临 龙 隆 明 宁 平 清 庆 仁 瑞 山 寿 顺 泰 "
    "天 通 文 武 西 兴 阳 永 裕 元 云 长 镇 中"
).split()
TOWN_SUFFIXES = ("镇", "镇", "镇", "乡", "街道")
UNIT_NAMES = (
    ("自然资源局", UnitKind.NATURAL_RESOURCES),
    ("财政局", UnitKind.FINANCE),
    ("行政审批服务管理局", UnitKind.APPROVAL),
    ("住房和城乡建设局", UnitKind.HOUSING),
)
USES = ("工业用地", "商服用地", "住宅用地", "公共管理与公共服务用地", "交通运输用地")
APPROVERS = ("国务院", "山西省人民政府")


@dataclass
class Summary:
    provinces: int = 0
    cities: int = 0
    counties: int = 0
    towns: int = 0
    units: int = 0
    parcels: int = 0
    disposals: int = 0
    tasks: int = 0
    milestones: int = 0


def synthetic_regions():
    return Region.objects.filter(code__startswith=SYNTHETIC_PREFIX)


def _name(rng, length, suffix):
    return "".join(rng.choice(SYLLABLES) for _ in range(length)) + suffix


def _date_between(rng, start, end):
    if end <= start:
        return start
    return start + datetime.timedelta(days=rng.randrange((end - start).days + 1))


def _area(rng):
    """An area in 亩 as a county ledger has it: many small parcels, a few large ones, 2–4 decimals."""
    value = Decimal(str(round(rng.lognormvariate(2.6, 0.9), 2)))
    return max(value, Decimal("0.50"))


class Generator:
    """Writes N synthetic counties with M parcels among them (and their towns, units, tasks, disposals)."""

    def __init__(self, *, counties, parcels, seed, disposals_per_parcel=2.0, years=None, today=None, out=None):
        self.county_count = counties
        self.parcel_count = parcels
        self.rng = random.Random(seed)
        self.disposals_per_parcel = disposals_per_parcel
        self.today = today or timezone.localdate()
        self.years = years or [self.today.year - 1, self.today.year]
        self.out = out or (lambda message: None)
        self.summary = Summary()

    # -- regions -------------------------------------------------------------------------------------

    def make_regions(self):
        rng = self.rng
        per_province = COUNTIES_PER_CITY * CITIES_PER_PROVINCE
        provinces = []
        for p in range((self.county_count + per_province - 1) // per_province):
            provinces.append(
                Region(code=f"9{p}0000", name=_name(rng, 2, "省") + f"（合成{p}）", level=RegionLevel.PROVINCE)
            )
        Region.objects.bulk_create(provinces)
        provinces = list(synthetic_regions().filter(level=RegionLevel.PROVINCE).order_by("code"))

        cities, remaining = [], self.county_count
        for province in provinces:
            for c in range(1, CITIES_PER_PROVINCE + 1):
                if remaining <= 0:
                    break
                cities.append(
                    Region(code=f"{province.code[:2]}{c:02d}00", name=_name(rng, 2, "市"),
                           level=RegionLevel.CITY, parent=province)
                )
                remaining -= COUNTIES_PER_CITY
        Region.objects.bulk_create(cities)
        cities = list(synthetic_regions().filter(level=RegionLevel.CITY).order_by("code"))

        counties, remaining = [], self.county_count
        for city in cities:
            for d in range(1, min(COUNTIES_PER_CITY, remaining) + 1):
                suffix = rng.choice(("县", "县", "县", "市", "区"))
                counties.append(
                    Region(code=f"{city.code[:4]}{d:02d}", name=_name(rng, 2, suffix),
                           level=RegionLevel.COUNTY, parent=city)
                )
            remaining -= COUNTIES_PER_CITY
        Region.objects.bulk_create(counties, batch_size=BATCH)
        counties = list(synthetic_regions().filter(level=RegionLevel.COUNTY).order_by("code"))

        towns = []
        for county in counties:
            for t in range(rng.randint(4, 9)):
                suffix = rng.choice(TOWN_SUFFIXES)
                number = (100 + t) if suffix != "乡" else (200 + t)
                towns.append(
                    Region(code=f"{county.code}{number:03d}", name=_name(rng, 2, suffix),
                           level=RegionLevel.TOWN, parent=county)
                )
            if rng.random() < 0.3:
                towns.append(
                    Region(code=f"{county.code}400", name=_name(rng, 2, "经济开发区"),
                           level=RegionLevel.ZONE, parent=county)
                )
        # Town codes repeat a county's digits with an offset, so a clash would only come from a bug here.
        Region.objects.bulk_create(towns, batch_size=BATCH)

        units = []
        for county in counties:
            for order, (name, kind) in enumerate(UNIT_NAMES):
                units.append(Unit(region=county, name=f"{county.name}{name}", kind=kind, order=order))
        Unit.objects.bulk_create(units, batch_size=BATCH)

        self.summary.provinces, self.summary.cities = len(provinces), len(cities)
        self.summary.counties, self.summary.towns, self.summary.units = len(counties), len(towns), len(units)
        self.counties = counties
        self.towns_by_county = {}
        for town in synthetic_regions().filter(level__in=[RegionLevel.TOWN, RegionLevel.ZONE]).values(
            "pk", "parent_id"
        ):
            self.towns_by_county.setdefault(town["parent_id"], []).append(town["pk"])
        self.units_by_county = {}
        for unit in Unit.objects.filter(region__in=[c.pk for c in counties]).values("pk", "region_id"):
            self.units_by_county.setdefault(unit["region_id"], []).append(unit["pk"])

    # -- parcels and disposals ----------------------------------------------------------------------

    def _parcel_counts(self):
        """How many parcels each county gets: uneven, as real counties are, summing to the total."""
        rng = self.rng
        weights = [rng.uniform(0.3, 1.7) for _ in self.counties]
        total = sum(weights)
        counts = [int(self.parcel_count * w / total) for w in weights]
        for i in range(self.parcel_count - sum(counts)):
            counts[i % len(counts)] += 1
        return counts

    def _parcel(self, county, number):
        rng = self.rng
        kind = ParcelKind.UNSUPPLIED if rng.random() < 0.7 else ParcelKind.IDLE
        towns = self.towns_by_county.get(county.pk) or [None]
        units = self.units_by_county.get(county.pk) or [None]
        parcel = Parcel(
            county_id=county.pk,
            town_id=rng.choice(towns),
            code=f"{county.code}-{number:06d}",
            name=f"{_name(rng, 2, '')}{rng.choice(('工业园', '商住', '物流', '安置房', '道路', '学校'))}项目",
            location=_name(rng, 2, "村"),
            kind=kind,
            area_mu=_area(rng),
            land_use=rng.choice(USES),
            responsible_unit_id=rng.choice(units),
        )
        if kind == ParcelKind.UNSUPPLIED:
            parcel.approval_date = _date_between(rng, datetime.date(2009, 1, 1), datetime.date(2022, 12, 31))
            parcel.approval_number = f"晋政地字〔{parcel.approval_date.year}〕{rng.randint(1, 400)}号"
            parcel.approving_authority = rng.choice(APPROVERS)
            parcel.batch_name = f"{parcel.approval_date.year}年度第{rng.randint(1, 12)}批次"
            parcel.expropriation_status = rng.choice(ExpropriationStatus.values)
            parcel.unsupplied_reason = rng.choice(UnsuppliedReason.values)
        else:
            parcel.supply_date = _date_between(rng, datetime.date(2009, 1, 1), datetime.date(2022, 6, 30))
            parcel.supply_method = rng.choice(SupplyMethod.values)
            parcel.agreed_start_date = parcel.supply_date + datetime.timedelta(days=rng.randint(90, 365))
            parcel.land_user = f"{_name(rng, 2, '')}{rng.choice(('实业', '置业', '能源', '物流'))}有限公司"
            parcel.supervision_number = f"{county.code}{parcel.supply_date.year}B{number % 100000:05d}"
            parcel.contract_number = f"{county.code}-{parcel.supply_date.year}-{number:05d}"
            parcel.price_wan = (parcel.area_mu * Decimal(rng.randint(8, 60))).quantize(FOUR_PLACES)
            if rng.random() < 0.3:
                parcel.idle_cause = IdleCause.GOVERNMENT
                parcel.government_cause = rng.choice(GovernmentCause.values)
            else:
                parcel.idle_cause = IdleCause.USER
        return parcel

    def _disposals(self, parcel):
        """Dated parts of the parcel disposed of, never more than its area, none before its base date."""
        rng = self.rng
        mean = self.disposals_per_parcel
        # Between 0 and 2×mean disposals, so that the total is close to mean × parcels.
        count = rng.randint(0, round(2 * mean))
        if not count:
            return []
        if parcel.kind == ParcelKind.IDLE and parcel.idle_cause == IdleCause.GOVERNMENT:
            methods = ARTICLE_12_METHODS
        else:
            methods = METHODS_BY_KIND[parcel.kind]
        earliest = max(parcel.base_date, datetime.date(min(self.years) - 1, 1, 1))
        remaining = parcel.area_mu
        disposals = []
        for _ in range(count):
            if remaining <= 0:
                break
            share = Decimal(str(round(rng.uniform(0.05, 0.4), 2)))
            area = min(remaining, (parcel.area_mu * share).quantize(FOUR_PLACES))
            if area <= 0:
                break
            remaining -= area
            disposals.append(
                Disposal(
                    method=rng.choice(methods),
                    area_mu=area,
                    date=_date_between(rng, earliest, self.today),
                    document_number=f"处置〔{self.today.year}〕{rng.randint(1, 999)}号",
                )
            )
        return disposals

    def make_parcels(self):
        pending_parcels, pending_disposals = [], []

        def flush():
            created = Parcel.objects.bulk_create(pending_parcels, batch_size=BATCH)
            rows = []
            for parcel, disposals in zip(created, pending_disposals, strict=True):
                for disposal in disposals:
                    disposal.parcel_id = parcel.pk
                    disposal.county_id, disposal.kind = parcel.county_id, parcel.kind
                    rows.append(disposal)
            Disposal.objects.bulk_create(rows, batch_size=BATCH)
            reset_queries()  # with DEBUG on, the query log would keep every INSERT of millions of rows
            self.summary.parcels += len(created)
            self.summary.disposals += len(rows)
            pending_parcels.clear()
            pending_disposals.clear()

        for county, count in zip(self.counties, self._parcel_counts(), strict=True):
            for number in range(1, count + 1):
                parcel = self._parcel(county, number)
                disposals = self._disposals(parcel)
                parcel.disposed_area_mu = sum((d.area_mu for d in disposals), Decimal(0))
                pending_parcels.append(parcel)
                pending_disposals.append(disposals)
                if len(pending_parcels) >= BATCH:
                    flush()
                    if self.summary.parcels % 100_000 == 0:
                        self.out(f"  {self.summary.parcels:,} 宗地块，{self.summary.disposals:,} 条处置记录")
        if pending_parcels:
            flush()

    # -- tasks ---------------------------------------------------------------------------------------

    def make_tasks(self):
        """One task a year per county, of one kind or both, sized from the county's generated ledger."""
        rng = self.rng
        tasks = []
        for county in self.counties:
            for year in self.years:
                category = rng.choice(
                    (TaskCategory.UNSUPPLIED, TaskCategory.BOTH, TaskCategory.BOTH, TaskCategory.IDLE)
                )
                tasks.append(
                    CountyTask(
                        county_id=county.pk,
                        year=year,
                        category=category,
                        name=f"{county.name}{year}年度{TaskCategory(category).label}消化任务",
                        target_area_mu=Decimal(rng.randint(200, 3000)),
                        assigned_by="市规划和自然资源局",
                        document_number=f"合成〔{year}〕{rng.randint(1, 99)}号",
                        start_date=datetime.date(year, 1, 1),
                        end_date=datetime.date(year, 12, 31),
                    )
                )
        created = CountyTask.objects.bulk_create(tasks, batch_size=BATCH)
        milestones = [
            Milestone(task_id=task.pk, due=due, target_rate=rate)
            for task in created
            for due, rate in task.default_milestones()
        ]
        Milestone.objects.bulk_create(milestones, batch_size=BATCH)
        self.summary.tasks, self.summary.milestones = len(created), len(milestones)

    def run(self):
        with transaction.atomic():
            self.make_regions()
            self.out(f"区划：{self.summary.counties:,} 个县、{self.summary.towns:,} 个乡镇")
            self.make_parcels()
            self.make_tasks()
            rollup_rebuild()
        # VACUUM cannot run inside a transaction (a caller's, or a test's): then the statistics wait for
        # autovacuum.
        if connection.vendor == "postgresql" and not connection.in_atomic_block:
            with connection.cursor() as cursor:
                # Fresh statistics and visibility maps, as autovacuum would leave them on a live database.
                cursor.execute("VACUUM ANALYZE")
        return self.summary
