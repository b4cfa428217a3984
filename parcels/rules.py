"""Policy rules on parcels, judged as of any date (DOMAIN.md §4, API.md "Rules").

- 批而未供: an approval on which nothing was implemented for two full years lapses
  (国发〔2004〕28号；国土资发〔2004〕237号 第十四条): flagged ``approval_lapsing`` in the 90 days before
  and ``approval_lapsed`` after.
- 闲置土地 caused by the user (《闲置土地处置办法》国土资源部令第53号 第十四条): one full year after the
  agreed start without construction, an idle fee of 20 % of the price (``idle_fee_due``); two full
  years, free recovery may be decided (``free_recovery_eligible``).
- Any parcel whose planned disposal date has passed with area remaining: ``plan_overdue``.

Each flag is computable both for one parcel (with its reason in Chinese) and as a database filter, from
the same dates, so a list filtered by a flag shows exactly the parcels that carry it.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import BooleanField, DecimalField, Exists, F, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce, Round
from django.utils import timezone

from landtrack.dates import cn_date, full_years_end, full_years_passed_from, latest_start
from landtrack.numbers import format_area
from landtrack.validation import AREA_DECIMAL_PLACES, AREA_MAX_DIGITS, ZERO

from .choices import (
    ARTICLE_12_METHODS,
    DisposalMethod,
    ExpropriationStatus,
    IdleCause,
    ParcelFlag,
    ParcelKind,
)
from .models import Disposal, Parcel

LAPSE_WARNING_DAYS = 90
IDLE_FEE_RATE = Decimal("0.20")
FEE_PLACES = Decimal("0.0001")
AREA = DecimalField(max_digits=AREA_MAX_DIGITS, decimal_places=AREA_DECIMAL_PLACES)

APPROVAL_LAW = "国发〔2004〕28号；国土资发〔2004〕237号第十四条"
IDLE_LAW = "《闲置土地处置办法》（国土资源部令第53号）第十四条"


@dataclass
class Flag:
    code: str
    label: str
    reason: str
    since: datetime.date | None  # the first day the flag holds (or, for a warning, the day it turns)


def with_disposed_as_of(parcels, as_of):
    """Annotate ``disposed_as_of``: the area taken off each parcel by disposals dated on or before the date."""
    if as_of >= timezone.localdate():
        # No disposal is ever dated after today (Disposal.clean), so as of today or later every disposal
        # counts, and that sum is the parcel's own disposed area, kept with each disposal write: no
        # subquery per parcel on the default (today) reading of every list and flag.
        return parcels.annotate(disposed_as_of=F("disposed_area_mu"))
    disposed = (
        Disposal.objects.filter(parcel_id=OuterRef("pk"), date__lte=as_of)
        .order_by()
        .values("parcel_id")
        # Round: SQLite adds decimals as binary floats; 4 places restores the exact sum.
        .annotate(total=Round(Sum("area_mu"), AREA_DECIMAL_PLACES, output_field=AREA))
        .values("total")
    )
    return parcels.annotate(
        disposed_as_of=Coalesce(Subquery(disposed, output_field=AREA), Value(ZERO), output_field=AREA)
    )


def on_ledger_by(as_of):
    """A Q over parcels: on the ledger by the date — approved (批而未供) or supplied (闲置土地) on or before it,
    the date no disposal of the parcel may precede (Parcel.base_date)."""
    unsupplied = Q(kind=ParcelKind.UNSUPPLIED, approval_date__lte=as_of)
    return unsupplied | Q(kind=ParcelKind.IDLE, supply_date__lte=as_of)


def _construction_started(as_of):
    """The disposals that record each parcel's construction as started on or before the date."""
    return Disposal.objects.filter(
        parcel_id=OuterRef("pk"), date__lte=as_of, method=DisposalMethod.CONSTRUCTION_STARTED
    )


def with_rule_facts(parcels, as_of):
    """Annotate what the rules need as of a date, without a query per parcel.

    ``disposed_as_of``: the area disposed of by disposals dated on or before the date;
    ``started_as_of``: whether construction was recorded as started by then.

    ``started_as_of`` is a scalar subquery (its first such disposal, or none), looked up for each row
    read: written as EXISTS, PostgreSQL hashes every construction start of the country (a scan of the 2
    million disposals, some 90 ms) before it shows the admin's first page of 50. The flag filters, which
    judge every parcel of the list, ask EXISTS themselves (:func:`flag_filter`).
    """
    started = _construction_started(as_of).annotate(started=Value(True)).values("started")[:1]
    return with_disposed_as_of(parcels, as_of).annotate(
        started_as_of=Coalesce(Subquery(started, output_field=BooleanField()), Value(False))
    )


def flag_filter(flag, as_of):
    """A Q over parcels annotated by :func:`with_rule_facts` that holds exactly when ``flag`` does."""
    unimplemented = Q(
        kind=ParcelKind.UNSUPPLIED,
        expropriation_status=ExpropriationStatus.NOT_STARTED,
        disposed_as_of=0,
        approval_date__isnull=False,
    )
    user_idle = Q(
        ~Exists(_construction_started(as_of)),
        kind=ParcelKind.IDLE,
        idle_cause=IdleCause.USER,
        disposed_as_of__lt=F("area_mu"),
        agreed_start_date__isnull=False,
    )
    if flag == ParcelFlag.APPROVAL_LAPSING:
        return unimplemented & Q(
            approval_date__gt=latest_start(as_of, 2),
            approval_date__lte=latest_start(as_of + datetime.timedelta(days=LAPSE_WARNING_DAYS), 2),
        )
    if flag == ParcelFlag.APPROVAL_LAPSED:
        return unimplemented & Q(approval_date__lte=latest_start(as_of, 2))
    if flag == ParcelFlag.IDLE_FEE_DUE:
        return user_idle & Q(agreed_start_date__lte=latest_start(as_of, 1))
    if flag == ParcelFlag.FREE_RECOVERY_ELIGIBLE:
        return user_idle & Q(agreed_start_date__lte=latest_start(as_of, 2))
    if flag == ParcelFlag.PLAN_OVERDUE:
        return Q(planned_date__lt=as_of, disposed_as_of__lt=F("area_mu"))
    raise ValueError(flag)


def parcel_flags(parcel, as_of):
    """The flags of one parcel annotated by :func:`with_rule_facts`, each with its reason in Chinese."""
    flags = []
    disposed = parcel.disposed_as_of
    remaining = parcel.area_mu - disposed
    if (
        parcel.kind == ParcelKind.UNSUPPLIED
        and parcel.expropriation_status == ExpropriationStatus.NOT_STARTED
        and disposed == 0
        and parcel.approval_date
    ):
        lapse_from = full_years_passed_from(parcel.approval_date, 2)
        end = full_years_end(parcel.approval_date, 2)
        if as_of >= lapse_from:
            flags.append(
                Flag(
                    ParcelFlag.APPROVAL_LAPSED,
                    ParcelFlag.APPROVAL_LAPSED.label,
                    f"批准时间 {cn_date(parcel.approval_date)}，至 {cn_date(end)} 已满两年，未实施征收、也无任何处置；"
                    f"按{APPROVAL_LAW}，批准文件自 {cn_date(lapse_from)} 起失效，应办理撤回或调整批文。",
                    lapse_from,
                )
            )
        elif (lapse_from - as_of).days <= LAPSE_WARNING_DAYS:
            flags.append(
                Flag(
                    ParcelFlag.APPROVAL_LAPSING,
                    ParcelFlag.APPROVAL_LAPSING.label,
                    f"批准时间 {cn_date(parcel.approval_date)}，至 {cn_date(end)} 满两年；尚未实施征收、也无任何处置，"
                    f"还有 {(lapse_from - as_of).days} 天批准文件将失效（{APPROVAL_LAW}）。",
                    lapse_from,
                )
            )
    if (
        parcel.kind == ParcelKind.IDLE
        and parcel.idle_cause == IdleCause.USER
        and not parcel.started_as_of
        and remaining > 0
        and parcel.agreed_start_date
    ):
        start = parcel.agreed_start_date
        fee_from = full_years_passed_from(start, 1)
        if as_of >= fee_from:
            fee = idle_fee(parcel)
            amount = (
                f"应征缴 {fee} 万元（价款 {parcel.price_wan} 万元的 20%）"
                if fee is not None
                else "价款未填写，无法计算金额"
            )
            flags.append(
                Flag(
                    ParcelFlag.IDLE_FEE_DUE,
                    ParcelFlag.IDLE_FEE_DUE.label,
                    f"约定开工时间 {cn_date(start)} 起满一年（{cn_date(fee_from)} 起）未动工，属企业原因闲置；"
                    f"按{IDLE_LAW}第（一）项征缴土地闲置费：{amount}。",
                    fee_from,
                )
            )
        recovery_from = full_years_passed_from(start, 2)
        if as_of >= recovery_from:
            flags.append(
                Flag(
                    ParcelFlag.FREE_RECOVERY_ELIGIBLE,
                    ParcelFlag.FREE_RECOVERY_ELIGIBLE.label,
                    f"约定开工时间 {cn_date(start)} 起满两年（{cn_date(recovery_from)} 起）未动工；"
                    f"按{IDLE_LAW}第（二）项，可报经有批准权的人民政府批准后无偿收回（须先告知听证权利）。",
                    recovery_from,
                )
            )
    if parcel.planned_date and parcel.planned_date < as_of and remaining > 0:
        flags.append(
            Flag(
                ParcelFlag.PLAN_OVERDUE,
                ParcelFlag.PLAN_OVERDUE.label,
                f"计划完成时间 {cn_date(parcel.planned_date)} 已过，仍有 {format_area(remaining)} 亩未处置。",
                parcel.planned_date + datetime.timedelta(days=1),
            )
        )
    return flags


def idle_fee(parcel):
    """20 % of the price in 万元 (exact, 4 places), or None without a price."""
    if parcel.price_wan is None:
        return None
    return (parcel.price_wan * IDLE_FEE_RATE).quantize(FEE_PLACES)


def idle_fee_due_amount(parcel, as_of):
    """The idle fee in 万元 when ``idle_fee_due`` holds as of the date, else None."""
    if any(flag.code == ParcelFlag.IDLE_FEE_DUE for flag in parcel_flags(parcel, as_of)):
        return idle_fee(parcel)
    return None


NOTICE_DAYS = 30  # 令53: investigate within 30 days of finding suspected idle land
ANSWER_DAYS = 30  # the user answers the investigation notice within 30 days


@dataclass
class Deadline:
    """A deadline of the 令53 procedure on one parcel."""

    name: str
    due: datetime.date
    done: datetime.date | None
    overdue: bool  # passed without being done, with land still to dispose of
    late: bool  # done, but after the deadline
    settled: bool = False  # not done, and no longer runs: the parcel was disposed of in full by the date
    met: bool = False  # the extension: construction was recorded as started by the date


def _procedure_facts(parcel, as_of):
    """(area disposed of, construction started) of the parcel as of the date: read from the annotations of
    :func:`with_rule_facts` when the parcel carries them (lists, reminders), else asked of the database (one
    parcel's page)."""
    if hasattr(parcel, "disposed_as_of") and hasattr(parcel, "started_as_of"):
        return parcel.disposed_as_of, parcel.started_as_of
    facts = with_rule_facts(Parcel.objects.filter(pk=parcel.pk), as_of)
    found = facts.values_list("disposed_as_of", "started_as_of").first()
    return found or (ZERO, False)


def procedure_deadlines(procedure, as_of):
    """The procedure's deadlines as of a date: the investigation notice, the answer, the extension.

    A deadline not met runs while land remains to dispose of: once the parcel is disposed of in full (taken
    back, exchanged…), nothing is overdue any more. An extension is met by construction started (recorded as
    a disposal) by the date. What was done only after the date was, as of the date, still to do."""
    parcel = procedure.parcel
    disposed, started = _procedure_facts(parcel, as_of)
    settled = disposed >= parcel.area_mu
    deadlines = []

    def add(name, due, done):
        if done is not None and done > as_of:
            done = None
        running = done is None and not settled
        deadlines.append(
            Deadline(
                name,
                due,
                done,
                overdue=running and as_of > due,
                late=done is not None and done > due,
                settled=done is None and settled,
            )
        )

    if procedure.found_date and procedure.found_date <= as_of:
        add(
            "送达调查通知书（发现后 30 日内）",
            procedure.found_date + datetime.timedelta(days=NOTICE_DAYS),
            procedure.notice_date,
        )
    # The user's 30 days run from the notice served, not from one served only after the date.
    if procedure.notice_date and procedure.notice_date <= as_of:
        add(
            "使用权人答复（通知书送达后 30 日内）",
            procedure.notice_date + datetime.timedelta(days=ANSWER_DAYS),
            procedure.answer_date,
        )
    if procedure.extension_until:
        add("延长后动工开发期限届满", procedure.extension_until, None)
        deadlines[-1].overdue = deadlines[-1].overdue and not started
        deadlines[-1].met = started
    return deadlines


SUSPECTED_IDLE = "suspected_idle"


def supply_record_base_date(record):
    """The date idleness is counted from: the agreed start, or with none agreed, the handover."""
    return record.agreed_start_date or record.agreed_delivery_date


def suspected_idle_filter(as_of):
    """Supply records with no actual start one full year after the agreed start (or the handover).

    A project reported completed by the date was started, though the export may lack its start date."""
    threshold = latest_start(as_of, 1)
    counted = Q(agreed_start_date__lte=threshold) | Q(
        agreed_start_date__isnull=True, agreed_delivery_date__lte=threshold
    )
    not_started = (Q(actual_start_date__isnull=True) | Q(actual_start_date__gt=as_of)) & (
        Q(actual_completion_date__isnull=True) | Q(actual_completion_date__gt=as_of)
    )
    return counted & not_started


def _supply_record_started(record, as_of):
    """Whether the record shows the works started by the date: an actual start, or a completion."""
    return any(
        date is not None and date <= as_of
        for date in (record.actual_start_date, record.actual_completion_date)
    )


def supply_record_flags(record, as_of):
    """[Flag] of one supply record: ``suspected_idle`` with its reason."""
    base = supply_record_base_date(record)
    if base is None:
        return []
    since = full_years_passed_from(base, 1)
    if as_of >= since and not _supply_record_started(record, as_of):
        which = "约定开工时间" if record.agreed_start_date else "约定交地时间（未约定开工时间）"
        return [
            Flag(
                SUSPECTED_IDLE,
                "疑似闲置",
                f"{which} {cn_date(base)} 起满一年（{cn_date(since)} 起）仍无实际开工记录，疑似闲置土地，"
                "应及时开展调查（《闲置土地处置办法》第二条）。",
                since,
            )
        ]
    return []


def method_errors(parcel, method):
    """Why ``method`` may not dispose of this idle parcel, or None (art. 12 for government-caused idleness)."""
    if parcel.kind == ParcelKind.IDLE and parcel.idle_cause == IdleCause.GOVERNMENT and method:
        if method not in ARTICLE_12_METHODS:
            label = DisposalMethod(method).label if method in DisposalMethod.values else method
            return (
                f"政府原因造成的闲置土地只能按《闲置土地处置办法》第十二条处置（延长动工开发期限、调整土地用途或规划条件、"
                f"安排临时使用、协议有偿收回、置换土地或其他方式），不能“{label}”。"
            )
    return None


def procedure_errors(procedure, today):
    """The 令53 procedure's own rules, as {field: message}: order of dates, hearing, extension, cause."""
    from .choices import DecisionKind

    errors = {}
    parcel = procedure.parcel
    if parcel.kind != ParcelKind.IDLE:
        errors["parcel"] = "只有闲置土地才有闲置土地处置程序。"
        return errors
    order = [
        ("found_date", "发现疑似闲置日期"),
        ("notice_date", "调查通知书送达日期"),
        ("answer_date", "使用权人答复日期"),
        ("finding_date", "闲置土地认定书日期"),
        ("decision_date", "决定书日期"),
    ]
    for name, label in order + [("hearing_offered_date", "告知听证权利日期"), ("hearing_date", "听证日期")]:
        value = getattr(procedure, name)
        if value and value > today:
            errors[name] = f"{label}不能晚于今天。"
    previous = None
    for name, label in order:
        value = getattr(procedure, name)
        if value is None:
            continue
        if previous and value < previous[1] and name not in errors:
            errors[name] = f"{label}不能早于{previous[2]}（{cn_date(previous[1])}）。"
        previous = (name, value, label)
    if procedure.answer_date and not procedure.notice_date:
        errors.setdefault("notice_date", "有答复日期时须先填写调查通知书送达日期。")
    if procedure.finding_date and not procedure.finding_number:
        errors.setdefault("finding_number", "请填写闲置土地认定书文号。")
    if procedure.decision_kind and not (procedure.decision_number and procedure.decision_date):
        errors.setdefault("decision_number", "决定书须填写文号和日期。")
    if procedure.decision_kind in (DecisionKind.FEE, DecisionKind.RECOVERY):
        offered = procedure.hearing_offered_date
        if offered is None:
            errors.setdefault("hearing_offered_date", "征缴土地闲置费或收回决定前，须告知当事人有要求举行听证的权利。")
        elif procedure.decision_date and offered > procedure.decision_date:
            errors.setdefault("hearing_offered_date", "告知听证权利应在作出决定之前。")
    if procedure.decision_kind == DecisionKind.FEE and parcel.idle_cause == IdleCause.GOVERNMENT:
        errors.setdefault("decision_kind", "政府原因造成的闲置不征缴土地闲置费（第十二条、第十四条）。")
    if procedure.hearing_date and not procedure.hearing_requested:
        errors.setdefault("hearing_requested", "有听证日期时应勾选“当事人申请听证”。")
    if procedure.hearing_date and procedure.hearing_offered_date and procedure.hearing_date < procedure.hearing_offered_date:
        errors.setdefault("hearing_date", "听证日期不能早于告知听证权利日期。")
    if procedure.extension_until:
        start = procedure.supplementary_agreement_date
        if start is None:
            errors.setdefault("supplementary_agreement_date", "延长动工开发期限须填写补充协议约定的动工开发日期。")
        elif procedure.extension_until > full_years_end(start, 1):
            errors.setdefault(
                "extension_until",
                f"延长动工开发期限最长不超过一年：自 {cn_date(start)} 起最迟至 {cn_date(full_years_end(start, 1))}"
                "（《闲置土地处置办法》第十二条第（一）项）。",
            )
        elif procedure.extension_until < start:
            errors.setdefault("extension_until", "延长后的期限不能早于补充协议约定的动工开发日期。")
    return errors
