"""Demo data: staff bodies, one account per role, ~30 units over every 组织类别, ~300 workers.

Deterministic (fixed random seed) so that screenshots and manual checks are repeatable.
"""

import random
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from stdnum.cn import uscc

from admin_app.extensions import db
from admin_app.services import batches, clock, unit_identity
from admin_app.services.validators import resident_check_digit
from admin_app.workflow.states import (
    ApplicationState,
    BatchState,
    EvaluationState,
    IdentityState,
    NoticeState,
    RecognitionState,
    RegistrationState,
    ScoreResult,
    pending,
)
from models import (
    AnnualAssessment,
    Application,
    ApplicationReview,
    Ethnicity,
    ExamBatch,
    Jurisdiction,
    NoticeEntry,
    Organisation,
    PostSetting,
    Registration,
    ResultNotice,
    Trade,
    User,
    Worker,
    WorkerEducation,
    WorkHistory,
    enums,
)
from seed import dictionaries

DEMO_PASSWORD = "Gk2021demo"  # demo data only; printed on the console by `make run`

STAFF_BODIES = [
    ("市委组织部干部一处", enums.PARTY_ORG, None, "party_org"),
    ("市人力社保局事业处", enums.CITY_HR, None, "city_hr"),
    ("市机关事业单位技术工人技术等级（岗位）考核办公室", enums.OFFICE, None, "office"),
    ("市职业技能鉴定指导中心", enums.CENTER, None, "center"),
    ("市人力社保局信息中心（系统管理）", enums.ADMIN, None, "admin"),
]
# (account, jurisdiction code) for the 区县 reviewers that get demo accounts.
DISTRICT_ACCOUNTS = [("yuzhong_hr", "500103"), ("shapingba_hr", "500106"), ("liangjiang_hr", "LJXQ")]

# Supervising departments first (they are units too), then the units below them.
UNITS = [
    # name, category, jurisdiction code, supervisor index (into this list) or None
    ("中共重庆市委宣传部", enums.CAT_CITY_PARTY, "500103", None),
    ("重庆市教育委员会", enums.CAT_CITY_OTHER, "500103", None),
    ("重庆市卫生健康委员会", enums.CAT_CITY_OTHER, "500103", None),
    ("重庆市渝中区教育委员会", enums.CAT_DISTRICT, "500103", None),
    ("重庆市沙坪坝区卫生健康委员会", enums.CAT_DISTRICT, "500106", None),
    ("重庆日报报业集团机关服务中心", enums.CAT_CITY_PARTY, "500103", 0),
    ("重庆广播电视集团后勤服务中心", enums.CAT_CITY_PARTY, "500103", 0),
    ("中共重庆市委党校机关服务中心", enums.CAT_CITY_PARTY, "500106", 0),
    ("重庆市教育考试院", enums.CAT_CITY_OTHER, "500103", 1),
    ("重庆市电化教育馆", enums.CAT_CITY_OTHER, "500107", 1),
    ("重庆市急救医疗中心", enums.CAT_CITY_OTHER, "500103", 2),
    ("重庆市疾病预防控制中心", enums.CAT_CITY_OTHER, "LJXQ", 2),
    ("重庆市公共卫生医疗救治中心", enums.CAT_CITY_OTHER, "500106", 2),
    ("重庆市渝中区人民小学校", enums.CAT_DISTRICT, "500103", 3),
    ("重庆市渝中区实验幼儿园", enums.CAT_DISTRICT, "500103", 3),
    ("重庆市渝中区机关事务管理中心", enums.CAT_DISTRICT, "500103", 3),
    ("重庆市沙坪坝区人民医院", enums.CAT_DISTRICT, "500106", 4),
    ("重庆市沙坪坝区妇幼保健院", enums.CAT_DISTRICT, "500106", 4),
    ("重庆市沙坪坝区疾病预防控制中心", enums.CAT_DISTRICT, "500106", 4),
    ("两江新区机关事务服务中心", enums.CAT_DISTRICT, "LJXQ", None),
    ("两江新区市政设施管理所", enums.CAT_DISTRICT, "500112", 19),  # still on the old 渝北区 code
    ("万州区公路养护中心", enums.CAT_DISTRICT, "500101", None),
    ("涪陵区水文站", enums.CAT_DISTRICT, "500102", None),
    ("重庆市地质矿产勘查开发局107地质队", enums.CAT_UNAFFILIATED, "500109", None),
    ("重庆市机关事务管理局车辆服务中心", enums.CAT_INSTITUTION, "500103", None),
    ("重庆市人民医院后勤服务部", enums.CAT_INSTITUTION, "LJXQ", None),
    ("重庆港务物流集团机关服务中心", enums.CAT_SOE, "500105", None),
    ("重庆市城市建设投资集团后勤中心", enums.CAT_SOE, "500108", None),
    ("国家统计局重庆调查总队机关服务中心", enums.CAT_CENTRAL, "500103", None),
    ("中国气象局重庆市气象台保障中心", enums.CAT_CENTRAL, "500113", None),
]
DEMO_UNIT_INDEX = 13  # 重庆市渝中区人民小学校: account "unit_demo"
PENDING_UNIT_INDEX = 15  # 重庆市渝中区机关事务管理中心: a new name waiting for 单位信息审核

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程魏苏吕丁任沈"
)
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国志红玉兰文斌波宇浩凯健俊帆鹏"
CQ_AREAS = [
    "500101",
    "500102",
    "500103",
    "500104",
    "500105",
    "500106",
    "500107",
    "500108",
    "500109",
    "500112",
    "500222",
    "500223",
    "500228",
]
SCHOOLS = [
    "重庆工商大学",
    "重庆交通大学",
    "重庆城市管理职业学院",
    "重庆市工业学校",
    "重庆市第七中学",
    "重庆工业职业技术学院",
    "重庆市技工学校",
]


def make_credit_code(rng: random.Random, kind_prefix: str, area: str) -> str:
    """A GB 32100 code with a valid embedded organisation code and check character."""
    body = "".join(rng.choice("0123456789") for _ in range(8))
    weights = [3, 7, 9, 10, 5, 8, 4, 2]
    check = 11 - sum(int(c) * w for c, w in zip(body, weights, strict=True)) % 11
    org_code = body + {10: "X", 11: "0"}.get(check, str(check))
    partial = kind_prefix + area + org_code
    return partial + uscc.calc_check_digit(partial)


def make_id_number(rng: random.Random, birth: date, gender: str) -> str:
    area = rng.choice(CQ_AREAS)
    seq = rng.randint(10, 99)
    sex_digit = rng.choice("13579" if gender == "M" else "02468")
    body = f"{area}{birth:%Y%m%d}{seq:02d}{sex_digit}"
    return body + resident_check_digit(body)


def _user(username: str, org: Organisation, full_name: str) -> User:
    user = User(username=username, organisation=org, full_name=full_name, must_change_password=False)
    user.set_password(DEMO_PASSWORD)
    db.session.add(user)
    return user


def _month(d: date) -> date:
    return d.replace(day=1)


def build(rng_seed: int = 2021) -> None:
    """Create the demo world. Assumes an empty database apart from dictionaries. Commits."""
    rng = random.Random(rng_seed)
    dictionaries.load_all()
    batch = db.session.scalar(sa.select(ExamBatch).where(ExamBatch.year == 2021))
    jurisdictions = {j.code: j for j in db.session.scalars(sa.select(Jurisdiction))}
    trades = list(db.session.scalars(sa.select(Trade).order_by(Trade.id)))
    ethnicities = list(db.session.scalars(sa.select(Ethnicity).order_by(Ethnicity.code)))
    han, tujia, miao = ethnicities[0], ethnicities[14], ethnicities[5]

    for name, kind, _j, account in STAFF_BODIES:
        org = Organisation(name=name, kind=kind, contact_person="联系人", contact_phone="023-88152255")
        db.session.add(org)
        _user(account, org, "系统管理员" if kind == enums.ADMIN else f"{enums.ROLE_LABELS[kind]}经办人")

    # One 区县 bureau per active jurisdiction, so that every unit has its reviewer.
    bureaus = {}
    for code, j in jurisdictions.items():
        if j.active:
            suffix = "组织人事部" if code == "LJXQ" else ("党群工作部" if code == "GXQ" else "人力社保局")
            bureaus[code] = Organisation(name=f"{j.name}{suffix}", kind=enums.DISTRICT_HR, jurisdiction=j)
            db.session.add(bureaus[code])
    for account, code in DISTRICT_ACCOUNTS:
        _user(account, bureaus[code], f"{jurisdictions[code].name}审核员")

    units = []
    for name, category, jcode, sup in UNITS:
        j = jurisdictions[jcode]
        area = j.code if j.code.isdigit() else "500000"
        org = Organisation(
            name=name,
            kind=enums.UNIT,
            uscc=make_credit_code(rng, "12", area),
            org_category=category,
            jurisdiction=j,
            supervisor=units[sup] if sup is not None else None,
            address=f"重庆市{j.name}{rng.choice(['人民路', '解放路', '中山路', '学府大道', '金开大道'])}{rng.randint(1, 300)}号",
            postcode=f"40{rng.randint(0, 9)}{rng.randint(100, 999)}",
            contact_person=rng.choice(SURNAMES) + rng.choice(GIVEN),
            contact_phone=f"023-{rng.randint(60000000, 89999999)}",
        )
        units.append(org)
        db.session.add(org)
    for _name, _category, _jcode, sup in UNITS:
        if sup is not None:
            units[sup].is_supervisor = True  # offered in the 主管部门 picker
    demo_unit_user = _user("unit_demo", units[DEMO_UNIT_INDEX], "人事干事")
    demo_unit_user.real_name_verified = True
    demo_unit_user.verified_name = "张红"
    demo_unit_user.verified_at = clock.utcnow()
    for index, account in ((1, "unit_city"), (25, "unit_institution")):
        _user(account, units[index], "人事干事")
    # A freshly registered unit that has not completed 单位基本信息 yet (to see the gate).
    fresh = Organisation(
        name="重庆市渝中区社区卫生服务中心",
        kind=enums.UNIT,
        uscc=make_credit_code(rng, "12", "500103"),
        self_registered=True,
        contact_person="李静",
        contact_phone="13800000000",
        identity_status=IdentityState.NEW,
    )
    db.session.add(fresh)
    _user("unit_new", fresh, "李静")
    db.session.flush()
    # The demo's units were confirmed when they joined, but one whose new name waits for its 区县 bureau
    # (渝中区: the yuzhong_hr account sees it under 单位信息审核).
    for unit in units:
        unit_identity.record_confirmed(unit, "演示数据")
    renamed = units[PENDING_UNIT_INDEX]
    renamed.name = "重庆市渝中区机关事务服务中心"
    renamed.identity_status = IdentityState.PENDING
    renamed.identity_submitted_at = clock.utcnow()

    for unit in units:
        _post_settings(rng, unit, batch)
        for _ in range(10):
            _worker(rng, unit, trades, rng.choices([han, tujia, miao], weights=[90, 7, 3])[0], batch)
    db.session.commit()
    _history(rng, batch)
    # The demo keeps its batch open so that units can try 提交审核 (the notice's deadline has passed).
    batch.apply_deadline = max(batch.apply_deadline, clock.today() + timedelta(days=30))
    _applications(rng, batch)


def _history(rng: random.Random, current: ExamBatch) -> None:
    """Two earlier, archived batches (2019, 2020) with their outcomes, imported as history (not through
    the workflow), so that 统计分析 has years to compare."""
    workers = db.session.scalars(sa.select(Worker).order_by(Worker.id)).all()
    for year in (2019, 2020):
        # history imported as it ended, not moved through the workflow
        batch, _routes = batches.copy_for_year(current, year, state=BatchState.ARCHIVED)
        share = 0.2 if year == 2019 else 0.28
        for worker in workers:
            if rng.random() > share or worker.current_grade == 1:
                continue
            grade = enums.ENTRY_GRADE if worker.current_grade is None else worker.current_grade - 1
            approved = rng.random() < 0.85
            unit = worker.unit
            app = Application(
                batch=batch,
                worker=worker,
                unit_id=unit.id,
                jurisdiction_id=unit.jurisdiction_id,
                org_category=unit.org_category,
                applied_trade=worker.current_trade,
                applied_grade=grade,
                status=ApplicationState.APPROVED if approved else ApplicationState.REJECTED,
                submitted_at=datetime(year, 7, 1, 2),
                decided_at=datetime(year, 7, 15, 2),
            )
            db.session.add(app)
            db.session.flush()
            _imported_reviews(rng, app, approved, year)
            if not approved:
                continue
            outcomes = [ScoreResult.PASS, ScoreResult.FAIL, ScoreResult.ABSENT]  # history has no 违纪
            result = rng.choices(outcomes, weights=[78, 18, 4])[0]
            senior = grade in enums.SENIOR_GRADES
            evaluation = (
                (EvaluationState.PASSED if rng.random() < 0.85 else EvaluationState.FAILED)
                if senior and result == ScoreResult.PASS
                else None
            )
            recognised = result == ScoreResult.PASS and (not senior or evaluation == EvaluationState.PASSED)
            db.session.flush()
            db.session.add(
                Registration(
                    application_id=app.id,
                    batch_id=batch.id,
                    worker_id=worker.id,
                    unit_id=unit.id,
                    jurisdiction_id=unit.jurisdiction_id,
                    org_category=unit.org_category,
                    applied_trade_id=worker.current_trade_id,
                    applied_grade=grade,
                    status=RegistrationState.REGISTERED,
                    ticket_number=f"{year}{grade}{app.id:06d}",
                    score_result=result,
                    absent=result == ScoreResult.ABSENT,
                    evaluation_status=evaluation,
                    recognition_status=RecognitionState.RECOGNISED if recognised else None,
                    certificate_number=f"CQGK{year}{grade}{app.id:06d}" if recognised else None,
                )
            )
        db.session.flush()
        _posted_notice(batch, date(year, 11, 2))
    db.session.commit()


def _posted_notice(batch: ExamBatch, start: date) -> None:
    """The batch's 合格名单公示 as it was posted (published on ``start``, its period long over) with everyone
    it recognised: recognition comes only after a 公示 (SPEC §8.4)."""
    from admin_app.services import result_notices
    from admin_app.workflow.notice import period

    ids = list(
        db.session.scalars(
            sa.select(Registration.id)
            .where(
                Registration.batch_id == batch.id,
                Registration.recognition_status == RecognitionState.RECOGNISED,
            )
            .order_by(
                Registration.unit_id,
                Registration.applied_trade_id,
                Registration.applied_grade.desc(),
                Registration.id,
            )
        )
    )
    if not ids:
        return
    notice = ResultNotice(
        batch_id=batch.id,
        title=f"{batch.name}合格人员名单公示",
        state=NoticeState.PUBLISHED,
        days=batch.notice_days,
        published_at=datetime(start.year, start.month, start.day, 2),
        start_date=start,
        end_date=period(start, batch.notice_days)[1],
    )
    db.session.add(notice)
    db.session.flush()
    values = result_notices.entry_values(ids)
    db.session.execute(
        sa.insert(NoticeEntry),
        [
            {"notice_id": notice.id, "registration_id": rid, "seq": seq, **values[rid]}
            for seq, rid in enumerate(ids, 1)
        ],
    )


def _imported_reviews(rng: random.Random, app: Application, approved: bool, year: int) -> None:
    """The review history of an application imported as it ended: submitted, then each step of its route
    approved in turn (a rejected one stops at a step of its route), so that its history chains from 待提交
    to the state it holds, as the workflow would have written it."""
    from admin_app import workflow

    route = workflow.route_for(app.batch_id, app.org_category, app.applied_grade) or [enums.OFFICE]
    stop = len(route) if approved else rng.randrange(len(route))
    states = [pending(role) for role in route] + [ApplicationState.APPROVED]
    rows = [("submit", None, 0, ApplicationState.DRAFT, states[0])]
    for index, role in enumerate(route[: stop + 1] if not approved else route):
        if not approved and index == stop:
            rows.append(("reject", role, index + 1, states[index], ApplicationState.REJECTED))
        else:
            rows.append(("approve", role, index + 1, states[index], states[index + 1]))
    for offset, (action, role, step, source, target) in enumerate(rows):
        db.session.add(
            ApplicationReview(
                application_id=app.id,
                step_index=step,
                step_role=role,
                action=action,
                role=role,
                from_status=source,
                to_status=target,
                opinion="历史数据导入" if action != "reject" else "历史数据导入：审核未通过",
                created_at=datetime(year, 7, 1 + offset, 2),
            )
        )


def _applications(rng: random.Random, batch: ExamBatch) -> None:
    """Draft applications (the grade above each worker's, in the worker's trade) for a third of the
    workers; the units with demo accounts submit theirs through the workflow, so that every reviewer's
    queue has work and the refused ones show their reasons."""
    from admin_app import workflow

    workers = db.session.scalars(sa.select(Worker).order_by(Worker.id)).all()
    by_unit: dict = {}
    for worker in workers:
        if rng.random() > 0.35 or worker.current_grade == 1:
            continue
        grade = enums.ENTRY_GRADE if worker.current_grade is None else worker.current_grade - 1
        app = Application(
            batch=batch,
            worker=worker,
            unit_id=worker.unit_id,
            jurisdiction_id=worker.unit.jurisdiction_id,
            org_category=worker.unit.org_category,
            applied_trade=worker.current_trade,
            applied_grade=grade,
            achievements="长期从事本工种工作，能独立完成本岗位技术任务，带教新进人员。",
            publicity_start=date(2021, 6, 1),
            publicity_end=date(2021, 6, 7),
            publicity_result="no_objection",
        )
        db.session.add(app)
        by_unit.setdefault(worker.unit_id, []).append(app)
    db.session.commit()
    for user in db.session.scalars(
        sa.select(User).where(User.username.in_(["unit_demo", "unit_city", "unit_institution"]))
    ):
        drafts = by_unit.get(user.organisation_id, [])
        # Keep one draft per unit for the unit to try 提交审核 itself.
        workflow.submit(user, [a.id for a in drafts[1:]], today=date(2021, 7, 1))


def _post_settings(rng: random.Random, unit: Organisation, batch: ExamBatch) -> None:
    top = rng.choice([1, 2, 2, 3, 3, 3])
    for grade in enums.GRADE_ORDER:
        approved = rng.randint(2, 8) if grade >= top else 0
        current = min(approved, rng.randint(0, approved)) if approved else 0
        db.session.add(
            PostSetting(
                unit=unit,
                batch=batch,
                grade=grade,
                approved_posts=approved,
                current_staff=current,
                special_posts=rng.choice([0, 0, 0, 1]) if approved else 0,
            )
        )


def _worker(rng, unit, trades, ethnicity, batch) -> Worker:
    gender = rng.choice("MMMF")
    birth = date(rng.randint(1965, 1996), rng.randint(1, 12), rng.randint(1, 28))
    start = date(birth.year + rng.randint(18, 23), rng.randint(1, 12), 1)
    trade = rng.choice(trades)
    years_worked = batch.cutoff_date.year - start.year
    grade = None if years_worked < 3 or rng.random() < 0.15 else rng.choice([5, 5, 4, 4, 3, 3, 2])
    grade_date = None
    if grade:
        grade_date = date(rng.randint(start.year + 1, max(start.year + 1, 2019)), rng.randint(1, 12), 1)
    education = rng.choice(list(enums.EDUCATION_LABELS)[1:])
    worker = Worker(
        unit=unit,
        name=rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice([1, 2]))),
        gender=gender,
        ethnicity=ethnicity,
        id_number=make_id_number(rng, birth, gender),
        birth_date=birth,
        work_start_date=start,
        phone=f"13{rng.randint(100000000, 999999999)}",
        education=education,
        current_trade=trade,
        current_grade=grade,
        current_grade_date=grade_date,
        certificate_number=f"CQ{grade_date:%Y}{rng.randint(100000, 999999)}" if grade else None,
        certificate_trade=trade if grade else None,
        years_in_trade=max(years_worked - rng.randint(0, 5), 1),
        is_veteran=rng.random() < 0.05,
        competition_rank=rng.randint(1, 10) if rng.random() < 0.03 else None,
        discipline_until=date(2021, 6, 30) if rng.random() < 0.02 else None,
    )
    worker.educations.append(
        WorkerEducation(
            level=education,
            graduated_on=_month(date(start.year, 7, 1)),
            school=rng.choice(SCHOOLS),
            major=rng.choice(["机电一体化", "计算机应用", "烹饪", "汽车运用与维修", "行政管理", "园林技术"]),
            certificate_number=str(rng.randint(10**9, 10**10 - 1)),
        )
    )
    worker.work_history.append(WorkHistory(start_month=start, employer=unit.name, trade_text=trade.name))
    for year in batch.assessment_years:
        result = rng.choices(["excellent", "pass", "basic"], weights=[22, 75, 3])[0]
        worker.assessments.append(AnnualAssessment(year=year, result=result))
    db.session.add(worker)
    return worker


def demo_accounts() -> list[tuple[str, str, str]]:
    """(account, role label, organisation) for every demo account present in the database."""
    names = (
        [a for *_, a in STAFF_BODIES]
        + [a for a, _ in DISTRICT_ACCOUNTS]
        + ["unit_demo", "unit_city", "unit_institution", "unit_new"]
    )
    users = db.session.scalars(sa.select(User).where(User.username.in_(names))).all()
    order = {n: i for i, n in enumerate(names)}
    users.sort(key=lambda u: order[u.username])
    return [(u.username, u.role_label, u.organisation.name) for u in users]
