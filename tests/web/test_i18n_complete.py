"""The English catalogue covers the whole UI: every msgid that ``makemessages`` finds in the app's
templates and Python has a real (non-empty, non-fuzzy) English translation in the committed
locale/en/LC_MESSAGES/django.po, and the committed .mo is compiled from it.

The extraction runs the real ``makemessages`` over a throw-away copy of the source tree (the
project's own locale/ is never written), with the options the catalogue is maintained with:
``makemessages -l en --ignore=.venv --ignore=bench --ignore=tests --ignore=staticfiles``."""

from __future__ import annotations

import gettext
import shutil
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import override_settings

ROOT = Path(settings.BASE_DIR)
PO = ROOT / "locale" / "en" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")
#: what ``makemessages`` reads by default (-e html,txt,py) ...
EXTENSIONS = {".py", ".html", ".txt"}
#: ... and the top-level folders the catalogue does not cover (tools, tests, build output, docs)
SKIPPED_DIRS = {".venv", "bench", "tests", "staticfiles", "docs", "locale", "node_modules", "control"}

_ESCAPES = {"n": "\n", "t": "\t", '"': '"', "\\": "\\", "r": "\r"}


def _unquote(s: str) -> str:
    body, out, i = s.strip()[1:-1], [], 0
    while i < len(body):
        if body[i] == "\\":
            out.append(_ESCAPES[body[i + 1]])
            i += 2
        else:
            out.append(body[i])
            i += 1
    return "".join(out)


def parse_po(path: Path) -> list[dict]:
    """The live (non-obsolete) entries of a .po file: {"msgctxt", "msgid", "plural", "msgstrs", "fuzzy",
    "refs"}."""
    entries: list[dict] = []
    for block in path.read_text(encoding="utf-8").split("\n\n"):
        flags: list[str] = []
        refs: list[str] = []
        fields: dict[str, str] = {}
        key = None
        for line in block.splitlines():
            if line.startswith("#,"):
                flags += [f.strip() for f in line[2:].split(",")]
            elif line.startswith("#:"):
                refs += line[2:].split()
            elif line.startswith("#"):
                key = None  # translator/extracted/previous/obsolete comments
            elif line.startswith('"') and key is not None:
                fields[key] += _unquote(line)
            elif line.strip():
                key, _sep, rest = line.partition(" ")
                fields[key] = _unquote(rest)
        if "msgid" not in fields or fields["msgid"] == "":
            continue  # the header, or an obsolete (#~) entry
        entries.append(
            {
                "msgctxt": fields.get("msgctxt"),
                "msgid": fields["msgid"],
                "plural": "msgid_plural" in fields,
                "msgstrs": [v for k, v in fields.items() if k.startswith("msgstr")],
                "fuzzy": "fuzzy" in flags,
                "refs": refs,
            }
        )
    return entries


def _problems(entries: list[dict]) -> list[str]:
    out = []
    for e in entries:
        if e["fuzzy"]:
            out.append(f"fuzzy: {e['msgid']!r} ({' '.join(e['refs'][:2])})")
        elif not e["msgstrs"] or any(s == "" for s in e["msgstrs"]):
            out.append(f"untranslated: {e['msgid']!r} ({' '.join(e['refs'][:2])})")
    return out


def test_committed_catalogue_has_no_empty_or_fuzzy_entry():
    entries = parse_po(PO)
    assert len(entries) > 1000  # sanity: the parser read the real catalogue
    assert _problems(entries) == []


def test_compiled_catalogue_matches_the_po():
    """The committed .mo carries every translation of the .po (compilemessages was run)."""
    with MO.open("rb") as fh:
        mo = gettext.GNUTranslations(fh)
    stale = []
    for e in parse_po(PO):
        ctx, msgid = e["msgctxt"], e["msgid"]
        if e["plural"]:
            if ctx is None:
                got = [mo.ngettext(msgid, msgid, 1), mo.ngettext(msgid, msgid, 2)]
            else:
                got = [mo.npgettext(ctx, msgid, msgid, 1), mo.npgettext(ctx, msgid, msgid, 2)]
            if got != e["msgstrs"][:2]:
                stale.append(msgid)
        elif (mo.gettext(msgid) if ctx is None else mo.pgettext(ctx, msgid)) != e["msgstrs"][0]:
            stale.append(msgid)
    assert stale == [], "run: manage.py compilemessages -l en --ignore=.venv"


def _copy_sources(dst: Path) -> None:
    for top in ROOT.iterdir():
        if top.name in SKIPPED_DIRS or top.name.startswith("."):
            continue
        if top.is_file():
            if top.suffix in EXTENSIONS:
                shutil.copy2(top, dst / top.name)
            continue
        for src in top.rglob("*"):
            if src.suffix in EXTENSIONS and src.is_file() and "__pycache__" not in src.parts:
                target = dst / src.relative_to(ROOT)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(src, target)


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="GNU gettext tools are not installed")
def test_every_extracted_msgid_is_translated(tmp_path, monkeypatch):
    """Extract with the real makemessages into a copy and merge with the committed catalogue: a msgid
    added to a template or a Python file without an English entry shows up as untranslated (or as a
    fuzzy guess from a similar msgid)."""
    _copy_sources(tmp_path)
    locale = tmp_path / "locale"
    (locale / "en" / "LC_MESSAGES").mkdir(parents=True)
    shutil.copy2(PO, locale / "en" / "LC_MESSAGES" / "django.po")
    monkeypatch.chdir(tmp_path)
    with override_settings(LOCALE_PATHS=[str(locale)]):
        call_command("makemessages", locale=["en"], ignore_patterns=[], verbosity=0)
    merged = parse_po(locale / "en" / "LC_MESSAGES" / "django.po")
    assert len(merged) > 1000
    problems = _problems(merged)
    assert problems == [], (
        "msgids without an English translation; run makemessages -l en --ignore=.venv --ignore=bench "
        "--ignore=tests --ignore=staticfiles, translate, then compilemessages -l en:\n" + "\n".join(problems)
    )
