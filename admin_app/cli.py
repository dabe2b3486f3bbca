"""flask commands: seed dictionaries, seed the demo, create the first admin, verify the audit log, print the
workflow's state diagrams, check and rebuild the tallies of 统计分析."""

import click
import sqlalchemy as sa

from admin_app.extensions import db
from admin_app.services import accounts
from models import Organisation, User, enums


def init_app(app) -> None:
    app.cli.add_command(seed_command)
    app.cli.add_command(seed_demo_command)
    app.cli.add_command(create_admin_command)
    app.cli.add_command(audit_verify_command)
    app.cli.add_command(workflow_diagram_command)
    app.cli.add_command(statistics_rebuild_command)
    from admin_app import worker  # flask worker, flask jobs-cleanup (下载中心)

    worker.init_app(app)


@click.command("seed")
def seed_command():
    """Load the dictionaries (区县, 工种, 民族, the 2021 batch). Safe to run again."""
    from seed import dictionaries

    counts = dictionaries.load_all()
    click.echo("字典已加载：" + "，".join(f"{k} {v} 条新增" for k, v in counts.items()))


@click.command("seed-demo")
@click.option("--if-empty", is_flag=True, help="Only when no organisation exists yet.")
def seed_demo_command(if_empty):
    """Create the demo data set (every role) and print the demo accounts."""
    from seed import demo

    has_data = db.session.scalar(sa.select(sa.func.count()).select_from(Organisation))
    if has_data and if_empty:
        click.echo("数据库已有数据，跳过演示数据生成。")
    elif has_data:
        raise click.ClickException("数据库已有数据；演示数据只能生成在空库中。")
    else:
        demo.build()
        click.echo("演示数据已生成。")
    accounts_ = demo.demo_accounts()
    if accounts_:
        click.echo("")
        click.echo(f"演示账号（密码均为 {demo.DEMO_PASSWORD}）：")
        for username, role, org in accounts_:
            click.echo(f"  {username:<18} {role:<14} {org}")
        click.echo("")


@click.command("create-admin")
@click.argument("username")
@click.option("--organisation", default="系统管理", help="Name of the admin organisation.")
def create_admin_command(username, organisation):
    """Create an admin account with a one-time password (production bootstrap)."""
    if db.session.scalar(sa.select(User.id).where(User.username == username)):
        raise click.ClickException("该账号已存在")
    org = db.session.scalar(
        sa.select(Organisation).where(Organisation.kind == enums.ADMIN, Organisation.name == organisation)
    ) or Organisation(name=organisation, kind=enums.ADMIN)
    user = User(username=username, organisation=org, full_name="系统管理员")
    password = accounts.issue_one_time_password(user)
    db.session.add_all([org, user])
    db.session.commit()
    click.echo(f"管理员账号 {username} 已创建，一次性密码：{password}（首次登录须修改）")


@click.command("audit-verify")
def audit_verify_command():
    """Check the audit log's hash chain; names the first broken row and exits 1 if there is one."""
    from admin_app.services.audit import verify_chain

    checked, broken = verify_chain()
    if broken is not None:
        click.echo(
            f"审计日志校验失败：第 {broken} 号记录（已核对 {checked} 条之后）被修改、删除或插入。", err=True
        )
        raise SystemExit(1)
    click.echo(f"审计日志校验通过：{checked} 条记录的哈希链完整。")


@click.command("workflow-diagram")
@click.option("--write", "document", type=click.Path(exists=True, dir_okay=False), default=None)
def workflow_diagram_command(document):
    """Print every state machine of the workflow table as Mermaid; with --write FILE, replace the diagram
    embedded in FILE (docs/architecture.md) between its workflow-diagram markers instead."""
    from admin_app.workflow import diagram

    if document is None:
        click.echo(diagram.markdown(), nl=False)
        return
    with open(document, encoding="utf-8") as f:
        text = f.read()
    with open(document, "w", encoding="utf-8") as f:
        f.write(diagram.embed(text))
    click.echo(f"已更新 {document} 中的状态图")


@click.command("statistics-rebuild")
@click.option("--check", is_flag=True, help="Only compare the tallies with the rows; exit 1 if they differ.")
def statistics_rebuild_command(check):
    """Refill the tallies of 统计分析 from the applications and registrations (writes to those tables wait
    meanwhile: seconds at 1M rows); with --check, report the combinations whose count differs instead."""
    from admin_app.services import tallies

    if check:
        differing = {
            name: rows for name, rows in tallies.differences(db.session.connection()).items() if rows
        }
        db.session.rollback()
        for name, rows in differing.items():
            click.echo(f"{name}：{len(rows)} 个组合的计数与数据不符，例如 {rows[:3]}", err=True)
        if differing:
            raise SystemExit(1)
        click.echo("统计计数与数据一致。")
        return
    written = tallies.rebuild(db.session.connection())
    db.session.commit()
    click.echo("统计计数已重建：" + "，".join(f"{name} {n} 行" for name, n in written.items()))
