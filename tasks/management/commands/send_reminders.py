"""python manage.py send_reminders [--as-of YYYY-MM-DD] [--dry-run]

Mails each county office and city bureau account a digest of what is overdue and what is due in the
next 14 days in its scope. Meant for cron, e.g. every working day at 8:00:
    0 8 * * 1-5  cd /srv/landtrack && .venv/bin/python manage.py send_reminders
"""

import datetime

from django.conf import settings
from django.core import mail
from django.core.management import BaseCommand, CommandError

from landtrack.validation import DATE_RANGE_MESSAGES, date_out_of_range
from leadership.choices import Role
from leadership.models import User
from tasks.reminders import HORIZON_DAYS, reminders_for


def digest(user, reminders, as_of):
    overdue = [item for item in reminders if item.overdue]
    upcoming = [item for item in reminders if not item.overdue]
    lines = [
        f"{user.get_username()}，您好：",
        "",
        f"截至 {as_of:%Y年%m月%d日}，{user.region.name}有以下事项需要关注。",
        "",
    ]
    if overdue:
        lines.append(f"一、已逾期（{len(overdue)} 项）")
        lines += [
            f"  {item.due:%Y-%m-%d}（逾期 {-item.days_left} 天）{item.title}  {item.url}" for item in overdue
        ]
        lines.append("")
    if upcoming:
        lines.append(f"{'二' if overdue else '一'}、{HORIZON_DAYS} 天内到期（{len(upcoming)} 项）")
        lines += [
            f"  {item.due:%Y-%m-%d}（还有 {item.days_left} 天）{item.title}  {item.url}" for item in upcoming
        ]
        lines.append("")
    lines.append("此邮件由 LandTrack 自动发送。")
    return "\n".join(lines)


class Command(BaseCommand):
    help = "向县领导小组办公室和市局账号发送到期与逾期事项提醒邮件（可由 cron 每日执行）。"

    def add_arguments(self, parser):
        parser.add_argument("--as-of", help="统计日期 YYYY-MM-DD，默认今天")
        parser.add_argument("--dry-run", action="store_true", help="只打印，不发送")

    def handle(self, *args, as_of=None, dry_run=False, **options):
        from django.utils import timezone

        if as_of:
            try:
                as_of = datetime.date.fromisoformat(as_of)
            except ValueError as error:
                raise CommandError(f"日期“{as_of}”无效，应为 YYYY-MM-DD。") from error
            problem = date_out_of_range(as_of)  # as every date LandTrack keeps, and /reminders/ refuses
            if problem:
                raise CommandError(DATE_RANGE_MESSAGES[problem])
        else:
            as_of = timezone.localdate()
        accounts = list(
            User.objects.filter(
                is_active=True, role__in=[Role.COUNTY_OFFICE, Role.CITY_BUREAU], region__isnull=False
            )
            .select_related("region")
            .order_by("username")
        )
        without_address = [user.get_username() for user in accounts if not user.email.strip()]
        messages = []
        for user in accounts:
            if not user.email.strip():
                continue
            reminders = reminders_for(user, as_of)
            if not reminders:
                continue
            overdue = sum(1 for item in reminders if item.overdue)
            subject = (
                f"LandTrack 提醒：{user.region.name} {overdue} 项逾期、{len(reminders) - overdue} 项即将到期"
            )
            messages.append(
                mail.EmailMessage(
                    subject, digest(user, reminders, as_of), settings.DEFAULT_FROM_EMAIL, [user.email]
                )
            )
        if dry_run:
            for message in messages:
                self.stdout.write(f"收件人：{message.to[0]}\n主题：{message.subject}\n{message.body}\n")
        else:
            with mail.get_connection() as connection:
                connection.send_messages(messages)
        self.stdout.write(
            f"{'预览' if dry_run else '已发送'} {len(messages)} 封提醒邮件（{as_of:%Y-%m-%d}）。"
        )
        if without_address:
            self.stdout.write(f"以下账号未填写邮箱，未发送：{'、'.join(without_address)}。")
