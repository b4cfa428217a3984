"""The API's resources, declared for the matrix in ``harness.py``."""

import datetime
from decimal import Decimal

from leadership.choices import Role
from leadership.models import GroupMember, LeadershipGroup, Region, Unit
from parcels import services as parcel_services
from parcels.models import Disposal, Parcel
from tasks import services as task_services
from tasks.models import CountyTask, RectificationItem
from tests.factories import ParcelFactory

from .harness import Resource


class ParcelResource(Resource):
    def make(self, county, index=0):
        return ParcelFactory(county=county, code=f"M-{county.code}-{index}")

    def create_payload(self, county):
        return {
            "county": county.code,
            "kind": "unsupplied",
            "code": "NEW-001",
            "name": "新增地块",
            "area_mu": "8.1234",
            "approval_number": "晋政地字〔2021〕9号",
            "approval_date": "2021-04-01",
            "expropriation_status": "completed",
            "unsupplied_reason": "no_user",
        }

    def update_payload(self, obj):
        return {"name": "改过的名称", "area_mu": "9.5"}


class DisposalResource(Resource):
    """Disposals live under their parcel: /parcels/{id}/disposals/."""

    def parent(self, county):
        parcel = ParcelFactory(county=county, code=f"P-{county.code}", area_mu=Decimal("100"))
        return parcel

    def list_url_for(self, county):
        from parcels.models import Parcel

        parcel = Parcel.objects.filter(county=county, code=f"P-{county.code}").first() or self.parent(county)
        return f"/api/v1/parcels/{parcel.pk}/disposals/"

    def make(self, county, index=0):
        from parcels.models import Parcel

        parcel = Parcel.objects.filter(county=county, code=f"P-{county.code}").first() or self.parent(county)
        return parcel_services.disposal_record(
            parcel=parcel,
            method="supply_transfer",
            area_mu=Decimal("1.5"),
            date=datetime.date(2022, 5, index + 1),
        )

    def detail_url(self, obj):
        return f"/api/v1/parcels/{obj.parcel_id}/disposals/{obj.pk}/"

    def create_payload(self, county):
        return {
            "method": "supply_lease",
            "area_mu": "2.25",
            "date": "2022-07-01",
            "document_number": "租赁合同",
        }

    def exists(self, obj):
        return Disposal.objects.filter(pk=obj.pk).exists()


class TaskResource(Resource):
    def make(self, county, index=0):
        return task_services.task_create(
            county=county, year=2001 + index, category="unsupplied", target_area_mu=Decimal("50")
        )

    def create_payload(self, county):
        return {"county": county.code, "year": 2030, "category": "idle", "target_area_mu": "12.5"}

    def update_payload(self, obj):
        return {"target_area_mu": "30", "document_number": "临自然资发〔2030〕1号"}


class RectificationResource(Resource):
    def stale_payload(self, obj):
        return {"title": "覆盖"}

    def make(self, county, index=0):
        return task_services.rectification_save(
            item=RectificationItem(
                county=county, title=f"整改事项{index}", deadline=datetime.date(2024, 1, 1)
            )
        )

    def create_payload(self, county):
        return {"county": county.code, "title": "新的整改事项", "deadline": "2024-06-30"}

    def update_payload(self, obj):
        return {"status": "in_progress", "description": "正在推进"}


class UnitResource(Resource):
    def make(self, county, index=0):
        return Unit.objects.create(region=county, name=f"单位{county.code}-{index}", kind="finance")


class LeadershipGroupResource(Resource):
    def make(self, county, index=0):
        group = LeadershipGroup.objects.create(region=county, name=f"领导小组{index}")
        GroupMember.objects.create(group=group, order=1, role="leader", name="组长甲", title="副县长")
        GroupMember.objects.create(group=group, order=2, role="member", name="成员乙", title="局长")
        return group


class RegionResource(Resource):
    def make(self, county, index=0):
        return Region.objects.create(
            code=f"{county.code}{300 + index}", name=f"测试镇{index}", level="town", parent=county
        )

    def detail_url(self, obj):
        return f"{self.list_url}{obj.code}/"

    def key(self, obj):
        return obj.code


RESOURCES = [
    ParcelResource(
        "parcels",
        "/api/v1/parcels/",
        writer_roles={Role.COUNTY_CLERK},
        has_etag=True,
        # The counts and the page; the parcels of several counties would add the catalog stamp (their
        # codes held by the process, to put them in order: tests/parcels/test_pagination.py).
        list_queries=2,
        model=Parcel,
    ),
    DisposalResource(
        "disposals",
        "",
        writer_roles={Role.COUNTY_CLERK},
        can_update=False,
        list_queries=3,
        model=Disposal,
    ),
    TaskResource(
        "tasks",
        "/api/v1/tasks/",
        writer_roles={Role.CITY_BUREAU},
        has_etag=True,
        list_queries=3,
        model=CountyTask,
    ),
    RectificationResource(
        "rectifications",
        "/api/v1/rectifications/",
        writer_roles={Role.COUNTY_OFFICE},
        can_delete=False,
        has_etag=True,
        list_queries=3,
        model=RectificationItem,
    ),
    UnitResource(
        "units",
        "/api/v1/units/",
        can_create=False,
        can_update=False,
        can_delete=False,
        has_history=False,
        list_queries=2,
    ),
    LeadershipGroupResource(
        "leadership-groups",
        "/api/v1/leadership-groups/",
        can_create=False,
        can_update=False,
        can_delete=False,
        has_history=False,
        list_queries=3,
    ),
    RegionResource(
        "regions",
        "/api/v1/regions/",
        can_create=False,
        can_update=False,
        can_delete=False,
        has_history=False,
        scoped=False,
        list_queries=2,
    ),
]

__all__ = ["RESOURCES"]
