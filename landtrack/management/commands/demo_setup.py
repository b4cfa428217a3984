"""Load the demo of `make run`: regions, the two notices' campaign data, and the demo logins."""

import io
import os

from django.core.management import BaseCommand, call_command
from django.db import transaction

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
            call_command("loaddata", "demo", verbosity=0)
            # The demo's first history entries; its notes on models that already have some are not news.
            call_command("populate_history", "--auto", verbosity=0, stdout=io.StringIO(), stderr=io.StringIO())
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
