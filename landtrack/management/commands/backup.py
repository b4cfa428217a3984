"""Back the whole database up to a file (pg_dump's custom format on PostgreSQL, a file copy on SQLite)."""

from django.core.management import BaseCommand, CommandError

from landtrack.backup import BackupError, backup


class Command(BaseCommand):
    help = "备份整个数据库到文件（PostgreSQL 用 pg_dump 自定义格式，SQLite 复制数据库文件）。用 restore 命令恢复。"

    def add_arguments(self, parser):
        parser.add_argument("file", help="备份文件路径，如 /var/backups/landtrack-2026-11-24.dump")
        parser.add_argument("--database", default="default", help="数据库别名（默认 default）")

    def handle(self, *args, file, database, **options):
        try:
            size = backup(file, using=database)
        except BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"已备份到 {file}（{size:,} 字节）。")
