from django.db import models

from parcels.choices import ParcelKind


class TaskCategory(models.TextChoices):
    UNSUPPLIED = "unsupplied", "批而未供"
    IDLE = "idle", "闲置土地"
    BOTH = "both", "批而未用"


# The parcel kinds whose disposals count toward a task of each category.
KINDS_BY_CATEGORY = {
    TaskCategory.UNSUPPLIED: (ParcelKind.UNSUPPLIED,),
    TaskCategory.IDLE: (ParcelKind.IDLE,),
    TaskCategory.BOTH: (ParcelKind.UNSUPPLIED, ParcelKind.IDLE),
}

# A task created without milestones gets these (month, day, cumulative rate in %) in its year:
# 25 % by 31 May, 50 % by 30 June, 85 % by 30 September, 100 % by 30 November.
DEFAULT_MILESTONES = ((5, 31, 25), (6, 30, 50), (9, 30, 85), (11, 30, 100))


class RectificationStatus(models.TextChoices):
    NOT_STARTED = "not_started", "未开始"
    IN_PROGRESS = "in_progress", "推进中"
    DONE = "done", "已完成"
    CLOSED = "closed", "已销号"


FINISHED_RECTIFICATION = (RectificationStatus.DONE, RectificationStatus.CLOSED)

# 未开始 → 推进中 → 已完成 → 已销号: where each status may go next. A done item may be reopened;
# a closed one (销号) is final.
RECTIFICATION_FLOW = {
    RectificationStatus.NOT_STARTED: {RectificationStatus.IN_PROGRESS, RectificationStatus.DONE},
    RectificationStatus.IN_PROGRESS: {RectificationStatus.DONE},
    RectificationStatus.DONE: {RectificationStatus.IN_PROGRESS, RectificationStatus.CLOSED},
    RectificationStatus.CLOSED: set(),
}


class ProgressStatus(models.TextChoices):
    COMPLETED = "completed", "已完成"
    BEHIND = "behind", "滞后"
    AT_RISK = "at_risk", "临期预警"
    ON_TRACK = "on_track", "正常推进"


class ReminderKind(models.TextChoices):
    """What a reminder is about (API.md ``/reminders/``)."""

    MILESTONE = "milestone", "进度节点"
    RECTIFICATION = "rectification", "整改事项"
    PARCEL = "parcel", "地块"
