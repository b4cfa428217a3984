from django.db import models


class ParcelKind(models.TextChoices):
    UNSUPPLIED = "unsupplied", "批而未供"
    IDLE = "idle", "闲置土地"


class ParcelStatus(models.TextChoices):
    PENDING = "pending", "待处置"
    PARTIAL = "partial", "部分处置"
    DISPOSED = "disposed", "已处置"

    @classmethod
    def of(cls, area, disposed):
        """The status of a parcel of ``area`` 亩 of which ``disposed`` 亩 are disposed of."""
        if disposed <= 0:
            return cls.PENDING
        if disposed < area:
            return cls.PARTIAL
        return cls.DISPOSED


class ExpropriationStatus(models.TextChoices):
    COMPLETED = "completed", "已完成"
    PARTIAL = "partial", "部分完成"
    NOT_STARTED = "not_started", "未实施"


class UnsuppliedReason(models.TextChoices):
    PLANNING_CHANGE = "planning_change", "规划调整"
    EXPROPRIATION_INCOMPLETE = "expropriation_incomplete", "征地拆迁未完成"
    SITE_NOT_READY = "site_not_ready", "不具备净地/通平条件"
    NO_USER = "no_user", "无意向用地单位"
    FUNDING = "funding", "资金不足"
    LITIGATION = "litigation", "涉法涉诉"
    USED_BEFORE_SUPPLY = "used_before_supply", "已建成未供即用"
    OTHER = "other", "其他"


class SupplyMethod(models.TextChoices):
    TRANSFER = "transfer", "出让"
    ALLOCATION = "allocation", "划拨"
    LEASE = "lease", "租赁"


class IdleCause(models.TextChoices):
    GOVERNMENT = "government", "政府原因"
    USER = "user", "企业原因"


class GovernmentCause(models.TextChoices):
    """《闲置土地处置办法》（国土资源部令第53号）第八条列举的政府原因。"""

    LATE_DELIVERY = "late_delivery", "未按约定期限、条件交付土地（第八条第一项）"
    PLANNING_REVISED = "planning_revised", "土地利用总体规划、城乡规划依法修改（第八条第二项）"
    POLICY_CHANGE = "policy_change", "国家出台相关政策需修改规划和建设条件（第八条第三项）"
    PETITION = "petition", "处置土地上相关群众信访事项（第八条第四项）"
    MILITARY_HERITAGE = "military_heritage", "军事管制、文物保护（第八条第五项）"
    OTHER_GOVERNMENT = "other_government", "政府、政府有关部门的其他行为（第八条第六项）"
    FORCE_MAJEURE = "force_majeure", "自然灾害等不可抗力（第八条第二款）"


class DisposalMethod(models.TextChoices):
    # 批而未供: 应供则供、不能供则调
    SUPPLY_TRANSFER = "supply_transfer", "出让供应"
    SUPPLY_ALLOCATION = "supply_allocation", "划拨供应"
    SUPPLY_LEASE = "supply_lease", "租赁供应"
    PROCEDURES_COMPLETED = "procedures_completed", "完善用地手续"
    APPROVAL_WITHDRAWN = "approval_withdrawn", "撤回批文"
    APPROVAL_ADJUSTED = "approval_adjusted", "调整/核减批文"
    # 闲置土地: 令53 第十二条、第十四条
    CONSTRUCTION_STARTED = "construction_started", "动工开发"
    DEADLINE_EXTENDED = "deadline_extended", "延长动工开发期限"
    USE_ADJUSTED = "use_adjusted", "调整土地用途或规划条件"
    TEMPORARY_USE = "temporary_use", "安排临时使用"
    PAID_RECOVERY = "paid_recovery", "协议有偿收回"
    LAND_SWAP = "land_swap", "置换土地"
    FREE_RECOVERY = "free_recovery", "无偿收回"
    OTHER = "other", "其他"


METHODS_BY_KIND = {
    ParcelKind.UNSUPPLIED: (
        DisposalMethod.SUPPLY_TRANSFER,
        DisposalMethod.SUPPLY_ALLOCATION,
        DisposalMethod.SUPPLY_LEASE,
        DisposalMethod.PROCEDURES_COMPLETED,
        DisposalMethod.APPROVAL_WITHDRAWN,
        DisposalMethod.APPROVAL_ADJUSTED,
    ),
    ParcelKind.IDLE: (
        DisposalMethod.CONSTRUCTION_STARTED,
        DisposalMethod.DEADLINE_EXTENDED,
        DisposalMethod.USE_ADJUSTED,
        DisposalMethod.TEMPORARY_USE,
        DisposalMethod.PAID_RECOVERY,
        DisposalMethod.LAND_SWAP,
        DisposalMethod.FREE_RECOVERY,
        DisposalMethod.OTHER,
    ),
}

# 《闲置土地处置办法》第十二条: how idleness caused by the government is disposed of.
ARTICLE_12_METHODS = (
    DisposalMethod.DEADLINE_EXTENDED,
    DisposalMethod.USE_ADJUSTED,
    DisposalMethod.TEMPORARY_USE,
    DisposalMethod.PAID_RECOVERY,
    DisposalMethod.LAND_SWAP,
    DisposalMethod.OTHER,
)


class DecisionKind(models.TextChoices):
    """The decision that closes the 令53 procedure (art. 12–14)."""

    DISPOSAL = "disposal", "闲置土地处置决定书"
    FEE = "fee", "征缴土地闲置费决定书"
    RECOVERY = "recovery", "收回国有建设用地使用权决定书"


class ParcelFlag(models.TextChoices):
    """Rule flags judged as of a date (API.md, Rules)."""

    APPROVAL_LAPSING = "approval_lapsing", "批文临近失效"
    APPROVAL_LAPSED = "approval_lapsed", "批文已满两年未实施"
    IDLE_FEE_DUE = "idle_fee_due", "应征缴土地闲置费"
    FREE_RECOVERY_ELIGIBLE = "free_recovery_eligible", "可无偿收回"
    PLAN_OVERDUE = "plan_overdue", "逾期未按计划处置"
