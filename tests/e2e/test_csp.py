"""Flask-Admin's pages still work under our Content-Security-Policy, with no violation reported."""

from tests.e2e.test_menus import login


def test_interactive_pieces_work_without_csp_violations(page, live_server, shots):
    violations = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    response = page.goto(f"{live_server}/login")
    assert "script-src 'self' 'nonce-" in response.headers["content-security-policy"]
    login(page, live_server, "unit_demo")

    # Filters: "添加筛选器" → pick one → a filter row appears (Flask-Admin's filter script runs).
    page.goto(f"{live_server}/workers/")
    page.click("text=添加筛选器")
    page.click("a.filter >> nth=0")
    assert page.locator(".filter-row, #filter_form tr, table.filters tr").count() >= 1

    # Inline rows on the worker form: "添加 学历" adds a sub-form.
    page.goto(f"{live_server}/workers/new/")
    page.click("text=添加 学历")
    assert page.locator("select[name='educations-0-level']").count() == 1

    # The delete confirmation (a dialog we dismiss: nothing is deleted).
    page.goto(f"{live_server}/applications/")
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    delete = page.locator("button[data-gk-confirm]").first
    assert delete.count() == 1  # unit_demo has drafts, which it may delete
    delete.click()
    assert dialogs and "确定" in dialogs[0]

    # Print pages: the print button calls window.print without inline script.
    page.goto(f"{live_server}/applications/")
    first = page.eval_on_selector("table.model-list a[href*='/applications/details/']", "a => a.href")
    page.goto(first.replace("/details/", "/print/"))
    page.evaluate("window.print = () => { window.__printed = true; }")
    page.click("button[data-gk-print]")
    assert page.evaluate("window.__printed === true")
    page.screenshot(path=str(shots / "csp-print.png"))
    assert violations == [], violations
