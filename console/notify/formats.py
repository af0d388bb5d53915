"""Message bodies per channel kind: generic JSON, WeCom, DingTalk and Feishu robot formats."""

from __future__ import annotations

from typing import Any

from console.notify.render import Message

# Characters that would let a camera name inject markup into robot markdown: WeCom's
# <font>/<@userid> mentions and links. Replaced by their full-width forms.
_MD_UNSAFE = str.maketrans({"<": "＜", ">": "＞", "[": "［", "]": "］"})

WECOM_MARKDOWN_BYTES = 4096
WECOM_TEXT_BYTES = 2048
FEISHU_BODY_BYTES = 20 * 1024


def md(text: str) -> str:
    """Neutralise markup in free text placed into robot markdown."""
    return text.translate(_MD_UNSAFE)


def clip_bytes(text: str, limit: int) -> str:
    """Cut a text to at most `limit` UTF-8 bytes without splitting a character."""
    raw = text.encode()
    if len(raw) <= limit:
        return text
    return raw[: limit - len("…".encode())].decode(errors="ignore") + "…"


def plain_text(m: Message) -> str:
    """The message as plain text (e-mail text part, robots' text format)."""
    out = [m.title, f"{m.label('severity')}: {m.severity_label}", f"{m.label('time')}: {m.when}"]
    out += ["", *m.lines()]
    if m.link:
        out += ["", f"{m.label('details')}: {m.link}"]
    return "\n".join(out)


def wecom(m: Message, fmt: str) -> dict[str, Any]:
    """WeCom group robot body (企业微信群机器人, msgtype markdown or text).

    Formats and limits (markdown content <= 4096 bytes, text <= 2048 bytes, colours info /
    comment / warning) from 群机器人配置说明: https://developer.work.weixin.qq.com/document/path/91770
    """
    if fmt == "text":
        return {"msgtype": "text", "text": {"content": clip_bytes(plain_text(m), WECOM_TEXT_BYTES)}}
    colour = "info" if m.severity == "info" else "warning"
    lines = [
        f"## {md(m.title)}",
        f'> {m.label("severity")}: <font color="{colour}">{m.severity_label}</font>',
        f'> {m.label("time")}: <font color="comment">{m.when}</font>',
        "",
        *(md(line) for line in m.lines()),
    ]
    if m.link:
        lines.append(f"[{m.label('details')}]({m.link})")
    return {
        "msgtype": "markdown",
        "markdown": {"content": clip_bytes("\n".join(lines), WECOM_MARKDOWN_BYTES)},
    }


def dingtalk(m: Message, fmt: str) -> dict[str, Any]:
    """DingTalk custom robot body (钉钉自定义机器人, msgtype markdown with a title, or text).

    Message types from 自定义机器人发送群消息:
    https://open.dingtalk.com/document/orgapp/custom-bot-send-message-type
    DingTalk markdown needs a blank line to break a line.
    """
    if fmt == "text":
        return {"msgtype": "text", "text": {"content": plain_text(m)}}
    lines = [
        f"#### {md(m.title)}",
        f"> {m.label('severity')}: **{m.severity_label}**",
        f"> {m.label('time')}: {m.when}",
        *(md(line) for line in m.lines()),
    ]
    if m.link:
        lines.append(f"[{m.label('details')}]({m.link})")
    return {"msgtype": "markdown", "markdown": {"title": m.title, "text": "\n\n".join(lines)}}


def feishu(m: Message, fmt: str) -> dict[str, Any]:
    """Feishu/Lark custom bot body (飞书自定义机器人, msg_type post rich text, or text).

    The post format keys content by language (zh_cn / en_us); body at most 20 KB. From
    自定义机器人使用指南: https://open.feishu.cn/document/client-docs/bot-v3/add-custom-bot
    """
    if fmt == "text":
        text = clip_bytes(plain_text(m), FEISHU_BODY_BYTES - 1024)
        return {"msg_type": "text", "content": {"text": text}}
    rows: list[list[dict[str, str]]] = [
        [{"tag": "text", "text": f"{m.label('severity')}: {m.severity_label}"}],
        [{"tag": "text", "text": f"{m.label('time')}: {m.when}"}],
    ]
    rows += [[{"tag": "text", "text": line}] for line in m.lines()]
    if m.link:
        rows.append([{"tag": "a", "text": m.label("details"), "href": m.link}])
    lang = "en_us" if m.locale == "en" else "zh_cn"
    return {"msg_type": "post", "content": {"post": {lang: {"title": m.title, "content": rows}}}}
