"""Evidence (佐证材料) attached to a milestone by its PM team or the project lead: reports, test
results, photos. One service writes it (``evidence_add``); reads are in
``milestones.selectors.evidence``.

What is accepted, and why:

- **Type** by extension *and* by the file's first bytes (``evidence_file_check``): a ``.pdf`` must
  start with ``%PDF-``, a ``.png`` with the PNG signature, a ``.docx``/``.xlsx``/``.pptx`` must be a
  ZIP holding the Office part of its kind, a ``.txt``/``.csv`` must be text (UTF-8 or GB18030, no NUL
  byte) that does not open like HTML/SVG/XML. A renamed executable or HTML page is refused.
- **Size** at most ``PMFLOW['EVIDENCE_MAX_BYTES']`` (default 20 MB) and not empty.
- **Storage** through Django's storage API (``default_storage``: a local folder under ``make run``,
  shared storage in production) under an unguessable name (``evidence_upload_to``); never served at
  a public URL — only ``milestones:evidence_download`` reads it back, after the visibility rule.

A refused upload writes nothing: no row, no stored file, no audit row.
"""

from __future__ import annotations

import hashlib
import os
import zipfile
from dataclasses import dataclass
from typing import IO, Any

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from milestones.models import Evidence
from milestones.models.milestones import EvidenceKind
from milestones.selectors.evidence import EVIDENCE_OPEN_STATES
from milestones.services.milestones import WORKING_PROJECT_STATES, _milestone_locked
from pmflow.audit import audit_record
from pmflow.errors import Conflict, Forbidden, InvalidInput, NotFound

DEFAULT_MAX_BYTES = 20 * 1024 * 1024

_SNIFF_BYTES = 64 * 1024
_MARKUP_STARTS = (b"<!doctype", b"<html", b"<head", b"<body", b"<script", b"<svg", b"<?xml", b"<iframe", b"<meta", b"<!--")


def evidence_max_bytes() -> int:
    return int(settings.PMFLOW.get("EVIDENCE_MAX_BYTES", DEFAULT_MAX_BYTES))


def _starts(prefix: bytes):
    def check(head: bytes, _file: IO[bytes]) -> bool:
        return head.startswith(prefix)

    return check


def _ooxml(part: str):
    """A ZIP whose members include the Office part of its kind (``word/``, ``xl/``, ``ppt/``)."""

    def check(head: bytes, file: IO[bytes]) -> bool:
        if not head.startswith(b"PK\x03\x04"):
            return False
        try:
            file.seek(0)
            with zipfile.ZipFile(file) as zf:
                names = zf.namelist()
        except (zipfile.BadZipFile, OSError, ValueError, EOFError):
            return False
        return "[Content_Types].xml" in names and any(n.startswith(part) for n in names)

    return check


def _zip(head: bytes, file: IO[bytes]) -> bool:
    if not head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return False
    try:
        file.seek(0)
        with zipfile.ZipFile(file) as zf:
            zf.namelist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return False
    return True


def _text(head: bytes, _file: IO[bytes]) -> bool:
    if b"\x00" in head:
        return False
    sample = head
    for encoding in ("utf-8", "gb18030"):
        # A multi-byte character may be cut at the end of the sample: allow up to 3 bytes of it.
        for cut in range(4):
            try:
                (sample[: len(sample) - cut] if cut else sample).decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        else:
            continue
        break
    else:
        return False
    opening = sample.removeprefix(b"\xef\xbb\xbf").lstrip().lower()
    return not opening.startswith(_MARKUP_STARTS)


@dataclass(frozen=True)
class FileType:
    content_type: str
    check: Any


#: extension → what it is served as, and how its first bytes are checked
ALLOWED_TYPES: dict[str, FileType] = {
    "pdf": FileType("application/pdf", _starts(b"%PDF-")),
    "docx": FileType("application/vnd.openxmlformats-officedocument.wordprocessingml.document", _ooxml("word/")),
    "xlsx": FileType("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", _ooxml("xl/")),
    "pptx": FileType("application/vnd.openxmlformats-officedocument.presentationml.presentation", _ooxml("ppt/")),
    "png": FileType("image/png", _starts(b"\x89PNG\r\n\x1a\n")),
    "jpg": FileType("image/jpeg", _starts(b"\xff\xd8\xff")),
    "jpeg": FileType("image/jpeg", _starts(b"\xff\xd8\xff")),
    "txt": FileType("text/plain; charset=utf-8", _text),
    "csv": FileType("text/csv; charset=utf-8", _text),
    "zip": FileType("application/zip", _zip),
}


def allowed_extensions_text() -> str:
    return "、".join(sorted({ext for ext in ALLOWED_TYPES if ext != "jpeg"}))


@dataclass(frozen=True)
class CheckedFile:
    original_name: str
    content_type: str
    size: int
    sha256: str


def evidence_file_check(file: Any) -> CheckedFile:
    """Check an uploaded file's size, extension and first bytes; ``InvalidInput`` on ``file`` if refused.
    Reads the file once (to hash it) and leaves it at position 0."""
    if file is None or not getattr(file, "name", ""):
        raise InvalidInput(fields={"file": [_("请选择要上传的文件。")]})
    original = os.path.basename(str(file.name).replace("\\", "/")).strip()[:255]
    size = getattr(file, "size", None)
    if size is None:
        raise InvalidInput(fields={"file": [_("无法读取文件大小。")]})
    if size == 0:
        raise InvalidInput(fields={"file": [_("文件是空的。")]})
    limit = evidence_max_bytes()
    if size > limit:
        raise InvalidInput(
            fields={
                "file": [
                    _("文件过大（%(size)s MB），上限为 %(limit)s MB。")
                    % {"size": f"{size / 1024 / 1024:.1f}", "limit": f"{limit / 1024 / 1024:g}"}
                ]
            }
        )
    ext = original.rsplit(".", 1)[-1].lower() if "." in original else ""
    kind = ALLOWED_TYPES.get(ext)
    if kind is None:
        raise InvalidInput(
            fields={
                "file": [
                    _("不支持此文件类型（.%(ext)s）。允许的类型：%(allowed)s。")
                    % {"ext": ext or "?", "allowed": allowed_extensions_text()}
                ]
            }
        )
    file.seek(0)
    head = file.read(_SNIFF_BYTES)
    if not kind.check(head, file):
        raise InvalidInput(fields={"file": [_("文件内容与扩展名 .%(ext)s 不符，已拒绝。") % {"ext": ext}]})
    digest = hashlib.sha256()
    file.seek(0)
    for chunk in iter(lambda: file.read(1024 * 1024), b""):
        digest.update(chunk)
    file.seek(0)
    return CheckedFile(original_name=original, content_type=kind.content_type, size=size, sha256=digest.hexdigest())


def _fields_check(*, title: str, kind: str, description: str) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if not title:
        errors["title"] = [_("请填写标题。")]
    elif len(title) > 200:
        errors["title"] = [_("标题最多 200 个字符。")]
    if kind not in EvidenceKind.values:
        errors["kind"] = [_("请选择有效的类别。")]
    if len(description) > 300:
        errors["description"] = [_("说明最多 300 个字符。")]
    return errors


def evidence_add(
    *,
    actor: Any,
    milestone_id: int,
    title: str,
    kind: str,
    file: Any,
    description: str = "",
) -> Evidence:
    """Attach ``file`` to milestone ``milestone_id`` (PM team, project lead or admin:
    ``milestones.work_on_milestone``), while the milestone is in ``EVIDENCE_OPEN_STATES`` and its
    project is working. Locks the project, then the milestone; stores the file, writes the row and an
    audit row on the milestone in one transaction. Bad input → ``InvalidInput`` naming the field;
    nothing is written, no file is stored."""
    title = (title or "").strip()
    description = (description or "").strip()
    kind = (kind or "").strip()
    errors = _fields_check(title=title, kind=kind, description=description)
    try:
        checked = evidence_file_check(file)
    except InvalidInput as exc:
        errors.update(exc.fields)
        checked = None
    with transaction.atomic():
        milestone = _milestone_locked(milestone_id)
        if not actor.has_perm("milestones.view_milestone", milestone):
            raise NotFound()
        if not actor.has_perm("milestones.work_on_milestone", milestone):
            raise Forbidden(_("只有项目经理团队和项目负责人可以上传佐证材料。"))
        if errors or checked is None:
            raise InvalidInput(fields=errors)
        if milestone.project.status not in WORKING_PROJECT_STATES or milestone.status not in EVIDENCE_OPEN_STATES:
            raise Conflict(
                _("“%(obj)s”当前状态为“%(state)s”，不能上传佐证材料。")
                % {"obj": milestone, "state": milestone.get_status_display()},
                extra={"state": milestone.status},
            )
        evidence = Evidence(
            milestone=milestone,
            title=title,
            kind=kind,
            original_name=checked.original_name,
            content_type=checked.content_type,
            size=checked.size,
            description=description,
            uploaded_by=actor,
        )
        evidence.file.save(checked.original_name, file, save=False)
        try:
            evidence.save()
            audit_record(
                obj=milestone,
                actor=actor,
                action="evidence_add",
                data={
                    "evidence": evidence.pk,
                    "title": title,
                    "kind": kind,
                    "file": checked.original_name,
                    "size": checked.size,
                    "sha256": checked.sha256,
                },
            )
        except BaseException:
            evidence.file.storage.delete(evidence.file.name)
            raise
    return evidence
