"""Time to the first and to the last byte of 导出查询结果 on an existing generated database (issue 16 point 4 at
1M and 10M), as the 市工考办, in process: the WSGI iterator is read piece by piece as a server would send it.

Usage:  .venv/bin/python bench/export_first_byte.py --db gk_10m [--query "flt0_3=渝中区"] [--repeat 3]
``--query`` is the list's own URL arguments (copy them from the browser); the rows exported are read from the
export's audit row. An export above ``limits.EXPORT_ROWS`` is refused: its answer time is reported instead.
"""

import argparse
import json
import os
import statistics
import sys
from urllib.parse import parse_qsl

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
from bench.excel_bench import exported_rows, read_download  # noqa: E402
from bench.live_server import PASSWORD, PG, load_average  # noqa: E402


def one_export(client, query: dict) -> dict:
    status, total, size, first = read_download(client, "/applications/export.xlsx", query)
    if status == 302:  # refused above the cap: back to the list with the message
        return {"refused": True, "answer_s": round(total, 3)}
    assert status == 200, status
    return {"first_byte_s": round(first, 3), "total_s": round(total, 3), "bytes": size}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", default="gk_scale")
    parser.add_argument("--query", default="")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    from admin_app import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": f"{PG}/{args.db}", "SECRET_KEY": "bench"})
    app.config["WTF_CSRF_ENABLED"] = False
    client = app.test_client()
    assert client.post("/login", data={"username": "office", "password": PASSWORD}).status_code == 302
    query = dict(parse_qsl(args.query))
    print(json.dumps({"load_average": load_average(), "at": "before"}), flush=True)
    runs = []
    for _ in range(args.repeat):
        result = one_export(client, query)
        result["rows"] = None if result.get("refused") else exported_rows(app)
        runs.append(result)
        print(json.dumps(result, ensure_ascii=False), flush=True)
    if not runs[0].get("refused"):
        firsts = [r["first_byte_s"] for r in runs]
        totals = [r["total_s"] for r in runs]
        print(
            json.dumps(
                {
                    "first_byte_median_s": statistics.median(firsts),
                    "total_median_s": statistics.median(totals),
                }
            )
        )
    print(json.dumps({"load_average": load_average(), "at": "after"}), flush=True)


if __name__ == "__main__":
    main()
