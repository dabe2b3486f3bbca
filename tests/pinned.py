"""「全部符合筛选条件」 through the browser's path: the confirmation page pins the rows it shows; its form's
token (``pin``) is what 确认 posts."""

import re
from urllib.parse import urlencode


def confirm_all(client, base: str, op: str, query=None):
    """(the confirmation page's response, its pin token or None) of operation ``op`` on list ``base``."""
    args = query if isinstance(query, str) else urlencode(query or {})
    page = client.get(f"{base}/bulk/?{args}&op={op}" if args else f"{base}/bulk/?op={op}")
    found = re.search(r'name="pin" value="([^"]+)"', page.get_data(as_text=True))
    return page, found.group(1) if found else None


def decide_all(client, base: str, op: str, query=None, data=None):
    """Open the confirmation page (filter ``query``), then press its 确认 with ``data`` (opinion, fields)."""
    _page, token = confirm_all(client, base, op, query)
    assert token, f"{base} {op}: the confirmation page pinned nothing"
    return client.post(f"{base}/decide/", data={**(data or {}), "op": op, "pin": token})
