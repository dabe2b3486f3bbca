"""首页: who I am and where to start."""

from flask import redirect, request, url_for
from flask_admin import AdminIndexView, expose
from flask_login import current_user

from admin_app.services import posts
from models import enums


class HomeView(AdminIndexView):
    def is_accessible(self) -> bool:
        return current_user.is_authenticated

    def inaccessible_callback(self, name, **kwargs):
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))

    @expose("/")
    def index(self):
        org = current_user.organisation
        highest = posts.highest_established_grade(org.id) if current_user.role == enums.UNIT else None
        return self.render(
            "gk/home.html",
            org=org,
            highest_grade=enums.grade_label(highest) if highest else "未设置",
            org_category=enums.ORG_CATEGORY_LABELS.get(org.org_category or "", ""),
        )
