"""The load mix of ``bench/load.py``: county clerks writing disposals at once, the city reading progress.

Run through ``bench/load.py``, which creates the accounts, starts gunicorn, passes this file its settings
in ``LANDTRACK_LOAD_CONFIG`` and checks the database afterwards. Every disposal a clerk manages to record
is written to ``created`` in the results file, so that the check can compare what the server said it
stored with what the database holds: nothing lost, nothing counted twice.
"""

import datetime
import json
import os
import random
from decimal import Decimal

from locust import HttpUser, between, events, task

CONFIG = json.loads(open(os.environ["LANDTRACK_LOAD_CONFIG"], encoding="utf-8").read())
CREATED = []  # (disposal id, parcel id, area) of every 201
REFUSED_AS_EXPECTED = {"count": 0}
METHOD_FOR_KIND = {"unsupplied": "supply_transfer", "idle": "deadline_extended"}


class ApiUser(HttpUser):
    abstract = True
    wait_time = between(0.05, 0.3)

    def on_start(self):
        self.client.headers["Authorization"] = f"Token {self.account['token']}"

    def get(self, url, name):
        with self.client.get(url, name=name, catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"{response.status_code}: {response.text[:200]}")


class ClerkUser(ApiUser):
    """A county clerk: reads the county's ledger and records small disposals, often on the same parcels
    as the other clerks of the county, so that the parcel row lock is contended."""

    weight = 4

    def on_start(self):
        self.account = random.choice(CONFIG["clerks"])
        super().on_start()
        self.county = self.account["county"]
        self.parcels = self.account["parcels"]  # [{id, kind, base_date}], shared by the county's clerks

    @task(4)
    def list_parcels(self):
        page = random.randint(1, max(1, self.account["pages"]))
        self.get(f"/api/v1/parcels/?county={self.county}&page={page}", "/api/v1/parcels/?county=[county]")

    @task(3)
    def parcel_detail(self):
        parcel = random.choice(self.parcels)
        self.get(f"/api/v1/parcels/{parcel['id']}/", "/api/v1/parcels/[id]/")

    @task(2)
    def county_progress(self):
        self.get(f"/api/v1/progress/{self.county}/?year={CONFIG['year']}", "/api/v1/progress/[county]/")

    @task(4)
    def record_disposal(self):
        parcel = random.choice(self.parcels)
        today = datetime.date.fromisoformat(CONFIG["today"])
        first = max(datetime.date.fromisoformat(parcel["base_date"]), datetime.date(CONFIG["year"], 1, 1))
        date = first + datetime.timedelta(days=random.randint(0, max(0, (today - first).days)))
        area = Decimal(random.randint(1, 300)) / 100  # 0.01–3.00 亩
        body = {
            "method": METHOD_FOR_KIND[parcel["kind"]],
            "area_mu": str(area),
            "date": date.isoformat(),
            "note": CONFIG["tag"],
        }
        with self.client.post(
            f"/api/v1/parcels/{parcel['id']}/disposals/", json=body, name="POST /api/v1/parcels/[id]/disposals/",
            catch_response=True,
        ) as response:
            if response.status_code == 201:
                CREATED.append((response.json()["id"], parcel["id"], str(area)))
            elif response.status_code == 400 and "area_mu" in response.text:
                # Another clerk took the rest of the parcel first: the refusal the lock exists for.
                REFUSED_AS_EXPECTED["count"] += 1
                response.success()
            else:
                response.failure(f"{response.status_code}: {response.text[:200]}")


class CityUser(ApiUser):
    """The city bureau: reads every county's progress and lists."""

    weight = 1

    def on_start(self):
        self.account = CONFIG["city"]
        super().on_start()

    @task(3)
    def progress(self):
        self.get(f"/api/v1/progress/?year={CONFIG['year']}", "/api/v1/progress/ (city)")

    @task(2)
    def list_parcels(self):
        page = random.randint(1, 20)
        self.get(f"/api/v1/parcels/?page={page}", "/api/v1/parcels/ (city)")

    @task(1)
    def county_progress(self):
        county = random.choice(CONFIG["city"]["counties"])
        self.get(f"/api/v1/progress/{county}/?year={CONFIG['year']}", "/api/v1/progress/[county]/ (city)")


@events.test_stop.add_listener
def write_results(environment, **kwargs):
    with open(CONFIG["results"], "w", encoding="utf-8") as out:
        json.dump({"created": CREATED, "refused_as_expected": REFUSED_AS_EXPECTED["count"]}, out)
