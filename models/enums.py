"""Domain vocabularies, defined once. Keys are stored; Chinese labels are shown.

Import these everywhere a role, category, grade, education level or assessment result is needed. The states
of the workflow's machines, with their labels, are in ``admin_app.workflow.states``.
"""

# --- Roles (the organisation's kind decides the user's role) -------------------------------
UNIT = "unit"
DISTRICT_HR = "district_hr"
PARTY_ORG = "party_org"
CITY_HR = "city_hr"
OFFICE = "office"
CENTER = "center"
ADMIN = "admin"

ROLE_LABELS = {
    UNIT: "单位用户（法人用户）",
    DISTRICT_HR: "区县人力社保局",
    PARTY_ORG: "市委组织部干部一处",
    CITY_HR: "市人力社保局事业处",
    OFFICE: "市工考办",
    CENTER: "市职鉴中心",
    ADMIN: "系统管理员",
}
STAFF_ROLES = frozenset(ROLE_LABELS) - {UNIT}
# Roles that see every unit of the city (SPEC §1, manual 5.4).
CITY_WIDE_ROLES = frozenset({CITY_HR, OFFICE, CENTER})
# Roles that act on business data at all (admin keeps the system, not the assessment).
BUSINESS_STAFF_ROLES = frozenset({DISTRICT_HR, PARTY_ORG, CITY_HR, OFFICE, CENTER})

# --- 组织类别 (decides the review route) --------------------------------------------------------
CAT_CITY_PARTY = "city_party"
CAT_CITY_OTHER = "city_other"
CAT_DISTRICT = "district"
CAT_UNAFFILIATED = "unaffiliated"
CAT_INSTITUTION = "institution"
CAT_SOE = "soe"
CAT_CENTRAL = "central"

ORG_CATEGORY_LABELS = {
    CAT_CITY_PARTY: "市属单位（党群系统）",
    CAT_CITY_OTHER: "市属单位（其他）",
    CAT_DISTRICT: "区县属单位",
    CAT_UNAFFILIATED: "无隶属单位",
    CAT_INSTITUTION: "事业单位",
    CAT_SOE: "国有企业",
    CAT_CENTRAL: "中央驻渝单位",
}

# --- Jurisdiction kinds -------------------------------------------------------------------------
JURISDICTION_KIND_LABELS = {
    "district": "区",
    "county": "县",
    "autonomous_county": "自治县",
    "channel": "功能区（申报渠道）",
}

# --- Grades: stored as the official level number, 5 = 初级工 … 1 = 高级技师 --------------------------
# The one order grades are shown in (every choice list, filter, sheet and table): 初级工 first.
GRADE_ORDER = (5, 4, 3, 2, 1)
GRADE_NAMES = dict(zip(GRADE_ORDER, ("初级工", "中级工", "高级工", "技师", "高级技师"), strict=True))
GRADE_LEVEL_NAMES = dict(zip(GRADE_ORDER, ("五级", "四级", "三级", "二级", "一级"), strict=True))
GRADE_LABELS = {g: f"{GRADE_LEVEL_NAMES[g]}（{GRADE_NAMES[g]}）" for g in GRADE_ORDER}
SENIOR_GRADES = frozenset({2, 1})  # 技师, 高级技师: 附表2, 综合评审, committee evaluation
ENTRY_GRADE = 5
# (stored value, label) in GRADE_ORDER: GRADE_CHOICES for column_choices and filters (the stored integer),
# GRADE_FORM_CHOICES for select fields (a string value, coerced back with ``coerce=int``).
GRADE_CHOICES = [(g, GRADE_LABELS[g]) for g in GRADE_ORDER]
GRADE_FORM_CHOICES = [(str(g), GRADE_LABELS[g]) for g in GRADE_ORDER]


def grade_label(grade: int | None) -> str:
    return GRADE_LABELS.get(grade, "无") if grade else "无"


# --- 学历, ordered from highest to lowest; rank compares levels ----------------------------------
EDUCATION_LABELS = {
    "postgraduate": "研究生",
    "bachelor": "大学本科",
    "college": "大学专科",
    "secondary_specialized": "中专",
    "technical_school": "技工学校",
    "high_school": "高中",
    "junior_or_below": "初中及以下",
}
EDUCATION_RANK = {
    "postgraduate": 5,
    "bachelor": 4,
    "college": 3,
    "secondary_specialized": 2,
    "technical_school": 2,
    "high_school": 2,
    "junior_or_below": 1,
}

# --- 年度考核结果 -------------------------------------------------------------------------------
ASSESSMENT_LABELS = {
    "excellent": "优秀",
    "pass": "合格",
    "basic": "基本合格",
    "fail": "不合格",
    "undetermined": "未定等次",
}
ASSESSMENT_PASSING = frozenset({"excellent", "pass"})

GENDER_LABELS = {"M": "男", "F": "女"}

# --- 荣誉称号 that exempt from the post quota (notice §1(一)3) --------------------------------------
HONOUR_LABELS = {
    "national_technical_expert": "全国技术能手",
    "chongqing_outstanding_talent": "重庆市杰出技能人才",
}

# --- 工种类别 ---------------------------------------------------------------------------------------
TRADE_CATEGORIES = (
    "汽车修理及服务类",
    "计算机类",
    "行政类",
    "餐饮服务类",
    "地勘类",
    "航运类",
    "机电类",
    "检验类",
    "建筑工类",
    "农·林·牧·渔业类",
    "水电力类",
    "通信类",
    "医疗辅助服务类",
    "印刷类",
    "其他类",
)


def choices(labels: dict) -> list[tuple]:
    """(key, label) pairs for WTForms select fields and Flask-Admin column_choices."""
    return list(labels.items())


# --- 考试资格申请 ------------------------------------------------------------------------------------
REVIEW_ROLES = (DISTRICT_HR, PARTY_ORG, CITY_HR, OFFICE)  # roles that can be a step of a review chain
PUBLICITY_LABELS = {"no_objection": "无异议", "objection": "有异议"}
QUOTA_EXEMPT_LABELS = {
    "three_excellent": "近5年年度考核3次以上优秀",
    "competition": "市级一类技能竞赛前六名",
    "honour": "全国技术能手或重庆市杰出技能人才",
}
