"""Check, or rebuild, the totals kept beside the ledger (parcels.rollup) against the ledger itself."""

from django.core.management import BaseCommand, CommandError

from parcels.rollup import rollup_drift, rollup_rebuild


class Command(BaseCommand):
    help = (
        "核对（--check）或重建进度汇总表（各县各类地块逐月累计处置面积、地块数）与台账是否一致。"
        "正常使用中汇总表随每次写入同步更新；仅在绕过程序直接改动数据库后需要重建。"
    )

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true", help="只核对，不修改；不一致时以非零状态退出")

    def handle(self, *args, check, **options):
        drift = rollup_drift()
        if check:
            if drift:
                for table, key, stored, fresh in drift[:20]:
                    self.stdout.write(f"{table} {key}: 汇总表 {stored}，台账 {fresh}")
                raise CommandError(f"汇总表与台账有 {len(drift)} 处不一致；运行 rebuild_progress_rollup 重建。")
            self.stdout.write("汇总表与台账一致。")
            return
        rollup_rebuild()
        self.stdout.write(f"已重建汇总表（重建前有 {len(drift)} 处不一致）。")
