"""python manage.py send_reminders [--as-of YYYY-MM-DD] [--dry-run] [--site-url https://…]

Mails each county office and city bureau account a digest of what is overdue and what is due in the
next 14 days in its scope. Meant for cron, e.g. every working day at 8:00:
    0 8 * * 1-5  cd /srv/landtrack && .venv/bin/python manage.py send_reminders --site-url https://…

A reminder's link is a path on the site: a mail reader opens it only with the site's address in front
(``--site-url``, else the ``LANDTRACK_SITE_URL`` setting).
"""

import datetime

from django.conf import settings
from django.core import mail
from django.core.management import BaseCommand, CommandError

from landtrack.dates import cn_date
from landtrack.validation import DATE_RANGE_MESSAGES, date_out_of_range
from leadership.choices import Role
from leadership.models import User
from tasks.reminders import HORIZON_DAYS, as_read_by, reminders_for


def _line(item, site_url):
    """One reminder of the digest: when, what and the link."""
    if item.overdue:
        when = f"逾期 {-item.days_left} 天"
    elif item.days_left == 0:
        when = "今天到期"
    else:
        when = f"还有 {item.days_left} 天"
    return f"  {cn_date(item.due)}（{when}）{item.title}  {site_url}{item.url}"


def addressed_as(user):
    """The person's name as Chinese writes it (family name first, no space), else the login name."""
    return f"{user.last_name.strip()}{user.first_name.strip()}" or user.get_username()


def digest(user, reminders, as_of, site_url=""):
    overdue = [item for item in reminders if item.overdue]
    upcoming = [item for item in reminders if not item.overdue]
    lines = [
        f"{addressed_as(user)}，您好：",
        "",
        f"截至 {cn_date(as_of)}，{user.region.name}有以下事项需要关注。",
        "",
    ]
    if overdue:
        lines.append(f"一、已逾期（{len(overdue)} 项）")
        lines += [_line(item, site_url) for item in overdue]
        lines.append("")
    if upcoming:
        lines.append(f"{'二' if overdue else '一'}、{HORIZON_DAYS} 天内到期（{len(upcoming)} 项）")
        lines += [_line(item, site_url) for item in upcoming]
        lines.append("")
    lines.append("此邮件由 LandTrack 自动发送。")
    return "\n".join(lines)


class Command(BaseCommand):
    help = "向县领导小组办公室和市局账号发送到期与逾期事项提醒邮件（可由 cron 每日执行）。"

    def add_arguments(self, parser):
        parser.add_argument("--as-of", help="统计日期 YYYY-MM-DD，默认今天")
        parser.add_argument("--dry-run", action="store_true", help="只打印，不发送")
        parser.add_argument(
            "--site-url",
            help="系统访问地址，如 https://landtrack.example.cn，用于邮件中的链接；默认取 LANDTRACK_SITE_URL 设置",
        )

    def handle(self, *args, as_of=None, dry_run=False, site_url=None, **options):
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
        site_url = (site_url or getattr(settings, "LANDTRACK_SITE_URL", "") or "").strip().rstrip("/")
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
            reminders = as_read_by(user, reminders_for(user, as_of))
            if not reminders:
                continue
            overdue = sum(1 for item in reminders if item.overdue)
            subject = (
                f"LandTrack 提醒：{user.region.name} {overdue} 项逾期、{len(reminders) - overdue} 项即将到期"
            )
            messages.append(
                (
                    user.get_username(),
                    mail.EmailMessage(
                        subject,
                        digest(user, reminders, as_of, site_url),
                        settings.DEFAULT_FROM_EMAIL,
                        [user.email],
                    ),
                )
            )
        failed = []
        if dry_run:
            for _, message in messages:
                self.stdout.write(f"收件人：{message.to[0]}\n主题：{message.subject}\n{message.body}\n")
        elif messages:
            # One at a time: a backend stops at the first message it cannot send (an address the mail
            # server refuses), and every account after it would go without its reminders.
            try:
                with mail.get_connection() as connection:
                    for username, message in messages:
                        try:
                            connection.send_messages([message])
                        except OSError as error:  # smtplib's errors and the socket's
                            failed.append(f"{username}（{message.to[0]}：{error}）")
            except OSError as error:
                raise CommandError(f"无法连接邮件服务器，提醒邮件未发送：{error}") from error
        self.stdout.write(
            f"{'预览' if dry_run else '已发送'} {len(messages) - len(failed)} 封提醒邮件（{cn_date(as_of)}）。"
        )
        if without_address:
            self.stdout.write(f"以下账号未填写邮箱，未发送：{'、'.join(without_address)}。")
        if messages and not site_url:
            self.stdout.write(
                "未设置系统访问地址（--site-url 或 LANDTRACK_SITE_URL），邮件中的链接为站内路径。"
            )
        if failed:
            raise CommandError(f"以下账号的提醒邮件发送失败：{'、'.join(failed)}。")
