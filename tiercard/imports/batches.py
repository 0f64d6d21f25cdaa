"""Uploading a file as a batch and configuring how it is read (mapping, mode, key, profile).

The uploaded file is copied into the import store (``TIERCARD_IMPORT_DIR``, default
``<var>/imports``) under a name the server makes; the user's file name is kept only as text.
Reading the header checks the file (size, columns, xlsx safety: ``reading.open_table``); a
file it refuses raises its ``ImportFileError`` and leaves nothing behind.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tiercard.accounts.models import Role, User
from tiercard.audit.models import AuditAction
from tiercard.audit.services import audit_record
from tiercard.core.errors import Conflict, FieldErrors, NotFound, PermissionDenied, ValidationFailed
from tiercard.imports import headers as h
from tiercard.imports.models import (
    CUSTOMER_KEYS,
    LINK_KEYS,
    ImportBatch,
    ImportKind,
    ImportMode,
    ImportStatus,
    MappingProfile,
)
from tiercard.imports.permissions import batches_visible_to, can_import
from tiercard.imports.reading import open_table

COPY_CHUNK = 1 << 20


def import_dir() -> Path:
    folder = Path(getattr(settings, "TIERCARD_IMPORT_DIR", Path(settings.VAR_DIR) / "imports"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _store(path: Path, filename: str) -> tuple[Path, str, int]:
    """Copy ``path`` into the store; (stored path, sha256, size)."""
    suffix = Path(filename).suffix.lower()
    suffix = suffix if suffix in {".csv", ".xlsx", ".txt", ".tsv"} else ".bin"
    stamp = timezone.now().strftime("%Y%m%d")
    target = import_dir() / f"{stamp}-{secrets.token_hex(8)}{suffix}"
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as src, target.open("wb") as dst:
        while block := src.read(COPY_CHUNK):
            digest.update(block)
            size += len(block)
            dst.write(block)
    return target, digest.hexdigest(), size


def _clean_kind(kind: str) -> str:
    if kind not in ImportKind.values:
        raise ValidationFailed(
            fields={"kind": [_("Choose customers, purchases or interactions.")]},
            code="import_kind",
        )
    return kind


def default_key(kind: str) -> str:
    return "phone"


def _profile_for(actor: User, kind: str, headers: list[str]) -> MappingProfile | None:
    """The actor's (or a shared) profile all of whose headers are in this file."""
    present = {h.normalise_header(text) for text in headers}
    candidates = MappingProfile.objects.filter(kind=kind).filter(owner=actor) | (
        MappingProfile.objects.filter(kind=kind, shared=True)
    )
    for profile in candidates.order_by("-updated_at", "-id"):
        if profile.mapping and set(profile.mapping) <= present:
            return profile
    return None


def import_upload(*, actor: User, kind: str, path: Path, filename: str) -> ImportBatch:
    """Store the file as a new batch with its header read and a mapping guessed (or taken
    from the actor's matching profile). PermissionDenied for roles that may not import this
    kind; ``ImportFileError`` (stable codes) for a file that cannot be read safely."""
    kind = _clean_kind(kind)
    if not can_import(actor, kind):
        raise PermissionDenied(_("Your role may not import this kind of data."))
    filename = Path(str(filename or path.name)).name[:255] or "upload"
    with open_table(path, filename=filename) as table:
        headers = [str(text) for text in table.headers]
        encoding, sheet = table.encoding or "", table.sheet or ""
    stored, sha256, size = _store(path, filename)
    profile = _profile_for(actor, kind, headers)
    if profile is not None:
        mapping = h.mapping_from_profile(headers, profile.mapping)
        mode, key = profile.mode, profile.match_key
    else:
        mapping = h.guess_mapping(kind, headers)
        mode, key = ImportMode.UPSERT, default_key(kind)
    try:
        with transaction.atomic():
            batch = ImportBatch.objects.create(
                kind=kind,
                filename=filename,
                stored_path=str(stored),
                sha256=sha256,
                size=size,
                encoding=encoding[:20],
                sheet=sheet[:100],
                headers=headers,
                mode=mode,
                match_key=key,
                mapping={str(i): name for i, name in mapping.items()},
                created_by=actor,
            )
            audit_record(
                actor=actor,
                action=AuditAction.CREATE,
                obj=batch,
                changes={
                    "kind": kind,
                    "filename": filename,
                    "sha256": sha256,
                    "size": size,
                    "profile": profile.name if profile else "",
                },
            )
    except Exception:
        stored.unlink(missing_ok=True)
        raise
    return batch


def batch_for_write(actor: User, batch_id: int | str) -> ImportBatch:
    """The batch, locked, if ``actor`` sees it and may import its kind (else NotFound /
    PermissionDenied)."""
    try:
        pk = int(batch_id)
    except (TypeError, ValueError):
        raise NotFound() from None
    batch = batches_visible_to(actor).select_for_update().filter(pk=pk).first()
    if batch is None:
        raise NotFound()
    if not can_import(actor, batch.kind):
        raise PermissionDenied(_("Your role may not import this kind of data."))
    return batch


def ensure_open(batch: ImportBatch) -> None:
    if batch.status in (ImportStatus.COMMITTED, ImportStatus.UNDONE):
        raise Conflict(
            _("This import was already carried out; upload the file again to import it anew."),
            code="import_already_committed",
        )


def clean_mapping(
    kind: str, headers: list[str], mapping: Mapping[Any, str], errors: FieldErrors
) -> dict[int, str]:
    names = {spec.name for spec in h.fields_for(kind)}
    cleaned: dict[int, str] = {}
    for raw_index, name in mapping.items():
        if not name:
            continue
        try:
            index = int(raw_index)
        except (TypeError, ValueError):
            index = -1
        if not 0 <= index < len(headers):
            errors.add("mapping", _("Column %(n)s is not in the file.") % {"n": raw_index})
        elif name not in names:
            errors.add("mapping", _("“%(name)s” is not a field of this import.") % {"name": name})
        elif name in cleaned.values():
            errors.add(
                "mapping",
                _("Two columns are mapped to “%(label)s”.")
                % {"label": h.field_spec(kind, name).label},  # type: ignore[union-attr]
            )
        else:
            cleaned[index] = name
    return dict(sorted(cleaned.items()))


def import_configure(
    *,
    actor: User,
    batch_id: int,
    mapping: Mapping[int, str],
    mode: str,
    match_key: str,
    profile_name: str = "",
    share_profile: bool = False,
) -> ImportBatch:
    """Set how the batch is read; a new check is needed afterwards (status back to uploaded).

    With ``profile_name`` the mapping is also saved as the actor's profile (replacing one of
    the same name); ``share_profile`` makes it available to everyone (managers and admins).
    """
    with transaction.atomic():
        batch = batch_for_write(actor, batch_id)
        ensure_open(batch)
        errors = FieldErrors()
        cleaned = clean_mapping(batch.kind, list(batch.headers), mapping, errors)
        if mode not in ImportMode.values:
            errors.add("mode", _("Choose create, update or create-or-update."))
        keys = CUSTOMER_KEYS if batch.kind == ImportKind.CUSTOMERS else LINK_KEYS
        if match_key not in keys:
            errors.add("match_key", _("This key cannot be used for this import."))
        if not errors:
            for name in h.missing_required(batch.kind, cleaned, mode=mode, match_key=match_key):
                label = h.field_spec(batch.kind, name)
                errors.add(
                    "mapping",
                    _("No column is mapped to “%(label)s”, which is required.")
                    % {"label": label.label if label else name},
                )
        name = (profile_name or "").strip()[:80]
        if share_profile and actor.role not in (Role.ADMIN, Role.MANAGER):
            errors.add("share_profile", _("Only managers share mapping profiles."))
        if errors:
            raise ValidationFailed(fields=errors.errors, code="import_mapping")
        before = {"mapping": batch.mapping, "mode": batch.mode, "match_key": batch.match_key}
        batch.mapping = {str(i): n for i, n in cleaned.items()}
        batch.mode, batch.match_key = mode, match_key
        batch.status = ImportStatus.UPLOADED
        batch.checked_at = None
        batch.save()
        batch.problems.all().delete()
        if name:
            by_header = {
                h.normalise_header(batch.headers[i]): field
                for i, field in cleaned.items()
                if h.normalise_header(batch.headers[i])
            }
            MappingProfile.objects.update_or_create(
                owner=actor,
                kind=batch.kind,
                name=name,
                defaults={
                    "mapping": by_header,
                    "mode": mode,
                    "match_key": match_key,
                    "shared": bool(share_profile),
                    "updated_at": timezone.now(),
                },
            )
        audit_record(
            actor=actor,
            action=AuditAction.UPDATE,
            obj=batch,
            changes={
                "mapping": [before["mapping"], batch.mapping],
                "mode": [before["mode"], mode],
                "match_key": [before["match_key"], match_key],
            },
            note=f"profile: {name}" if name else "",
        )
    return batch


def stored_file(batch: ImportBatch) -> Path:
    path = Path(batch.stored_path)
    if not path.is_file():
        raise Conflict(
            _("The uploaded file is no longer stored; upload it again."), code="import_file_gone"
        )
    return path
