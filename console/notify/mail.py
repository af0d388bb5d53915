"""E-mail over SMTP (plain, STARTTLS or implicit TLS): text with an HTML alternative."""

from __future__ import annotations

import asyncio
import html
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid
from typing import TYPE_CHECKING

from console.notify.formats import plain_text
from console.notify.render import Message
from console.notify.targets import DeliveryError, Target, host_allowed

if TYPE_CHECKING:
    from collections.abc import Callable

SEVERITY_COLOUR = {
    "info": "#2f6f44",
    "warning": "#9a6700",
    "major": "#b35900",
    "critical": "#b3261e",
}


def html_body(m: Message) -> str:
    """The HTML alternative; every text is escaped."""
    e = html.escape
    colour = SEVERITY_COLOUR.get(m.severity, "#333")
    banner = ""
    if m.is_exercise:
        banner = (
            '<p style="background:#fff3cd;border:1px solid #c9a227;padding:6px 10px;'
            f'font-weight:bold">{e(m.lines()[0])}</p>'
        )
        lines = m.lines()[1:]
    else:
        lines = m.lines()
    items = "".join(f'<p style="margin:4px 0">{e(line)}</p>' for line in lines)
    link = f'<p><a href="{e(m.link, quote=True)}">{e(m.label("details"))}</a></p>' if m.link else ""
    return (
        f'<!doctype html><html lang="{e(m.locale)}"><body style="font-family:sans-serif">'
        f'{banner}<h2 style="margin:0 0 8px">{e(m.title)}</h2>'
        f'<p>{e(m.label("severity"))}: <b style="color:{colour}">{e(m.severity_label)}</b>'
        f"<br>{e(m.label('time'))}: {e(m.when)}</p>{items}{link}</body></html>"
    )


def build_mail(target: Target, m: Message) -> EmailMessage:
    """A multipart/alternative message: text first, HTML second."""
    cfg = target.config["email"]
    msg = EmailMessage()
    msg["Subject"] = m.title
    msg["From"] = formataddr((str(cfg.get("from_name") or "EOC Console"), str(cfg["from_addr"])))
    msg["To"] = ", ".join(cfg["to"])
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = make_msgid(domain=str(cfg["from_addr"]).rpartition("@")[2] or None)
    msg["X-EOC-Severity"] = m.severity
    msg["X-EOC-Exercise"] = "yes" if m.is_exercise else "no"
    msg["Content-Language"] = m.locale
    msg.set_content(plain_text(m))
    msg.add_alternative(html_body(m), subtype="html")
    return msg


def _context(verify: bool) -> ssl.SSLContext:
    ctx = ssl.create_default_context()
    if not verify:
        # For mail relays with an internal CA the operator chose not to install here.
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    return ctx


def _send_blocking(target: Target, msg: EmailMessage, timeout_s: float) -> None:
    cfg = target.config["email"]
    host, port = str(cfg["host"]), int(cfg["port"])
    security = str(cfg.get("security", "starttls"))
    ctx = _context(bool(cfg.get("verify_tls", True)))
    factory: Callable[[], smtplib.SMTP]
    if security == "ssl":
        factory = lambda: smtplib.SMTP_SSL(host, port, timeout=timeout_s, context=ctx)  # noqa: E731
    else:
        factory = lambda: smtplib.SMTP(host, port, timeout=timeout_s)  # noqa: E731
    with factory() as smtp:
        smtp.ehlo()
        if security == "starttls":
            smtp.starttls(context=ctx)
            smtp.ehlo()
        username = str(cfg.get("username") or "")
        if username:
            smtp.login(username, target.password)
        smtp.send_message(msg)


async def send_mail(target: Target, m: Message, allowed_hosts: list[str], timeout_s: float) -> None:
    """Send through the channel's SMTP server in a worker thread (smtplib blocks)."""
    host = str(target.config.get("email", {}).get("host", ""))
    if not host_allowed(host, allowed_hosts):
        raise DeliveryError(f"SMTP host {host} is not in [notify] allowed_hosts", retryable=False)
    msg = build_mail(target, m)
    try:
        await asyncio.to_thread(_send_blocking, target, msg, timeout_s)
    except smtplib.SMTPResponseException as exc:
        # 4xx replies are temporary by the SMTP standard (RFC 5321 4.2.1); 5xx are final.
        text = exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) else ""
        raise DeliveryError(
            f"SMTP {exc.smtp_code} {text}".strip(), retryable=400 <= exc.smtp_code < 500
        ) from exc
    except smtplib.SMTPRecipientsRefused as exc:
        codes = [code for code, _ in exc.recipients.values()]
        raise DeliveryError(
            f"SMTP refused the recipients: {exc.recipients}",
            retryable=all(400 <= c < 500 for c in codes),
        ) from exc
    except smtplib.SMTPNotSupportedError as exc:
        raise DeliveryError(f"SMTP server: {exc}", retryable=False) from exc
    except ssl.SSLError as exc:
        raise DeliveryError(f"TLS: {exc}", retryable=False) from exc
    except (TimeoutError, smtplib.SMTPException, OSError) as exc:
        raise DeliveryError(f"SMTP: {type(exc).__name__}: {exc}", retryable=True) from exc
