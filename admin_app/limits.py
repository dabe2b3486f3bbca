"""Named limits, defined once: lengths of free text, file sizes, batch sizes of set-based work."""

OPINION = 2000  # 审核意见 (characters)
REASON = 500  # 退回原因, 撤销原因 …
REMARKS = 300  # 备注, 认定意见
RECEIPT = 50  # 收据号
PHOTO_BYTES = 5 * 1024 * 1024  # 电子照片
ID_COPY_BYTES = 10 * 1024 * 1024  # 身份证复印件
CHUNK = 1000  # ids per IN (…) on SQLite; rows per executemany
GRID = 200  # rows on one score-entry grid
BULK = 20000  # rows one bulk operation works on ("all matching the filter")
CONFIRM_SHOWN = 200  # rows named on a confirmation page
DONE_SHOWN = 200  # rows done named on a result page (every refused row is always named)
