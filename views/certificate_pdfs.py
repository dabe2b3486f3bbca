"""证书 PDFs (issue 18) of the registration lists: one person's certificate (every stage list's details page;
the 资格认定 list's row icon) and the certificates of the 资格认定 list's current filter — scoped exactly as the
list, recognised and not revoked rows only, each page with its QR link, the file signed by the office."""

from flask import current_app, flash, redirect, request, url_for
from flask_admin import expose

from admin_app.extensions import db
from admin_app.request_guard import download
from admin_app.services import audit, certificate_signing, certificates, clock
from admin_app.services.validators import InvalidInput
from views.actor import current_actor
from views.exam_documents import PHOTO_SRC, batch_detail, none_printable, pdf_attachment, pdf_bytes

QR_SRC = "gk-qr/{}.png"  # where a QR code of the PDF's HTML points (served from the bytes handed over)
UNSIGNABLE = "证书签名密钥未配置或无法读取，暂不能生成证书PDF，请联系系统管理员（见运维手册）"


def verification_link(token: str) -> str:
    """The absolute 证书查验 link of ``token``: on ``PUBLIC_BASE_URL`` when configured (the address people
    reach from outside), else this request's host."""
    path = url_for("verify.token_view", token=token)
    base = current_app.config.get("PUBLIC_BASE_URL") or request.host_url.rstrip("/")
    return base + path


def signing_material():
    """The office's signing material; raises InvalidInput(UNSIGNABLE) (the cause logged) when it is unusable."""
    try:
        material = certificate_signing.settings(current_app.config, current_app.instance_path)
        certificate_signing.signer(material)
    except (certificate_signing.SigningUnavailable, OSError, ValueError) as exc:
        current_app.logger.exception("certificate signing key unavailable")
        raise InvalidInput(UNSIGNABLE) from exc
    return material


def seal(data: bytes, material) -> bytes:
    """``data`` (a PDF of certificates) signed once by the office."""
    config = current_app.config
    return certificate_signing.sign_pdf(
        data, material, reason="技术等级（岗位）证书电子签章", location=config["CERTIFICATE_ISSUER"]
    )


def certificates_found(regs) -> tuple[list, list]:
    """(the printable certificates of ``regs``, the others with the reason): ``certificates.certificates_of``
    with this app's link key, verification link and issuer."""
    config = current_app.config
    return certificates.certificates_of(
        regs,
        link_key=config["CERTIFICATE_LINK_KEY"],
        link_of=verification_link,
        default_issuer=config["CERTIFICATE_ISSUER"],
    )


def certificate_pages(view, found: list) -> bytes:
    """The PDF (not yet signed) of the certificates ``found``, one A4 page each with its photo and QR code."""
    html = view.render("gk/certificate_pdf.html", certificates=found, photo_src=PHOTO_SRC, qr_src=QR_SRC)
    return pdf_bytes(
        html,
        {c.registration_id: c.photo for c in found if c.photo},
        images={QR_SRC.format(c.registration_id): (c.qr_png, "image/png") for c in found},
    )


def certificate_response(view, regs, download_name: str):
    """The signed PDF of the certificates of ``regs`` (already scoped), one A4 page each; None (and a message
    flashed) when none of them has one or the file cannot be signed."""
    try:
        material = signing_material()
    except InvalidInput as exc:
        flash(str(exc), "error")
        return None
    found, refused = certificates_found(regs)
    if not found:
        db.session.rollback()
        flash(none_printable("证书", refused), "warning")
        return None
    data = seal(certificate_pages(view, found), material)
    audit.record(
        "export",
        user=current_actor(),
        object_type="Registration",
        object_id=found[0].registration_id if len(regs) == 1 else None,
        detail=batch_detail("证书PDF", [c.registration_id for c in found], refused),
    )
    db.session.commit()
    return pdf_attachment(data, download_name)


class CertificateRowMixin:
    """打印证书 of one row, on every registration stage list (its details page links it)."""

    def certificate_shown(self, row) -> bool:
        """Whether the row's certificate may be printed by the current user (icon and button)."""
        return certificates.refusal(row) is None and not self.results_hidden(row)

    @expose("/certificate.pdf", methods=("GET",))
    @download
    def certificate_pdf_view(self):
        """One person's certificate as a signed A4 PDF; refused with the reason unless 已认定."""
        reg = self.get_one(request.args.get("id"))
        back = redirect(self.get_url(".details_view", id=reg.id))
        reason = "资格认定后才能打印证书" if self.results_hidden(reg) else certificates.refusal(reg)
        if reason:
            flash(f"不能打印证书：{reason}", "warning")
            return back
        response = certificate_response(self, [reg], f"证书_{reg.certificate_number}.pdf")
        return response or back


class CertificateListMixin:
    """下载证书PDF of the 资格认定 list's current filter (at most ``limits.CERTIFICATE_PDF_ROWS``)."""

    @expose("/certificates.pdf", methods=("POST",))
    @download
    def certificates_pdf_view(self):
        """One signed PDF of the certificates of every 已认定 row of the current 组合查询 (filters, search and
        scope of this list; list order): made here up to ``limits.PDF_DIRECT_DOCUMENTS``, else a 下载中心 job
        (views/document_jobs.py); above ``limits.CERTIFICATE_PDF_ROWS`` a Chinese message and no file."""
        from views import document_jobs

        back = redirect(self.get_url(".index_view", **request.args.to_dict(flat=True)))
        regs = document_jobs.batch_or_job(self, document_jobs.CERTIFICATES, back)
        if not isinstance(regs, list):
            return regs
        response = certificate_response(self, regs, f"证书_{len(regs)}份_{clock.today():%Y%m%d}.pdf")
        return response or back
