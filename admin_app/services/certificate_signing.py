"""The issuing office's digital signature on a certificate PDF (pyHanko, PAdES baseline), any PDF reader
can check it: the file is signed by the key and certificate given by configuration
(``CERTIFICATE_SIGNING_PKCS12`` or ``CERTIFICATE_SIGNING_KEY`` + ``CERTIFICATE_SIGNING_CERT``, with
``CERTIFICATE_SIGNING_CHAIN`` and ``CERTIFICATE_SIGNING_PASSPHRASE``). In development, without them, a
self-signed key and certificate are generated once into ``instance/certificate_signing/``; in production
they are never generated: ``SigningUnavailable`` (the view says so in Chinese).

Guarantees: a signed file whose bytes change after signing no longer validates (the signature covers the
whole file but the signature value itself).

pyHanko is imported when a file is signed, not with the app (~27 MB resident in every process otherwise).
"""

import io
from datetime import timedelta
from functools import lru_cache
from pathlib import Path

from admin_app.services import clock

DEV_DIR = "certificate_signing"
DEV_SUBJECT = "工考管理平台开发用自签名证书"  # ≤ 64 bytes (UTF-8): never for real certificates
FIELD = "IssuingOfficeSignature"


class SigningUnavailable(RuntimeError):
    """No signing key is configured (production) or it cannot be read."""


def _dev_material(instance_path: str) -> tuple[str, str]:
    """The development key and self-signed certificate (PEM), made once."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    folder = Path(instance_path) / DEV_DIR
    key_file, cert_file = folder / "key.pem", folder / "cert.pem"
    if key_file.exists() and cert_file.exists():
        return str(key_file), str(cert_file)
    folder.mkdir(parents=True, exist_ok=True)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, DEV_SUBJECT),
            x509.NameAttribute(NameOID.COMMON_NAME, DEV_SUBJECT),
        ]
    )
    start = clock.utcnow() - timedelta(days=1)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(True, True, False, False, False, True, True, False, False), critical=True
        )
        .sign(key, hashes.SHA256())
    )
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    key_file.chmod(0o600)
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return str(key_file), str(cert_file)


def settings(config, instance_path: str) -> tuple:
    """What ``signer`` loads, from the app's configuration: ("pkcs12", file, passphrase) or
    ("pem", key, cert, chain files, passphrase)."""
    passphrase = config.get("CERTIFICATE_SIGNING_PASSPHRASE") or None
    if config.get("CERTIFICATE_SIGNING_PKCS12"):
        return ("pkcs12", config["CERTIFICATE_SIGNING_PKCS12"], passphrase)
    key, cert = config.get("CERTIFICATE_SIGNING_KEY"), config.get("CERTIFICATE_SIGNING_CERT")
    if not (key and cert):
        if config.get("APP_ENV") == "production":
            raise SigningUnavailable("未配置证书签名密钥")
        key, cert = _dev_material(instance_path)
    chain = tuple(config.get("CERTIFICATE_SIGNING_CHAIN") or ())
    return ("pem", key, cert, chain, passphrase)


@lru_cache(maxsize=4)
def signer(material: tuple):
    """The signer (pyHanko's ``SimpleSigner``) of ``settings(...)`` (read once per process and setting)."""
    from pyhanko.sign import signers

    if material[0] == "pkcs12":
        _kind, path, passphrase = material
        loaded = signers.SimpleSigner.load_pkcs12(
            path, passphrase=passphrase.encode() if passphrase else None
        )
    else:
        _kind, key, cert, chain, passphrase = material
        loaded = signers.SimpleSigner.load(
            key, cert, ca_chain_files=chain, key_passphrase=passphrase.encode() if passphrase else None
        )
    if loaded is None:
        raise SigningUnavailable("证书签名密钥无法读取")
    return loaded


def sign_pdf(data: bytes, material: tuple, *, reason: str, location: str) -> bytes:
    """``data`` (a PDF) signed by the configured office key, as a new file."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers

    writer = IncrementalPdfFileWriter(io.BytesIO(data), strict=False)
    meta = signers.PdfSignatureMetadata(
        field_name=FIELD,
        reason=reason,
        location=location,
        md_algorithm="sha256",
    )
    out = signers.sign_pdf(
        writer,
        meta,
        signer=signer(material),
        new_field_spec=fields.SigFieldSpec(sig_field_name=FIELD),
    )
    return out.getvalue()
