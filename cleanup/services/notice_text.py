"""The words of a notice (docs/architecture.md#notices-and-the-keep-link): the built-in text, or
the tenant's own, in the notice's language.

The tenant's subject and body are plain text with five placeholders (`policy.rules`:
`{first_name}`, `{tenant}`, `{removal_date}`, `{keep_url}`, `{sign_in_url}`). They are
filled in by one regex substitution of exactly those names, in one pass: never
`str.format` (whose `{0.__class__}` or `{keep_url.__globals__}` walk attributes of the
server's objects) nor a template language (`{{ settings.SECRET_KEY }}`). The values are
never scanned again, so a first name like "{keep_url}" stays as typed. The rules refuse any
other brace when the text is saved; were one stored anyway, it would be printed literally.

The built-in text is Django templates translated by gettext (`cleanup/locale/`): the
language is the policy's `notice_language`, and so are the dates ("Samstag, 14. März 2026").
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext, pgettext

from cleanup.services.mail import date_text
from policy.rules import NOTICE_PLACEHOLDERS, PolicySpec

_PLACEHOLDER = re.compile(r"\{(" + "|".join(NOTICE_PLACEHOLDERS) + r")\}")
# Placeholders whose value is an address: links in the HTML part.
_LINKS = ("keep_url", "sign_in_url")


@dataclass(frozen=True)
class NoticeWords:
    subject: str
    text: str
    html: str


def placeholders_fill(text: str, values: Mapping[str, str]) -> str:
    """`text` with each known placeholder replaced by its value; anything else as typed."""
    return _PLACEHOLDER.sub(lambda match: values[match.group(1)], text)


def _html_fill(text: str, values: Mapping[str, str]) -> SafeString:
    """The tenant's plain text as HTML: every character escaped, line breaks kept, and the
    address placeholders made links."""
    parts: list[str] = []
    position = 0
    for match in _PLACEHOLDER.finditer(text):
        parts.append(escape(text[position : match.start()]))
        name, value = match.group(1), values[match.group(1)]
        if name in _LINKS:
            parts.append(f'<a href="{escape(value)}" style="color:#0969da;">{escape(value)}</a>')
        else:
            parts.append(escape(value))
        position = match.end()
    parts.append(escape(text[position:]))
    html = "".join(parts).replace("\r\n", "\n").replace("\n", "<br>\n")
    return mark_safe(html)  # noqa: S308 -- every piece above is escaped


def _action_word(action: str) -> str:
    if action == "delete":
        return pgettext("your account will be …", "deleted")
    return pgettext("your account will be …", "deactivated")


def _default_subject(action: str, tenant_name: str, date: str) -> str:
    if action == "delete":
        text = gettext("%(tenant)s: your account will be deleted on %(date)s")
    else:
        text = gettext("%(tenant)s: your account will be deactivated on %(date)s")
    return text % {"tenant": tenant_name, "date": date}


def notice_words(
    *,
    spec: PolicySpec,
    tenant_name: str,
    first_name: str,
    removal_at: datetime,
    keep_url: str,
    sign_in_url: str,
) -> NoticeWords:
    """The subject, plain text and HTML of a notice whose user is removed at `removal_at`
    unless they keep the account: the policy's own words where it has them, the built-in
    text elsewhere, in the policy's language and timezone."""
    with translation.override(spec.notice_language):
        date = date_text(removal_at, spec.timezone)
        values = {
            "first_name": first_name,
            "tenant": tenant_name,
            "removal_date": date,
            "keep_url": keep_url,
            "sign_in_url": sign_in_url,
        }
        if spec.notice_subject:
            subject = placeholders_fill(spec.notice_subject, values)
        else:
            subject = _default_subject(spec.action, tenant_name, date)
        context = {
            "language": spec.notice_language,
            "subject": subject,
            "tenant_name": tenant_name,
            "first_name": first_name,
            "action": _action_word(spec.action),
            "is_delete": spec.action == "delete",
            "date": date,
            "deleted_later_days": spec.delete_after_days if spec.action == "deactivate" else None,
            "sign_in_url": sign_in_url,
            "keep_url": keep_url,
            "keep_until": date_text(
                removal_at + timedelta(days=settings.NOTICE_KEEP_LINK_DAYS), spec.timezone
            ),
        }
        if spec.notice_body:
            text = placeholders_fill(spec.notice_body, values)
            context["body_html"] = _html_fill(spec.notice_body, values)
        else:
            text = render_to_string("cleanup/email/notice.txt", context)
        html = render_to_string("cleanup/email/notice.html", context)
    return NoticeWords(subject=subject, text=text, html=html)
