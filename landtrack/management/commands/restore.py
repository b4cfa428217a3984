"""Replace the whole database with a backup made by ``manage.py backup``."""

from django.core.management import BaseCommand, CommandError

from landtrack.backup import BackupError, migration_state, restore


class Command(BaseCommand):
    help = "用 backup 命令生成的备份文件替换整个数据库（现有数据将被覆盖）。"

    def add_arguments(self, parser):
        parser.add_argument("file", help="备份文件路径")
        parser.add_argument("--database", default="default", help="数据库别名（默认 default）")
        parser.add_argument("--noinput", "--no-input", action="store_false", dest="interactive",
                            help="不询问确认")

    def handle(self, *args, file, database, interactive, **options):
        if interactive:
            try:
                answer = input(f"将用 {file} 覆盖数据库“{database}”中的全部数据。输入 yes 继续：")
            except EOFError as error:  # no terminal to answer from (cron, a pipe)
                raise CommandError("没有可以确认的终端，未恢复：在终端中运行，或加 --noinput 不经确认恢复。") from error
            if answer.strip().lower() != "yes":
                raise CommandError("已取消恢复。")
        try:
            restore(file, using=database)
        except BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"已从 {file} 恢复数据库。")
        unapplied, unknown = migration_state(using=database)
        if unapplied:
            self.stdout.write(self.style.WARNING(
                f"备份来自较早的版本：还有 {len(unapplied)} 个数据库迁移未应用，"
                "请先运行 manage.py migrate，再启动服务。"
            ))
        if unknown:
            names = "、".join(f"{app}.{name}" for app, name in unknown)
            self.stdout.write(self.style.WARNING(
                f"备份来自较新的版本：数据库已应用本版本没有的迁移（{names}），请用与备份相同或更新的版本运行。"
            ))
