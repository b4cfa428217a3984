"""The committed catalogue (locale/zh_Hans/LC_MESSAGES/django.mo) is the one its .po says.

The .mo is what Django reads, compiled by hand (``msgfmt -o django.mo django.po``); a .po edited without it
would change nothing on any page.
"""

import ast
import re

from django.conf import settings
from django.utils import translation

PO = settings.BASE_DIR / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"


def singular_entries(text):
    """(msgid, msgstr) of each entry without plural forms, the header left out."""
    entries = []
    for block in re.split(r"\n\s*\n", text):
        if "msgid_plural" in block:
            continue
        parts = dict.fromkeys(("msgid", "msgstr"), "")
        key = None
        for line in block.splitlines():
            match = re.match(r'(msgid|msgstr) (".*")$', line)
            if match:
                key, literal = match.groups()
                parts[key] = ast.literal_eval(literal)
            elif line.startswith('"') and key:
                parts[key] += ast.literal_eval(line)
        if parts["msgid"]:
            entries.append((parts["msgid"], parts["msgstr"]))
    return entries


def test_every_translation_in_the_po_is_what_django_gives():
    entries = singular_entries(PO.read_text(encoding="utf-8"))
    assert len(entries) >= 30
    with translation.override("zh-hans"):
        given = {msgid: translation.gettext(msgid) for msgid, _ in entries}
    assert given == dict(entries)
