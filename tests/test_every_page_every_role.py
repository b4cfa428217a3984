"""Every page and endpoint of LandTrack, as every demo account and anonymously, on the demo data.

The URLs come from the admin registry and the URL resolver, not from a list kept by hand, so that a
page added later is crawled too: each ModelAdmin's own URLs (the changelist with a choice of each of
its filters, searches, facets and its sort by all columns; the add page; the change, history,
past-version and delete pages of an object of each county and shape; its custom pages), the autocomplete
of every relation, the admin site's own pages, and every route outside the admin with each object id or
county code its parameters take, with typical and nonsensical query strings, and the links the
dashboards offer, one step on. A parameter the crawler does not know how to fill fails the test.

Each answer must be below 500; a refusal must be 401, 403, 404, 405 or a redirect to a sign-in page (the
admin's "not found" redirect to its index for an object outside the user's scope); a county account
must find nothing of the other demo county in it (its parcels, units, people, items; its name and towns
outside the regions' reference pages); anonymous must find no ledger data at all; HTML must be Chinese:
``lang="zh-hans"``, no English error page and no English words a reader meets beyond a few on purpose
(file formats, the product's name); a JSON error's messages must be Chinese too.
"""

import html
import io
import json
import re
from collections import defaultdict
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlsplit

import pytest
from django.contrib import admin
from django.contrib.admin.utils import quote
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import models
from django.urls import URLResolver, get_resolver, resolve
from django.urls.exceptions import Resolver404
from rest_framework.authtoken.models import Token

from landtrack.management.commands.demo_setup import DEMO_ACCOUNTS
from leadership.choices import RegionLevel
from leadership.models import Region, User, masked_key

pytestmark = pytest.mark.django_db

DEMO_COUNTIES = ("141026", "141029")  # 安泽县, 乡宁县: the demo's two counties
# Region codes the routes that take one are tried with: the demo counties, a county without demo data,
# the city, a town, a zone, and codes that name nothing.
COUNTY_CODES = ("141026", "141029", "141021", "141000", "141026100", "141029400", "999999", "x")
# Query strings tried on every route of LandTrack's own outside the admin that names no object and answers
# 200 as it is: the demo's dates, each county, searches for each county's parcels, the list filters, nonsense.
QUERIES = (
    "?year=2022&as_of=2022-09-05&month=9&county=141026&search=XN2022",
    "?year=2023&as_of=2023-11-30&month=11&county=141029&category=both&search=AZ-PW",
    "?county=141000&kind=idle&status=pending&flag=plan_overdue&page_size=500",
    "?year=abc&as_of=2022-02-30&month=13&county=%27&page=99",
)
SEARCHES = ("AZ-PW", "XN2022")  # each demo county's parcel codes
# What makes a model's pages differ from one object to the next: a parcel's kind (an idle parcel's page has
# the 令53 procedure).
SHAPES = {"parcels.parcel": "kind"}

LOGIN_PATHS = ("/admin/login/", "/accounts/login/")
ENGLISH_ERRORS = ("Not Found", "Forbidden", "Bad Request", "Server Error", "Method Not Allowed", "Traceback")
# English words a Chinese page may show: the product's name, file formats, encodings and coordinate systems,
# and the keys of the keyboard (Django's "按住 Control 或 Mac 上的 Command 键").
ENGLISH_ON_PURPOSE = {
    "LandTrack", "Excel", "xlsx", "TXT", "txt", "GeoJSON", "UTF", "GBK", "EPSG", "CGCS", "API", "OpenAPI",
    "Control", "Command", "Mac",
}  # fmt: skip
# What django-axes writes in its records, not a translatable word: the path of a sign-in without a request
# (the test client's force_login), and a sign-in record's name (AccessLog.__str__, built with an f-string).
AXES_OWN_TEXT = ("<unknown>", "Access Log for")
CJK = re.compile(r"[\u3400-\u9fff]")
# django.contrib.auth.hashers.mask_hash: a salt or hash shown by its first characters, the rest as "*".
MASKED_HASH = re.compile(r"[^\s*]*\*{4,}")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# A 100 m square in CGCS2000 3° zone 37 (tests/maps/samples.py), for the demo parcel named in it.
BOUNDARY = """[属性描述]
格式版本号=1.01版本
数据产生单位=临汾市某测绘有限公司
数据产生日期=2023-06-01
坐标系=2000国家大地坐标系
几度分带=3
投影类型=高斯克吕格
计量单位=米
带号=37
精度=0.001
转换参数=,,,,,,
[地块坐标]
5,1.0000,{code},{name},面,J49G066070,工业用地,0601,@
J1,1,{x}.000,37500000.000
J2,1,{x_north}.000,37500000.000
J3,1,{x_north}.000,37500100.000
J4,1,{x}.000,37500100.000
J1,1,{x}.000,37500000.000
"""


@pytest.fixture
def demo_site(db):
    """The demo of ``make run``, with what it lacks so that every page has a row of each county to show:
    a supply record, a parcel boundary and a parcel changed since it was loaded, in each demo county."""
    from parcels.boundary_services import boundary_upload
    from parcels.models import Parcel, SupplyRecord
    from parcels.services import parcel_update

    call_command("demo_setup", verbosity=0, stdout=io.StringIO())
    for number, code in enumerate(DEMO_COUNTIES):
        county = Region.objects.get(code=code)
        parcel = Parcel.objects.filter(county=county).order_by("code").first()
        SupplyRecord.objects.create(
            county=county,
            supervision_number=f"14{code}2021B0000{number}",
            project_name=f"{county.name}供地记录（示例）",
            land_user=f"{county.name}示例公司",
            supply_method="transfer",
            area_ha="1.0000",
            price_wan="300.0000",
            contract_date="2021-03-01",
            agreed_start_date="2021-09-01",
        )
        x = 3985000 + number * 1000
        content = BOUNDARY.format(code=parcel.code, name=parcel.name, x=x, x_north=x + 100)
        boundary_upload(parcel=parcel, content=content.encode("utf-8"), file_name="界址点坐标.txt")
        parcel_update(parcel=parcel, location=f"{parcel.location}（已核实）")


def county_of(obj):
    """The region an object belongs to, found independently of the app's scope code: its county or
    region key (``None`` for reference data and for what belongs to no region)."""
    if isinstance(obj, Region):
        return None
    for name in ("county", "region"):
        field = next((f for f in obj._meta.concrete_fields if f.name == name), None)
        if isinstance(field, models.ForeignKey) and field.related_model is Region:
            return getattr(obj, name)
    for name in ("parcel", "group", "task"):  # rows that belong to a row that belongs to a county
        parent = getattr(obj, name, None)
        if isinstance(parent, models.Model):
            return county_of(parent)
    return None


def ledger_strings(code):
    """Strings that name data of the county ``code`` and nothing else: its parcels, supply records,
    units, groups and their members, tasks, campaigns and rectification items."""
    from leadership.models import GroupMember, LeadershipGroup, Unit
    from parcels.models import Parcel, SupplyRecord
    from tasks.models import Campaign, CountyTask, RectificationItem

    county = Region.objects.get(code=code)
    strings = set()
    for parcel in Parcel.objects.filter(county=county):
        strings |= {parcel.code, parcel.name}
    for record in SupplyRecord.objects.filter(county=county):
        strings |= {record.supervision_number, record.project_name, record.land_user}
    strings |= set(Unit.objects.filter(region=county).values_list("name", flat=True))
    for group in LeadershipGroup.objects.filter(region=county):
        strings |= {group.name, group.office_director}
    strings |= set(GroupMember.objects.filter(group__region=county).values_list("name", flat=True))
    strings |= set(CountyTask.objects.filter(county=county).values_list("name", flat=True))
    strings |= set(Campaign.objects.filter(region=county).values_list("name", flat=True))
    strings |= set(RectificationItem.objects.filter(county=county).values_list("title", flat=True))
    return {string for string in strings if string}


def region_strings(code):
    """The county's name and its towns' and zones' names: reference data, public on the regions' pages."""
    county = Region.objects.get(code=code)
    return {county.name, *Region.objects.filter(parent=county).values_list("name", flat=True)}


def only_of(strings, others):
    """``strings`` without those that also name something in ``others`` (a person in both counties'
    groups, a unit name both counties use): distinctive strings only."""
    return {s for s in strings if len(s) >= 3 and not any(s in other or other in s for other in others)}


ROUTE_PARAMETER = r"(?<!\?P)<(?:\w+:)?(\w+)>"  # <str:county_code>
NAMED_GROUP = r"\(\?P<(\w+)>(?:[^()]|\([^()]*\))*\)"  # (?P<pk>\d{1,18})
GROUP = r"\((?!\?)(?:[^()]|\([^()]*\))*\)"  # ([^/]+)


def fill(route, values):
    """The path of ``route`` (routes and regexes, as Django's resolver joins them) with its parameters
    replaced, in order, by ``values`` (a dict by name, or a list for unnamed groups)."""
    positional = iter(values if isinstance(values, list) else [])

    def named(match):
        return str(values[match.group(1)])

    path = re.sub(ROUTE_PARAMETER, named, route)
    path = re.sub(NAMED_GROUP, named, path)
    path = re.sub(GROUP, lambda match: str(next(positional)), path)
    return path.replace("^", "").replace("$", "").replace("\\", "")


def flatten(patterns, prefix=""):
    """(route, URLPattern) for every pattern under ``patterns``, the route joined from its resolvers'."""
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from flatten(pattern.url_patterns, prefix + str(pattern.pattern))
        else:
            yield prefix + str(pattern.pattern), pattern


def collection(route):
    """The path segment before the route's first parameter (``parcels`` in ``^parcels/(?P<pk>…)/$``)."""
    match = re.search(r"([\w-]+)/(?:\(\?P<|<)", route)
    return match.group(1) if match else None


def parameters(route):
    """The names of the route's parameters; unnamed regex groups as ``"#0"``, ``"#1"`` …"""
    names = re.findall(ROUTE_PARAMETER, route) + re.findall(NAMED_GROUP, route)
    unnamed = re.findall(GROUP, re.sub(NAMED_GROUP, "", route))
    return names + [f"#{number}" for number in range(len(unnamed))]


class Crawl:
    """One account's walk over every page, with each problem found kept as a line of text."""

    def __init__(self, client, user):
        self.client = client
        self.user = user
        self.problems = []
        self.seen = set()
        self.dashboards = {}  # url: HTML of each dashboard page answered, whose links are followed
        self.saw_own_data = False  # a county account: whether its own county's data was shown anywhere
        self.token = None
        self.usernames = sorted(User.objects.values_list("username", flat=True), key=len, reverse=True)
        if user is not None:
            client.force_login(user)
            self.token = Token.objects.get_or_create(user=user)[0].key
        self.masked_tokens = [masked_key(key) for key in Token.objects.values_list("key", flat=True)]
        own = user.region.code if user is not None and user.region else None
        self.county_account = bool(own) and user.region.level == RegionLevel.COUNTY
        if self.county_account:
            self.own = own
            others = [code for code in DEMO_COUNTIES if code != own]
            self.own_strings = only_of(ledger_strings(own), set().union(*map(ledger_strings, others)))
            mine = ledger_strings(own) | region_strings(own) | self.city_strings()
            self.forbidden = only_of(set().union(*map(ledger_strings, others)), mine)
            self.forbidden_regions = only_of(set().union(*map(region_strings, others)), mine)
        elif user is None:
            self.forbidden = set().union(*map(ledger_strings, DEMO_COUNTIES))
            self.forbidden_regions = set()
        else:
            self.forbidden = self.forbidden_regions = set()

    @staticmethod
    def city_strings():
        """What a county account may read of its city (its units: a parcel's responsible unit)."""
        from leadership.models import Unit

        return set(Unit.objects.filter(region__level=RegionLevel.CITY).values_list("name", flat=True))

    # -- fetching and judging -------------------------------------------------------------------------

    def get(self, url, *, out_of_scope=False, reference=False):
        """GET ``url`` once and judge the answer; the answer, or None when it was fetched before."""
        url = url.rstrip("?")
        if url in self.seen:
            return None
        self.seen.add(url)
        extra = (
            {"HTTP_AUTHORIZATION": f"Token {self.token}"} if self.token and url.startswith("/api/") else {}
        )
        try:
            response = self.client.get(url, **extra)
        except Exception as error:  # the test client re-raises a view's exception: a 500 to a user
            self.problems.append(f"{url}: raised {type(error).__name__}: {error}")
            return None
        self.judge(url, response, out_of_scope=out_of_scope, reference=reference)
        return response

    def judge(self, url, response, *, out_of_scope, reference):
        status = response.status_code
        if status >= 500:
            self.problems.append(f"{url}: {status}")
            return
        if status in (301, 302, 303, 307, 308):
            target = urlsplit(response["Location"]).path
            if self.user is None and not self.redirect_for_anyone(url, target):
                self.problems.append(f"{url}: anonymous redirected to {response['Location']}, not to sign in")
            if out_of_scope and target not in (*LOGIN_PATHS, "/admin/", urlsplit(url).path + "change/"):
                self.problems.append(f"{url}: outside the scope, redirected to {response['Location']}")
        elif status not in (200, 400, 401, 403, 404, 405):
            self.problems.append(f"{url}: unexpected {status}")
        if out_of_scope and status == 200:
            self.problems.append(f"{url}: an object of another county answered 200")
        if self.user is None and status == 200 and not self.public(url):
            self.problems.append(f"{url}: answered 200 to anonymous")
        content = b"".join(response.streaming_content) if response.streaming else response.content
        text = self.text(response, content)
        if self.county_account and not self.saw_own_data:
            self.saw_own_data = any(string in text for string in self.own_strings)
        for string in sorted(self.forbidden | (set() if reference else self.forbidden_regions)):
            if string in text:
                self.problems.append(f"{url}: {status} shows {string!r}, which the account may not see")
                break
        content_type = response.get("Content-Type", "")
        if content_type.startswith("text/html") and content and not 300 <= status < 400:
            body = content.decode()
            if url.startswith("/dashboard/") and status == 200:
                self.dashboards[url] = body
            if 'lang="zh-hans"' not in body:
                self.problems.append(f'{url}: {status} HTML page without lang="zh-hans"')
            english = self.english_words(url, body)
            if english:
                self.problems.append(f"{url}: {status} shows English: {sorted(english)[:8]}")
            if status >= 400:
                english = [word for word in ENGLISH_ERRORS if word in body]
                if english:
                    self.problems.append(f"{url}: {status} error page in English: {english}")
        elif content_type.startswith("application/json") and status >= 400:
            untranslated = [s for s in json_strings(json.loads(content)) if not CJK.search(s)]
            if untranslated:
                self.problems.append(f"{url}: {status} error not in Chinese: {untranslated[:3]}")

    def english_words(self, url, body):
        """The English a reader of the page meets (screen readers too), less what is English on purpose and
        the data that is not words: user names, API tokens as pages show them (``abcd…ef``: hex letters),
        a password's hash as an account's page shows it (``ccd1ab****``: its first characters, the rest
        starred) and what django-axes writes itself. A key shown whole would still be found here."""
        text = visible_text(body, ())
        for data in (*self.usernames, *self.masked_tokens, *AXES_OWN_TEXT):
            text = text.replace(data, " ")
        text = MASKED_HASH.sub(" ", text)
        return set(re.findall(r"[A-Za-z]{3,}", text)) - ENGLISH_ON_PURPOSE

    def redirect_for_anyone(self, url, target):
        """Anonymous may be sent only to sign in, or to a page that asks them to: the admin's index (from its
        sign-out), the dashboard (from the site's root)."""
        return target in LOGIN_PATHS or (urlsplit(url).path, target) in (
            ("/", "/dashboard/"),
            ("/admin/logout/", "/admin/"),
        )

    @staticmethod
    def public(url):
        path = urlsplit(url).path
        return path in LOGIN_PATHS or path.startswith(("/api/schema/", "/api/docs/"))

    @staticmethod
    def text(response, content):
        """What a reader of the answer sees, as text: HTML unescaped, JSON with its Chinese unescaped, a
        workbook's cells, a coordinate file in its own encoding, and the file name it is offered under."""
        content_type = response.get("Content-Type", "")
        header = response.get("Content-Disposition", "")
        if content_type.startswith(XLSX):
            from openpyxl import load_workbook

            book = load_workbook(io.BytesIO(content), read_only=True)
            cells = [
                str(value)
                for sheet in book.worksheets
                for row in sheet.iter_rows(values_only=True)
                for value in row
                if value is not None
            ]
            return header + "\n" + "\n".join(cells)
        if content_type.startswith("application/json") or content_type.startswith("application/geo+json"):
            try:
                return header + json.dumps(json.loads(content), ensure_ascii=False)
            except ValueError:
                pass
        for encoding in ("utf-8", "gb18030"):
            try:
                return header + html.unescape(content.decode(encoding))
            except UnicodeDecodeError:
                continue
        return header

    # -- the admin ------------------------------------------------------------------------------------

    def crawl_admin(self, samples):
        for model, model_admin in sorted(admin.site._registry.items(), key=lambda item: item[0]._meta.label):
            opts = model._meta
            base = f"/admin/{opts.app_label}/{opts.model_name}/"
            for route, pattern in flatten(model_admin.get_urls()):
                names = parameters(route)
                if not names:
                    url = base + fill(route, {})
                    if pattern.name == f"{opts.app_label}_{opts.model_name}_changelist":
                        self.crawl_changelist(url, reference=model is Region)
                    elif pattern.name == f"{opts.app_label}_{opts.model_name}_add":
                        self.get(url)
                    else:
                        self.crawl_page(url)
                    continue
                if names == ["token"]:  # an upload waiting for its confirmation: a token no session holds
                    self.get(base + fill(route, {"token": "A" * 32}))
                    continue
                for obj in samples.get(model, ()):
                    values = self.admin_values(names, obj, route)
                    if values is None:
                        continue
                    self.get(
                        base + fill(route, values), out_of_scope=self.outside(obj), reference=model is Region
                    )

    def crawl_autocomplete(self):
        """The admin's autocomplete of every relation of every model in the admin (Django answers it for
        any relation whose model the admin searches, whether a form uses it or not): all it offers."""
        for model in sorted(admin.site._registry, key=lambda model: model._meta.label):
            for field in model._meta.get_fields():
                if not (field.is_relation and field.concrete and field.related_model in admin.site._registry):
                    continue
                query = f"app_label={model._meta.app_label}&model_name={model._meta.model_name}"
                url = f"/admin/autocomplete/?{query}&field_name={field.name}&term="
                self.get(url, reference=field.related_model is Region)  # regions: reference data

    def admin_values(self, names, obj, route):
        """How the parameters of an admin route are filled for ``obj`` (None: the route does not apply)."""
        if names == ["object_id"] or names == ["id"]:
            return {names[0]: quote(obj.pk)}
        if names == ["#0", "#1"]:  # simple-history's past version: the object's first recorded state
            record = obj.history.order_by("history_id").first() if hasattr(obj, "history") else None
            return None if record is None else [quote(obj.pk), record.history_id]
        self.problems.append(f"the crawler does not know how to fill {names} in the admin route {route!r}")
        return None

    def crawl_page(self, url):
        """A page of a model admin that names no object (import, export, template, upload): as it is, and
        for a parcel and a county of each demo county."""
        from parcels.models import Parcel

        self.get(url)
        for code in DEMO_COUNTIES:
            parcel = Parcel.objects.filter(county__code=code).order_by("code").first()
            self.get(f"{url}?parcel={parcel.pk}")
            self.get(f"{url}?county={code}")

    def crawl_changelist(self, url, *, reference):
        response = self.get(url, reference=reference)
        self.get(url + "?_facets=True", reference=reference)
        for term in SEARCHES:
            self.get(f"{url}?q={term}", reference=reference)
        if response is None or response.status_code != 200 or response.context is None:
            return
        changelist = response.context.get("cl")
        if changelist is None:
            return
        # Sorted by every column at once (the admin's ?o=1.-2.3), every other one descending: a column whose
        # sort fails fails it.
        order = ".".join(f"{'-' if n % 2 else ''}{n}" for n in range(len(changelist.list_display)))
        self.get(f"{url}?o={order}", reference=reference)
        page = response.content.decode()
        filters = re.search(r'<nav id="changelist-filter".*?</nav>', page, re.S)
        if filters is None and changelist.has_filters:
            self.problems.append(f"{url}: has filters but no filter panel was found")
        for query in typical_filters(re.findall(r'href="(\?[^"]*)"', filters.group(0) if filters else "")):
            self.get(url + query, reference=reference)

    def outside(self, obj):
        """Whether ``obj`` belongs to a county other than the county account's own."""
        if not self.county_account:
            return False
        region = county_of(obj)
        return region is not None and region.level == RegionLevel.COUNTY and region.code != self.own

    # -- everything outside a model admin -------------------------------------------------------------

    def crawl_routes(self, samples):
        admin_prefixes = {f"admin/{m._meta.app_label}/{m._meta.model_name}/" for m in admin.site._registry}
        routes = list(flatten(get_resolver().url_patterns))
        # The model of each collection, from its routes that name it (parcels/{pk}/ → Parcel): what the id
        # after it names in routes whose view lists something else (parcels/{id}/disposals/).
        self.collections = {
            collection(route): self.route_model(pattern)
            for route, pattern in routes
            if collection(route) and self.route_model(pattern)
        }
        for route, pattern in routes:
            if any(route.startswith(prefix) for prefix in admin_prefixes):
                continue  # crawled from the registry, with its objects
            names = parameters(route)
            for values, obj in self.route_values(route, pattern, names, samples):
                path = "/" + fill(route, values)
                try:
                    resolve(path.split("?")[0])
                except Resolver404:
                    self.problems.append(f"the crawler built {path!r} from {route!r}, which does not resolve")
                    continue
                if names or not self.own_view(pattern):
                    self.get(
                        path, out_of_scope=obj is not None and self.outside(obj), reference="regions" in route
                    )
                else:
                    response = self.get(path, reference="regions" in route)
                    if response is not None and response.status_code == 200:  # not a POST-only route
                        for query in QUERIES:
                            self.get(path + query, reference="regions" in route)

    def route_values(self, route, pattern, names, samples):
        """[(parameter values, the object they name or None)] for a route outside the model admins."""
        from parcels.models import Disposal

        if not names:
            return [({}, None)]
        if names == ["county_code"]:
            return [({"county_code": code}, None) for code in COUNTY_CODES]
        if names == ["code"]:
            return [({"code": code}, None) for code in COUNTY_CODES]
        if names == ["app_label"]:
            labels = sorted({model._meta.app_label for model in admin.site._registry})
            return [({"app_label": label}, None) for label in labels]
        if names == ["url"]:
            return [({"url": "no-such-page/"}, None)]
        if names == ["content_type_id", "object_id"]:
            return [
                ({"content_type_id": ContentType.objects.get_for_model(obj).pk, "object_id": obj.pk}, obj)
                for objects in samples.values()
                for obj in objects
            ]
        if names == ["id", "did"]:
            disposals = samples.get(Disposal, [])
            pairs = [({"id": d.parcel_id, "did": d.pk}, d.parcel) for d in disposals]
            if disposals:  # a disposal asked for under another parcel
                pairs.append(({"id": disposals[0].parcel_id, "did": disposals[-1].pk}, disposals[0].parcel))
            return pairs
        if len(names) == 1 and names[0] in ("pk", "id"):
            model = self.route_model(pattern) or self.collections.get(collection(route))
            if model is None:
                self.problems.append(f"the crawler does not know which objects {route!r} names")
                return []
            return [({names[0]: obj.pk}, obj) for obj in samples.get(model, ())] + [
                ({names[0]: 999999}, None)
            ]
        self.problems.append(f"the crawler does not know how to fill {names} in {route!r}")
        return []

    @staticmethod
    def own_view(pattern):
        """Whether the route's view is LandTrack's own (the query strings are tried on those only)."""
        view = getattr(pattern.callback, "cls", None) or getattr(pattern.callback, "view_class", None)
        module = (view or pattern.callback).__module__
        return module.split(".")[0] in ("landtrack", "leadership", "parcels", "tasks")

    @staticmethod
    def route_model(pattern):
        view = getattr(pattern.callback, "cls", None) or getattr(pattern.callback, "view_class", None)
        queryset = getattr(view, "queryset", None)
        return None if queryset is None else queryset.model

    def crawl_dashboard_links(self):
        """The links the dashboards offer (other years, dates, sort orders, each county), one step on."""
        followed = set()
        for url, body in list(self.dashboards.items()):
            for link in re.findall(r'href="([^"#]+)"', body):
                link = html.unescape(link)
                if link.startswith("?"):
                    link = urlsplit(url).path + link
                parts = urlsplit(link)
                # One link of each kind: a page with a given set of parameters (the sort links of a table
                # differ only in their values).
                kind = (parts.path, tuple(sorted(key for key, _ in parse_qsl(parts.query))))
                if (
                    link.startswith("/")
                    and not link.startswith(("/admin/", "/static/", "//"))
                    and kind not in followed
                ):
                    followed.add(kind)
                    self.get(link)


def typical_filters(links):
    """Of a changelist's filter links, one per filter: the one that names a demo county, else its last
    choice (the first is 全部): every filter applied, without every county of the city × every list."""
    by_filter = defaultdict(list)
    for link in links:
        query = html.unescape(link)
        by_filter[tuple(sorted(key for key, _ in parse_qsl(query[1:])))].append(query)
    chosen = []
    for queries in by_filter.values():
        naming = [query for query in queries if any(code in query for code in DEMO_COUNTIES)]
        chosen += naming or queries[-1:]
    return chosen


class VisibleText(HTMLParser):
    """The text of an HTML page that a reader meets: not scripts, styles or templates, nor what the admin's
    ``hidden`` class hides (its hidden rows); screen-reader text (``visually-hidden``) is read, so it counts."""

    VOID = set("area base br col embed hr img input link meta source track wbr".split())
    SILENT = {"script", "style", "template"}

    def __init__(self, skipped_ids=()):
        super().__init__()
        self.skipped_ids = set(skipped_ids)
        self.stack = []  # (tag, how many of the open elements hide their content, this one included)
        self.parts = []

    def handle_starttag(self, tag, attrs):
        if tag in self.VOID:
            return
        attrs = dict(attrs)
        hides = "hidden" in (attrs.get("class") or "").split() or "hidden" in attrs
        hides = hides or tag in self.SILENT or attrs.get("id") in self.skipped_ids
        self.stack.append((tag, (self.stack[-1][1] if self.stack else 0) + hides))

    def handle_endtag(self, tag):
        for depth in range(len(self.stack) - 1, -1, -1):
            if self.stack[depth][0] == tag:
                del self.stack[depth:]
                return

    def handle_data(self, data):
        if not self.stack or not self.stack[-1][1]:
            self.parts.append(data)


def visible_text(body, skipped_ids=()):
    parser = VisibleText(skipped_ids)
    parser.feed(body)
    return " ".join(parser.parts)


def json_strings(value):
    """Every string in a JSON document, keys excepted."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from json_strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from json_strings(item)


def demo_samples(crawl):
    """The objects whose pages are opened: of every model in the admin, and of the disposals, one of each
    shape (a parcel's kind) and, for a county account, one of its county and one of
    each other (refused, not shown): a page that fails for one fails for all of its shape."""
    from parcels.models import Disposal

    samples = {}
    for model in [*admin.site._registry, Disposal]:
        chosen = {}
        field = SHAPES.get(model._meta.label_lower)
        for obj in model._default_manager.order_by("pk"):
            region = county_of(obj)
            owner = region.code if crawl.county_account and region is not None else None
            chosen.setdefault((owner, getattr(obj, field) if field else None), obj)
        samples[model] = list(chosen.values())
    return samples


ACCOUNTS = [username for username, *_ in DEMO_ACCOUNTS] + [None]


@pytest.mark.parametrize("username", ACCOUNTS, ids=[name or "anonymous" for name in ACCOUNTS])
def test_every_admin_page_answers_the_account_in_chinese_within_its_scope(
    username, demo_site, client, monkeypatch
):
    from tests.test_admin import record_read_only_field_failures

    user = User.objects.get(username=username) if username else None
    crawl = Crawl(client, user)
    failures = record_read_only_field_failures(monkeypatch)
    crawl.crawl_admin(demo_samples(crawl))
    crawl.crawl_autocomplete()
    crawl.problems += [f"a read-only field shows '-' as its value raised: {failure}" for failure in failures]
    assert_found_nothing_wrong(crawl)


@pytest.mark.parametrize("username", ACCOUNTS, ids=[name or "anonymous" for name in ACCOUNTS])
def test_every_dashboard_and_api_route_answers_the_account_within_its_scope(username, demo_site, client):
    user = User.objects.get(username=username) if username else None
    crawl = Crawl(client, user)
    crawl.crawl_routes(demo_samples(crawl))
    crawl.crawl_dashboard_links()
    assert_found_nothing_wrong(crawl)


def assert_found_nothing_wrong(crawl):
    assert not crawl.problems, "\n".join(crawl.problems)
    assert len(crawl.seen) > 100
    if crawl.county_account:  # the leak check looks for strings that pages do show, to those who may see them
        assert crawl.forbidden and crawl.saw_own_data


def test_the_crawl_reads_masked_keys_and_hashes_as_data_and_still_finds_english(demo_site, client):
    """Masked keys and password hashes are random letters, not words: read as English they made the crawl
    fail by chance (a hash shown as ``ccd1ab****`` on an account's page). Shown whole, they are still found."""
    crawl = Crawl(client, User.objects.get(username="demo_admin"))
    key = crawl.token
    page = f"<p>哈希: <bdi>ccd1ab{'*' * 26}</bdi> 盐: <bdi>fe{'*' * 20}</bdi> 令牌: {masked_key(key)}</p>"
    assert crawl.english_words("/admin/", page) == set()
    assert crawl.english_words("/admin/", "<p>哈希: <bdi>ccd1ab</bdi></p>") == {"ccd"}
    assert crawl.english_words("/admin/", "<p>Password 密码</p>") == {"Password"}
