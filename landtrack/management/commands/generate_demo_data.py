"""Generate synthetic counties, parcels, disposals and tasks at any size, for benchmarks and load tests."""

import time

from django.core.management import BaseCommand, CommandError

from landtrack.synthetic import MAX_COUNTIES, Generator, synthetic_regions


class Command(BaseCommand):
    help = (
        "生成合成演示数据（合成省、市、县、乡镇，两类地块及其处置记录，各县年度任务及节点），用于性能测试。"
        "合成区划代码以 9 开头，不与真实区划重复。"
    )

    def add_arguments(self, parser):
        parser.add_argument("--counties", type=int, required=True, help="县（市、区）数，如 2850")
        parser.add_argument("--parcels", type=int, required=True, help="地块总数，如 1000000")
        parser.add_argument("--seed", type=int, default=1, help="随机种子：相同参数和种子生成相同数据")
        parser.add_argument(
            "--disposals-per-parcel",
            type=float,
            default=2.0,
            help="每宗地块平均处置记录数（默认 2，即 100 万宗地块约 200 万条处置记录）",
        )
        parser.add_argument(
            "--years", type=int, nargs="+", help="生成任务的年度（默认去年和今年）"
        )

    def handle(self, *args, counties, parcels, seed, disposals_per_parcel, years, **options):
        if counties < 1 or parcels < 0:
            raise CommandError("县数应至少为 1，地块数不能为负数。")
        if counties > MAX_COUNTIES:
            raise CommandError(f"合成区划最多 {MAX_COUNTIES} 个县（10 个合成省，每省 15 个市、每市 19 个县）。")
        if disposals_per_parcel < 0 or disposals_per_parcel > 10:
            raise CommandError("每宗地块平均处置记录数应在 0 到 10 之间。")
        if synthetic_regions().exists():
            raise CommandError(
                "数据库中已有合成数据（区划代码以 9 开头）。请使用新的数据库，或先清空数据库（manage.py flush）。"
            )
        started = time.perf_counter()
        generator = Generator(
            counties=counties,
            parcels=parcels,
            seed=seed,
            disposals_per_parcel=disposals_per_parcel,
            years=years,
            out=self.stdout.write,
        )
        summary = generator.run()
        elapsed = time.perf_counter() - started
        self.stdout.write(
            f"已生成：{summary.counties:,} 个县（{summary.cities:,} 个市、{summary.provinces:,} 个省），"
            f"{summary.towns:,} 个乡镇，{summary.units:,} 个责任单位，{summary.parcels:,} 宗地块，"
            f"{summary.disposals:,} 条处置记录，{summary.tasks:,} 项任务（{summary.milestones:,} 个节点），"
            f"用时 {elapsed:.1f} 秒。"
        )
