"""Account forms. Labels and messages in Chinese; domain checks call the validators service."""

from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, EqualTo, Length, Regexp

from admin_app import limits
from admin_app.form_helpers import REQUIRED, domain_validator
from admin_app.services.unit_names import NAME_MAX_LENGTH, unit_name_filter
from admin_app.services.validators import parse_resident_id, validate_credit_code, validate_phone


class LoginForm(FlaskForm):
    username = StringField("账号", validators=[DataRequired(REQUIRED), Length(max=limits.USERNAME)])
    password = PasswordField("密码", validators=[DataRequired(REQUIRED), Length(max=128)])
    submit = SubmitField("登录")


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField("原密码", validators=[DataRequired(REQUIRED), Length(max=128)])
    new_password = PasswordField("新密码", validators=[DataRequired(REQUIRED), Length(max=128)])
    confirm = PasswordField("确认新密码", validators=[DataRequired(REQUIRED), Length(max=128)])
    submit = SubmitField("修改密码")


class RegisterForm(FlaskForm):
    name = StringField(
        "单位名称",
        validators=[DataRequired(REQUIRED), Length(max=NAME_MAX_LENGTH, message="单位名称不超过100个字")],
        filters=[unit_name_filter],  # validated and stored in its written form (no invisible characters)
    )
    credit_code = StringField(
        "统一社会信用代码",
        validators=[DataRequired(REQUIRED), Length(max=40), domain_validator(validate_credit_code)],
    )
    username = StringField(
        "登录账号",
        validators=[
            DataRequired(REQUIRED),
            Length(min=4, max=limits.USERNAME, message=f"登录账号长度为4至{limits.USERNAME}个字符"),
            Regexp(r"^[A-Za-z0-9_.@-]+$", message="登录账号只能包含字母、数字和 _ . @ -"),
        ],
    )
    password = PasswordField("密码", validators=[DataRequired(REQUIRED), Length(max=128)])
    confirm = PasswordField(
        "确认密码", validators=[DataRequired(REQUIRED), EqualTo("password", message="两次输入的密码不一致")]
    )
    contact_person = StringField("联系人", validators=[DataRequired(REQUIRED), Length(max=40)])
    contact_phone = StringField(
        "联系电话", validators=[DataRequired(REQUIRED), Length(max=30), domain_validator(validate_phone)]
    )
    submit = SubmitField("注册")


class RealNameForm(FlaskForm):
    verified_name = StringField("经办人姓名", validators=[DataRequired(REQUIRED), Length(max=40)])
    verified_id_number = StringField(
        "经办人身份证号码",
        validators=[DataRequired(REQUIRED), Length(max=40), domain_validator(parse_resident_id)],
    )
    submit = SubmitField("提交认证")


class ContactSettingsForm(FlaskForm):
    """消息设置: checked by services/contact_settings.update_own (the Chinese problems are flashed)."""

    email = StringField("电子邮箱", validators=[Length(max=200, message="电子邮箱过长")])
    mobile = StringField("手机号码", validators=[Length(max=40, message="手机号码过长")])
    email_wanted = BooleanField("接收邮件提醒")
    sms_wanted = BooleanField("接收短信提醒")
    submit = SubmitField("保存")
