"""In the admin, each role sees and changes only what DOMAIN.md §2 allows — lists, choices and pages."""

import pytest
from django.urls import reverse

from leadership.choices import Role
from leadership.models import Region
from parcels.models import Parcel
from tasks.models import CountyTask
from tests.admin_forms import admin_form_data
from tests.factories import UserFactory
from tests.helpers import database_snapshot

pytestmark = pytest.mark.django_db


@pytest.fixture
def login(client, demo):
    def sign_in(username, role, region_code):
        user = UserFactory(
            username=username, role=role, region=Region.objects.get(code=region_code) if region_code else None
        )
        client.force_login(user)
        return client

    return sign_in


def listed_codes(client):
    response = client.get(reverse("admin:parcels_parcel_changelist"), {"all": ""})
    assert response.status_code == 200
    return {parcel.code for parcel in response.context["cl"].result_list}


def test_a_clerk_lists_only_their_countys_parcels(login):
    client = login("az_clerk", Role.COUNTY_CLERK, "141026")
    assert listed_codes(client) == set(
        Parcel.objects.filter(county__code="141026").values_list("code", flat=True)
    )
    assert not any(code.startswith("XN") for code in listed_codes(client))


def test_a_clerk_cannot_open_another_countys_parcel(login):
    client = login("az_clerk", Role.COUNTY_CLERK, "141026")
    other = Parcel.objects.get(code="XN2022-001")
    response = client.get(reverse("admin:parcels_parcel_change", args=[other.pk]))
    assert response.status_code == 302  # the admin's "does not exist" redirect
    assert "XN2022-001" not in client.get(response.url).content.decode()
    # A parcel with recorded history is not readable through its history page either.
    from parcels import services

    services.parcel_update(parcel=other, name="乡宁地块改名")
    history = client.get(reverse("admin:parcels_parcel_history", args=[other.pk]))
    assert history.status_code == 403
    assert "乡宁地块改名" not in history.content.decode()


def test_choice_lists_hold_only_the_clerks_county(login):
    client = login("az_clerk", Role.COUNTY_CLERK, "141026")
    form = client.get(reverse("admin:parcels_parcel_add")).context["adminform"].form
    assert [region.code for region in form.fields["county"].queryset] == ["141026"]
    assert {region.parent.code for region in form.fields["town"].queryset} == {"141026"}
    assert {unit.region.code for unit in form.fields["responsible_unit"].queryset} == {"141026"}


def test_the_county_filter_offers_only_the_clerks_county(login):
    client = login("az_clerk", Role.COUNTY_CLERK, "141026")
    response = client.get(reverse("admin:parcels_parcel_changelist"))
    page = response.content.decode()
    assert "?county=141026" in page and "?county=141029" not in page


def test_a_clerk_cannot_post_a_parcel_into_another_county(login):
    client = login("az_clerk", Role.COUNTY_CLERK, "141026")
    response = client.get(reverse("admin:parcels_parcel_add"))
    before = database_snapshot()
    data = admin_form_data(
        response,
        county=Region.objects.get(code="141029").pk,
        code="SNEAK-1",
        name="越权地块",
        kind="unsupplied",
        area_mu="1",
        approval_number="x",
        approval_date="2020-01-01",
        expropriation_status="completed",
        unsupplied_reason="other",
    )
    response = client.post(reverse("admin:parcels_parcel_add"), data)
    assert response.status_code == 200
    assert "county" in response.context["adminform"].form.errors
    assert database_snapshot() == before


def test_the_office_reads_parcels_but_cannot_change_them(login):
    client = login("az_office", Role.COUNTY_OFFICE, "141026")
    parcel = Parcel.objects.get(code="AZ-PW-003")
    url = reverse("admin:parcels_parcel_change", args=[parcel.pk])
    response = client.get(url)
    assert response.status_code == 200
    assert not response.context["has_change_permission"]
    assert client.get(reverse("admin:parcels_parcel_add")).status_code == 403
    before = database_snapshot()
    assert client.post(url, {"name": "改"}).status_code == 403
    assert database_snapshot() == before


def test_the_city_reads_every_county_of_its_city_and_assigns_tasks(login):
    client = login("lf_city", Role.CITY_BUREAU, "141000")
    assert listed_codes(client) == set(Parcel.objects.values_list("code", flat=True))
    assert client.get(reverse("admin:parcels_parcel_add")).status_code == 403
    response = client.get(reverse("admin:tasks_countytask_add"))
    assert response.status_code == 200
    counties = response.context["adminform"].form.fields["county"].queryset
    assert counties.count() == 17
    data = admin_form_data(
        response,
        county=Region.objects.get(code="141002").pk,
        year="2024",
        category="unsupplied",
        target_area_mu="12",
    )
    assert client.post(reverse("admin:tasks_countytask_add"), data).status_code == 302
    assert CountyTask.objects.filter(county__code="141002", year=2024).exists()


def test_a_clerk_cannot_see_users_or_change_regions(login):
    client = login("az_clerk", Role.COUNTY_CLERK, "141026")
    assert client.get(reverse("admin:leadership_user_changelist")).status_code == 403
    region = Region.objects.get(code="141026")
    response = client.get(reverse("admin:leadership_region_change", args=[region.pk]))
    assert response.status_code == 200 and not response.context["has_change_permission"]


def test_the_office_manages_its_rectification_items_only(login):
    client = login("xn_office", Role.COUNTY_OFFICE, "141029")
    response = client.get(reverse("admin:tasks_rectificationitem_changelist"))
    assert response.context["cl"].result_count == 7
    anze_office = login("az_office", Role.COUNTY_OFFICE, "141026")
    assert (
        anze_office.get(reverse("admin:tasks_rectificationitem_changelist")).context["cl"].result_count == 0
    )


def test_a_user_without_a_role_is_kept_out_of_the_admin(client, demo):
    client.force_login(UserFactory(username="nobody", role="", region=None))
    response = client.get(reverse("admin:parcels_parcel_changelist"))
    assert response.status_code == 403
