"""Load the demo of `make run`: regions, the two notices' campaign data, and the demo logins."""

import os
from collections import defaultdict
from contextlib import contextmanager

from django.core.management import BaseCommand, call_command
from django.db import transaction
from django.db.models.signals import post_save
from django.utils import timezone
from simple_history.utils import get_m2m_field_name

from leadership.choices import Role
from leadership.models import Region, User
from tasks.models import Campaign

DEMO_PASSWORD = "landtrack-demo"

# username, role, region code, what they are for
DEMO_ACCOUNTS = [
    ("demo_admin", Role.ADMIN, None, "系统管理员（超级用户），可见全部数据"),
    ("demo_city", Role.CITY_BUREAU, "141000", "临汾市局：查看全市各县，下达任务"),
    ("demo_anze", Role.COUNTY_CLERK, "141026", "安泽县自然资源局经办人员：录入本县地块和处置"),
    ("demo_anze_office", Role.COUNTY_OFFICE, "141026", "安泽县领导小组办公室：查看本县进度，管理整改事项"),
    ("demo_xiangning", Role.COUNTY_CLERK, "141029", "乡宁县自然资源局经办人员"),
]

DEMO_MARKER = "安政办发〔2023〕16号"


class Command(BaseCommand):
    help = "加载演示数据（区划、安泽县2023年专项行动、乡宁县2022年任务）并创建演示账号。"

    def add_arguments(self, parser):
        parser.add_argument(
            "--reload", action="store_true", help="即使演示数据已存在也重新加载（覆盖演示对象）。"
        )

    def handle(self, *args, **options):
        call_command("loaddata", "regions", verbosity=0)
        if options["reload"] or not Campaign.objects.filter(document_number=DEMO_MARKER).exists():
            with transaction.atomic():
                started = timezone.now()
                with rows_saved() as loaded:
                    call_command("loaddata", "demo", verbosity=0)
                record_loaded(loaded, before=started)
            self.stdout.write("已加载演示数据：安泽县2023年度专项行动、乡宁县2022年度“批而未供”任务。")
        else:
            self.stdout.write("演示数据已存在，未重新加载（如需重置请加 --reload）。")
        self.ensure_accounts()
        self.print_logins()

    @transaction.atomic
    def ensure_accounts(self):
        regions = {
            region.code: region for region in Region.objects.filter(code__in=["141000", "141026", "141029"])
        }
        for username, role, code, _ in DEMO_ACCOUNTS:
            user, created = User.objects.get_or_create(username=username)
            user.role = role
            user.region = regions.get(code) if code else None
            user.apply_role()
            user.is_active = True
            if created or not user.check_password(DEMO_PASSWORD):
                user.set_password(DEMO_PASSWORD)
            user.save()

    def print_logins(self):
        self.stdout.write("")
        self.stdout.write(f"演示账号（仅供演示，密码均为 {DEMO_PASSWORD}）：")
        for username, _, _code, what in DEMO_ACCOUNTS:
            self.stdout.write(f"  {username:<18} {what}")
        self.stdout.write("")
        base = f"http://{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
        self.stdout.write(f"进度看板：{base}/dashboard/    台账管理：{base}/admin/    接口文档：{base}/api/docs/")


@contextmanager
def rows_saved():
    """{model: ids} of the rows with a change history that ``loaddata`` writes meanwhile. It writes them raw,
    which simple-history leaves unrecorded, but then sets their many-to-many links, which it records as a
    change by no one: neither is recorded here, each row is recorded once by :func:`record_loaded`."""
    rows = defaultdict(set)

    def remember(sender, instance, raw=False, **kwargs):
        if raw and hasattr(sender._meta, "simple_history_manager_attribute"):
            rows[sender].add(instance.pk)
            instance.skip_history_when_saving = True  # read by simple-history when the links are set

    post_save.connect(remember, weak=False, dispatch_uid="demo_setup_rows_saved")
    try:
        yield rows
    finally:
        post_save.disconnect(dispatch_uid="demo_setup_rows_saved")


def record_loaded(loaded, *, before):
    """Enter each loaded row in its change history as it now stands: its creation, or, for a row recorded
    before ``before`` (a reload), a change that says why, so the history still agrees with the data."""
    for model, ids in loaded.items():
        history = model.history
        key = model._meta.pk.attname
        earlier = history.filter(history_date__lt=before, **{f"{key}__in": ids})
        known = set(earlier.values_list(key, flat=True))
        rows = list(model._base_manager.filter(pk__in=ids).order_by("pk"))
        for update, reason in ((False, "加载演示数据"), (True, "重新加载演示数据")):
            chosen = [row for row in rows if (row.pk in known) == update]
            if chosen:
                records = history.bulk_history_create(chosen, update=update, default_change_reason=reason)
                _record_links(model, chosen, records)


def _record_links(model, rows, records):
    """The many-to-many links (a rectification item's units) of each new history record, which
    ``bulk_history_create`` leaves out."""
    history_model = model.history.model
    for field in getattr(history_model, "_history_m2m_fields", ()):
        through = field.remote_field.through
        source = get_m2m_field_name(field)
        links = defaultdict(list)
        for link in through.objects.filter(**{f"{source}__in": [row.pk for row in rows]}):
            links[getattr(link, f"{source}_id")].append(link)
        columns = [column.attname for column in through._meta.concrete_fields]
        link_history = getattr(history_model, field.name).model  # simple-history's copy of the link table
        link_history.objects.bulk_create(
            link_history(history=record, **{column: getattr(link, column) for column in columns})
            for row, record in zip(rows, records, strict=True)
            for link in links[row.pk]
        )
