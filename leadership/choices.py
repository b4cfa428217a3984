from django.db import models


class RegionLevel(models.TextChoices):
    PROVINCE = "province", "省"
    CITY = "city", "市"
    COUNTY = "county", "县（市、区）"
    TOWN = "town", "乡镇（街道）"
    ZONE = "zone", "开发区（园区）"


# Levels whose code has six digits (GB/T 2260); the others have nine (statistical township codes).
SIX_DIGIT_LEVELS = {RegionLevel.PROVINCE, RegionLevel.CITY, RegionLevel.COUNTY}
# Where a parcel may lie inside its county.
SUBCOUNTY_LEVELS = {RegionLevel.TOWN, RegionLevel.ZONE}
# The level each level's parent must have.
PARENT_LEVEL = {
    RegionLevel.CITY: RegionLevel.PROVINCE,
    RegionLevel.COUNTY: RegionLevel.CITY,
    RegionLevel.TOWN: RegionLevel.COUNTY,
    RegionLevel.ZONE: RegionLevel.COUNTY,
}


class UnitKind(models.TextChoices):
    NATURAL_RESOURCES = "natural_resources", "自然资源"
    FINANCE = "finance", "财政"
    APPROVAL = "approval", "行政审批"
    ECOLOGY = "ecology", "生态环境"
    CULTURE_TOURISM = "culture_tourism", "文旅"
    INVESTMENT = "investment", "促投"
    INDUSTRY = "industry", "工信"
    HOUSING = "housing", "住建"
    TRANSPORT = "transport", "交通"
    WATER = "water", "水利"
    TOWN_GOVERNMENT = "town_government", "乡镇政府"
    ZONE_COMMITTEE = "zone_committee", "开发区管委会"
    GOVERNMENT_OFFICE = "government_office", "政府办"
    OTHER = "other", "其他"


class MemberRole(models.TextChoices):
    LEADER = "leader", "组长"
    DEPUTY = "deputy", "副组长"
    MEMBER = "member", "成员"


class Role(models.TextChoices):
    COUNTY_CLERK = "county_clerk", "县自然资源局经办人员"
    COUNTY_OFFICE = "county_office", "县领导小组办公室"
    CITY_BUREAU = "city_bureau", "市规划和自然资源局"
    ADMIN = "admin", "系统管理员"


# The region level each role is tied to.
ROLE_REGION_LEVEL = {
    Role.COUNTY_CLERK: RegionLevel.COUNTY,
    Role.COUNTY_OFFICE: RegionLevel.COUNTY,
    Role.CITY_BUREAU: RegionLevel.CITY,
}
