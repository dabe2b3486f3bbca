"""Named limits, defined once: lengths of free text, file sizes, batch sizes of set-based work."""

OPINION = 2000  # 审核意见 (characters)
REASON = 500  # 退回原因, 撤销原因 …
REMARKS = 300  # 备注, 认定意见
ACHIEVEMENTS = 4000  # 工作业绩 of an application
RECEIPT = 50  # 收据号
DOCUMENT_NUMBER = 100  # 文号 of a decision (撤销认定)
RECIPIENT = 50  # 领取人 of a handed-over certificate
PHOTO_BYTES = 5 * 1024 * 1024  # 电子照片
ID_COPY_BYTES = 10 * 1024 * 1024  # 身份证复印件
USERNAME = 40  # 账号 (characters; the column's length)
ADDRESS = 45  # a client's IP address as text (IPv6 with an IPv4 tail)
USER_AGENT = 200  # a browser's name kept with its session
FILE_NAME = 200  # an upload's display name
CHUNK = 1000  # ids per IN (…) on SQLite; rows per executemany
GRID = 200  # rows on one score-entry or vote grid
COMMITTEE = 999  # the largest head count of a committee vote (应到, 实到, 同意 …)
BULK = 20000  # rows one bulk operation works on ("all matching the filter")
# "All matching the filter" (views/bulk_pinned.py, services/bulk_pins.py): its confirmation page pins the ids it
# shows for this long; 确认 decides those. Above BULK_JOB_ROWS (config BULK_JOB_ROWS) rows the decision runs as a
# background job (下载中心) deciding BULK_JOB_CHUNK (config BULK_JOB_CHUNK) rows per engine call, each call its own
# transactions.
BULK_PIN_MINUTES = 30
BULK_PIN_KEEP_HOURS = 24  # a user's pins expired this long ago are removed when they pin the next one
BULK_JOB_ROWS = 2_000
BULK_JOB_CHUNK = 500
CONFIRM_SHOWN = 200  # rows named on a confirmation page
PROBLEMS_SHOWN = 500  # problems of an import listed on the page (the file's copy has all)
MESSAGE = 1000  # 站内消息 body (characters)
# Reminders (services/reminders.py, services/outbox.py)
TEMPLATE_TITLE = 100  # a reminder template's title (characters)
EMAIL = 120  # an e-mail address (characters)
SMS_TEXT = 300  # one SMS (characters; a gateway splits longer ones, and charges for each part)
OUTBOX_BATCH = 100  # outbox messages one sender's pass takes
SEND_ERROR = 500  # the error kept with a failed attempt (characters)
MATERIAL_BYTES = 20 * 1024 * 1024  # 申报材料
IMPORT_ROWS = 20000  # data rows of one 附表5 import (IMPORT_MAX_ROWS, by default)
# An import (附表5, 成绩导入) whose sheet holds more than IMPORT_JOB_ROWS rows (config IMPORT_JOB_ROWS; rows as
# stored, counted without reading a cell) runs as a background job (services/import_jobs.py). Read, checked and
# committed in the request, an import costs ~0.3 ms a row on a quiet machine and up to ~1.5 ms at load 8
# (bench/README: 附表5 10,000 rows 3.4-7.8 s; 成绩导入 10,000 rows 2.4-14 s), so 2,000 rows hold a web worker
# ~1-3 s; beyond that the clerk gets a progress bar instead of a page that may time out.
IMPORT_JOB_ROWS = 2_000
IMPORT_PROGRESS_EVERY = 200  # rows checked between two progress reports of an import job
DONE_SHOWN = 200  # rows done named on a result page (every refused row is always named)
# 导出查询结果 (views/mixins/export.py): up to EXPORT_JOB_ROWS rows (config EXPORT_JOB_ROWS) an export is streamed
# in the request (counted up to it first); above it the export runs as a background job (下载中心,
# services/jobs.py). Streamed, an export holds ~1 chunk of rows whatever its size, but its time grows with the rows:
# 75,000 rows took 16 s on 2 cores at load average 16-20 (bench/excel_bench.py, 2026-12-02), so 20,000 take ~4 s.
EXPORT_JOB_ROWS = 20_000
# The most rows one exported sheet holds: Excel's 1,048,576 rows, less the header. A job above it fails with a
# message naming it (the clerk narrows the filter).
EXPORT_ROWS = 1_048_575
DOWNLOAD_KEEP_DAYS = 7  # a 下载中心 file is kept this long after it is made, then removed by the cleanup
# Batch PDFs (登记表, 准考证, 证书 of "all matching the filter"): every one of more than PDF_DIRECT_DOCUMENTS (one)
# person is a 下载中心 job (views/document_jobs.py; issue 19: a progress bar, a 站内消息, the file in 下载中心), laid out
# PDF_CHUNK documents per WeasyPrint call and merged (services/pdf.write_merged), so a job holds one chunk's layout
# and the merged file, not the set's. One person's document (a row's or details page's button, or a filter that
# matches one) is made in the request: ~0.26 s of CPU per 登记表 + ~0.6 s per file.
PDF_DIRECT_DOCUMENTS = 1
# A job's peak of Python allocations (tracemalloc) for 登记表, 2026-12-03: 5 a chunk 93 MB, 10 118 MB, 25 166 MB, all
# 60 in one call 249 MB (~3 MB of layout per person); each chunk embeds its own font subset (+~0.1 MB of file).
PDF_CHUNK = 10
# Every multi-sheet workbook of data is a 下载中心 job, whatever its size: 附表3 (one sheet per 工种,
# views/summary_sheet.py) and 统计分析「导出全部」 (one sheet per table, views/statistics.py). Left in the request: the
# import templates (services/candidate_sheets.py, score_sheets.py: a template sheet with 字典/填写说明, the
# unit's or session's own candidates at most), and one-sheet files (one 统计分析 table, 附件4 备案表).
# 登记表 in one PDF (ApplicationView.prints_pdf_view): 500 people take ~2.5 min of one core in the worker
# (~0.26 s each, measured 2026-12-02 with WeasyPrint 70); the file (3 pages each) stays in the tens of MB.
PRINT_PDF_ROWS = 500
# 批量上传申报材料 (services/bulk_materials.py): untrusted PDFs and ZIPs, bounded before any work.
BULK_MATERIAL_FILES = 100  # files chosen in one upload (a ZIP counts as one)
BULK_UPLOAD_BYTES = 200 * 1024 * 1024  # the whole request of one upload (MAX_CONTENT_LENGTH for that page)
ZIP_MEMBERS = 300  # files in the ZIPs of one upload (counted from their directories before extracting)
ZIP_UNPACKED_BYTES = 500 * 1024 * 1024  # the ZIPs of one upload, uncompressed (each file: MATERIAL_BYTES)
ZIP_RATIO = 100  # uncompressed / compressed size of a ZIP member or the whole ZIP (a zip bomb is far beyond)
# 准考证 in one PDF (RegistrationView.tickets_pdf_view): pages of tickets, two to an A4 page, so 2 × this many
# candidates (those who get none are listed on a first 未能打印 page). ~0.13 s of CPU per ticket with its photo
# (WeasyPrint 70, 2026-12-02): 1,000 tickets take ~2 min of one core in the worker.
TICKET_PDF_PAGES = 500
# 证书 in one PDF (RecognitionView.certificates_pdf_view): one A4 page each, with its photo and QR code, signed once
# per file (views/certificate_pdfs.py); the signature is made over the whole merged file in the worker.
CERTIFICATE_PDF_ROWS = 500
# Seats of one 考场: the room form refuses more, and a room's 考场签到表 is read and drawn for at most this many
# (bench/sign_in_bench.py; bench/README.md, 编排).
ROOM_SEATS = 120
