"""python manage.py create_account USERNAME --role ROLE --region CODE [--password PW]"""

import secrets

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management import BaseCommand, CommandError
from django.db import transaction

from leadership.choices import ROLE_REGION_LEVEL, RegionLevel, Role
from leadership.models import Region, User


class Command(BaseCommand):
    help = (
        "创建或更新一个账号并指定角色和所属区划。ROLE 为 county_clerk、county_office、city_bureau 或 admin；"
        "县级角色用县（市、区）代码，city_bureau 用市代码。未给 --password 时生成随机密码并打印。"
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument(
            "--role", required=True, help="county_clerk | county_office | city_bureau | admin"
        )
        parser.add_argument("--region", help="区划代码：县级角色为县代码，city_bureau 为市代码")
        parser.add_argument("--password", help="密码（须通过密码强度校验）；省略时生成随机密码")
        parser.add_argument("--email", help="电子邮箱；更新已有账号时给出则一并修改")

    @transaction.atomic
    def handle(self, *args, username, role, region, password, email, **options):
        if role not in Role.values:
            raise CommandError(f"角色“{role}”无效，应为 {', '.join(Role.values)} 之一。")
        level = ROLE_REGION_LEVEL.get(role)
        region_obj = None
        if region:
            region_obj = Region.objects.filter(code=region.strip()).first()
            if region_obj is None:
                raise CommandError(f"区划代码“{region}”不存在（请先 loaddata regions）。")
        if level is not None:
            if region_obj is None:
                raise CommandError(f"角色 {role} 必须用 --region 指定{RegionLevel(level).label}级区划代码。")
            if region_obj.level != level:
                raise CommandError(
                    f"角色 {role} 的所属区划应为{RegionLevel(level).label}级，而 {region_obj.code} "
                    f"（{region_obj.name}）是{region_obj.get_level_display()}级。"
                )

        user = User.objects.filter(username=username).first()
        created = user is None
        if created:
            user = User(username=username, email=email or "")
        elif email is not None:
            user.email = email
        generated = password is None and created
        if generated:
            password = secrets.token_urlsafe(12)
        user.role = role
        user.region = region_obj
        user.apply_role()
        user.is_active = True
        if password is not None:
            try:
                validate_password(password, user)
            except ValidationError as error:
                raise CommandError("密码不符合要求：" + "；".join(error.messages)) from error
            user.set_password(password)
        try:
            user.full_clean(exclude=["password"] if not password else None)
        except ValidationError as error:
            raise CommandError("；".join(error.messages)) from error
        user.save()
        where = f"，区划 {region_obj.code} {region_obj.name}" if region_obj else ""
        self.stdout.write(f"{'已创建' if created else '已更新'}账号 {username}：角色 {role}{where}。")
        if generated:
            self.stdout.write(f"初始密码：{password}")
