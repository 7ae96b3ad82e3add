"""Export a set of tasks' checkpoints to one tar archive with a manifest, and import such an archive.

Import trusts nothing in the archive: every member must be a regular file under a plain relative name,
within the size limit, named in the manifest exactly where the store itself would put it; every hash is
checked before anything is written. Nothing is ever extracted: bytes are read from the archive and stored
through the repository, which builds paths from checked task ids and integers only.
"""

from __future__ import annotations

import errno
import hashlib
import io
import json
import os
import stat
import tarfile
import tempfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath

from arc_ttt.adapters.storage.checkpoints import bounded_json
from arc_ttt.adapters.storage.checkpoints.metadata import (
    check_created_at,
    check_metrics,
    check_model,
    check_sha256,
    check_tags,
    check_version,
    lora_config_json,
)
from arc_ttt.adapters.storage.checkpoints.repository import RestoreOutcome, SqlCheckpointRepository
from arc_ttt.adapters.storage.checkpoints.safetensors_format import MAX_HEADER_BYTES, header_bytes, tensor_names
from arc_ttt.adapters.storage.checkpoints.weight_files import relative_path
from arc_ttt.domain.arc.task import check_task_id
from arc_ttt.domain.checkpoints.ports import CheckpointInfo
from arc_ttt.domain.errors import ArcTttError, CheckpointArchiveError, CheckpointIntegrityError

MANIFEST = "manifest.json"
FORMAT = "arc-ttt-checkpoints"
FORMAT_VERSION = 1
MAX_MANIFEST_BYTES = 64 * 1024 * 1024
MAX_MEMBERS = 100_000
DEFAULT_MAX_MEMBER_BYTES = 4 * 1024**3
CHUNK = 1 << 20
_FIELDS = ("task_id", "version", "base_model", "base_model_hash", "lora_config", "metrics", "tags",
           "created_at", "size_bytes", "sha256")


@dataclass(frozen=True, slots=True)
class ExportReport:
    path: Path
    exported: tuple[CheckpointInfo, ...]
    skipped: tuple[tuple[CheckpointInfo, str], ...]
    unknown_tasks: tuple[str, ...] = ()  # asked for, but nothing is stored for them


@dataclass(frozen=True, slots=True)
class ImportReport:
    outcomes: tuple[RestoreOutcome, ...]

    def count(self, action: str) -> int:
        return sum(1 for o in self.outcomes if o.action == action)


def _entry(info: CheckpointInfo) -> dict[str, object]:
    entry: dict[str, object] = {name: getattr(info, name) for name in _FIELDS}
    entry["lora_config"] = dict(info.lora_config)
    entry["metrics"] = dict(info.metrics)
    entry["tags"] = list(info.tags)
    entry["file"] = relative_path(info.task_id, info.version)
    return entry


def _member(name: str, size: int) -> tarfile.TarInfo:
    member = tarfile.TarInfo(name)
    member.size, member.mode, member.mtime, member.type = size, 0o644, 0, tarfile.REGTYPE
    return member


def _write_mode(path: Path) -> str:
    return "w:gz" if path.name.endswith((".tar.gz", ".tgz")) else "w"


def _taken(path: Path) -> CheckpointArchiveError:
    return CheckpointArchiveError(f"{path}: already exists; use overwrite (--force) to replace it")


def _kind(mode: int) -> str:
    return ("a folder" if stat.S_ISDIR(mode) else "a symbolic link" if stat.S_ISLNK(mode) else
            "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else "not a regular file")


def _check_target(repository: SqlCheckpointRepository, path: Path, *, overwrite: bool) -> None:
    """Refuse before anything is written: a path of the store itself (an archive written over checkpoints.db
    destroys the store), anything that exists unless `overwrite`, and even then anything but a regular file,
    since the rename would replace a device node, a link or a folder rather than write into it."""
    if repository.holds(path):
        raise CheckpointArchiveError(f"{path}: inside the checkpoint store {repository.root}; "
                                     "write the archive elsewhere")
    try:
        mode = path.lstat().st_mode
    except FileNotFoundError:
        return
    if not overwrite:
        raise _taken(path)
    if not stat.S_ISREG(mode):
        raise CheckpointArchiveError(f"{path}: exists and is {_kind(mode)}; only a regular file is replaced")


_NO_HARD_LINKS = {errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.ENOSYS}


def _move_into_place(tmp: Path, path: Path, *, overwrite: bool) -> None:
    """Give the finished archive its name in one step. Without `overwrite` it is hard-linked, which fails
    rather than replace a file that appeared at `path` since it was checked; a file system without hard
    links (FAT, some network shares) gets a last check and a rename instead."""
    if not overwrite:
        try:
            os.link(tmp, path)
        except FileExistsError:
            raise _taken(path) from None
        except OSError as exc:
            if exc.errno not in _NO_HARD_LINKS:
                raise
            if os.path.lexists(path):
                raise _taken(path) from None
        else:
            tmp.unlink()
            return
    os.replace(tmp, path)


def export_checkpoints(
    repository: SqlCheckpointRepository,
    path: Path,
    task_ids: Iterable[str] | None = None,
    *,
    overwrite: bool = False,
) -> ExportReport:
    """Every version of the given tasks (all tasks when None) whose file verifies; a damaged one is left out
    and reported. The archive is written to a temporary file beside `path` and appears there atomically
    (a .tar.gz / .tgz name compresses it), so a failed export leaves no partial archive. An existing file at
    `path` is refused unless `overwrite`, anything but a regular file always, and so is a path in the store."""
    path = Path(path)
    wanted = sorted({check_task_id(t, origin="export") for t in task_ids}) if task_ids else repository.task_ids()
    _check_target(repository, path, overwrite=overwrite)
    exported: list[CheckpointInfo] = []
    skipped: list[tuple[CheckpointInfo, str]] = []
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            with tarfile.open(fileobj=handle, mode=_write_mode(path), format=tarfile.PAX_FORMAT) as tar:
                for task_id in wanted:
                    for info in repository.find(task_id):
                        try:
                            data = repository.load(info)
                        except CheckpointIntegrityError as exc:
                            skipped.append((info, str(exc)))
                            continue
                        tar.addfile(_member(relative_path(info.task_id, info.version), len(data)), io.BytesIO(data))
                        exported.append(info)
                manifest = json.dumps({
                    "format": FORMAT, "format_version": FORMAT_VERSION,
                    "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                    "checkpoints": [_entry(i) for i in exported],
                }, indent=1, sort_keys=True).encode()
                tar.addfile(_member(MANIFEST, len(manifest)), io.BytesIO(manifest))
            handle.flush()
            os.fsync(handle.fileno())
        _check_target(repository, path, overwrite=overwrite)  # again: writing may have taken minutes
        _move_into_place(Path(tmp), path, overwrite=overwrite)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    found = {i.task_id for i in exported} | {i.task_id for i, _ in skipped}
    return ExportReport(path, tuple(exported), tuple(skipped), tuple(t for t in wanted if t not in found))


def _check_member(member: tarfile.TarInfo, max_member_bytes: int, origin: str) -> str:
    name = member.name
    pure = PurePosixPath(name)
    if not name or "\\" in name or "\x00" in name or pure.is_absolute() or ".." in pure.parts:
        raise CheckpointArchiveError(f"{origin}: unsafe member name {name!r} (absolute or with '..')")
    if not member.isreg():
        kind = ("symlink" if member.issym() else "hard link" if member.islnk() else
                "device" if member.isdev() else "directory" if member.isdir() else "special file")
        raise CheckpointArchiveError(f"{origin}: member {name!r} is a {kind}; only regular files are accepted")
    if member.size > max_member_bytes:
        raise CheckpointArchiveError(f"{origin}: member {name!r} is {member.size} bytes, over the limit of "
                                     f"{max_member_bytes}")
    return str(pure)


def _read(tar: tarfile.TarFile, member: tarfile.TarInfo, origin: str) -> bytes:
    handle = tar.extractfile(member)
    if handle is None:
        raise CheckpointArchiveError(f"{origin}: member {member.name!r} cannot be read")
    data = handle.read(member.size + 1)
    if len(data) != member.size:
        raise CheckpointArchiveError(f"{origin}: member {member.name!r} is truncated")
    return data


def _parse_entry(raw: object, origin: str) -> CheckpointInfo:
    if not isinstance(raw, dict) or set(raw) != {*_FIELDS, "file"}:
        raise CheckpointArchiveError(f"{origin}: manifest entry must have exactly the fields "
                                     f"{', '.join(sorted({*_FIELDS, 'file'}))}")
    task_id = check_task_id(raw["task_id"], origin=origin)
    where = f"{origin}: task {task_id}"
    version = check_version(raw["version"], origin=where)
    if raw["file"] != relative_path(task_id, version):
        raise CheckpointArchiveError(f"{where} v{version}: file must be {relative_path(task_id, version)!r}")
    size = raw["size_bytes"]
    if isinstance(size, bool) or not isinstance(size, int) or size < 0:
        raise CheckpointArchiveError(f"{where} v{version}: size_bytes must be a non-negative integer")
    tags = raw["tags"]
    if not isinstance(tags, list):
        raise CheckpointArchiveError(f"{where} v{version}: tags must be a list")
    where = f"{where} v{version}"
    model, model_hash = check_model(raw["base_model"], raw["base_model_hash"], origin=where)
    lora_config_json(raw["lora_config"], origin=where)
    return CheckpointInfo(task_id, version, model, model_hash, raw["lora_config"],
                          check_metrics(raw["metrics"], origin=where), check_tags(tags, origin=where),
                          check_created_at(raw["created_at"], origin=where), size,
                          check_sha256(raw["sha256"], origin=where))


def _read_manifest(tar: tarfile.TarFile, member: tarfile.TarInfo, origin: str) -> list[CheckpointInfo]:
    if member.size > MAX_MANIFEST_BYTES:
        raise CheckpointArchiveError(f"{origin}: {MANIFEST} is larger than {MAX_MANIFEST_BYTES} bytes")
    try:
        manifest = bounded_json.loads(_read(tar, member, origin))
    except ValueError as exc:
        raise CheckpointArchiveError(f"{origin}: {MANIFEST}: {exc}") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise CheckpointArchiveError(f"{origin}: {MANIFEST} is not an {FORMAT} manifest")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise CheckpointArchiveError(f"{origin}: manifest format_version {manifest.get('format_version')!r} "
                                     f"is not supported (expected {FORMAT_VERSION})")
    entries = manifest.get("checkpoints")
    if not isinstance(entries, list):
        raise CheckpointArchiveError(f"{origin}: manifest 'checkpoints' must be a list")
    return [_parse_entry(raw, f"{origin}: {MANIFEST}") for raw in entries]


def _validated(tar: tarfile.TarFile, max_member_bytes: int, origin: str) -> list[tuple[CheckpointInfo,
                                                                                        tarfile.TarInfo]]:
    """Check the whole archive (names, kinds, sizes, manifest, every hash) before anything is stored."""
    members: dict[str, tarfile.TarInfo] = {}
    for count, member in enumerate(tar, start=1):
        if count > MAX_MEMBERS:
            raise CheckpointArchiveError(f"{origin}: more than {MAX_MEMBERS} members")
        name = _check_member(member, max_member_bytes, origin)
        if name in members:
            raise CheckpointArchiveError(f"{origin}: member {name!r} appears twice")
        members[name] = member
    if MANIFEST not in members:
        raise CheckpointArchiveError(f"{origin}: no {MANIFEST}; not a checkpoint archive")
    try:
        infos = _read_manifest(tar, members.pop(MANIFEST), origin)
    except CheckpointArchiveError:
        raise
    except ArcTttError as exc:  # a malformed id, version, metric or tag in the manifest
        raise CheckpointArchiveError(str(exc)) from None
    named = {relative_path(i.task_id, i.version): i for i in infos}
    if len(named) != len(infos):
        raise CheckpointArchiveError(f"{origin}: the manifest lists a task version twice")
    if set(named) != set(members):
        extra, absent = sorted(set(members) - set(named)), sorted(set(named) - set(members))
        raise CheckpointArchiveError(f"{origin}: members and manifest disagree (not in manifest: "
                                     f"{extra[:3]}, missing: {absent[:3]})")
    checked = []
    for name, info in sorted(named.items()):
        member = members[name]
        if member.size != info.size_bytes:  # refused before a byte of it is read
            raise CheckpointArchiveError(f"{origin}: {name}: size or sha256 does not match the manifest")
        if _stream(tar, member, origin) != info.sha256:
            raise CheckpointArchiveError(f"{origin}: {name}: size or sha256 does not match the manifest")
        checked.append((info, member))
    return checked


def _judge(head: bytes, member: tarfile.TarInfo, origin: str) -> None:
    try:
        tensor_names(head, origin=f"{origin}: {member.name}", total_length=member.size)
    except ArcTttError as exc:
        raise CheckpointArchiveError(str(exc)) from None


def _stream(tar: tarfile.TarFile, member: tarfile.TarInfo, origin: str) -> str:
    """The member's sha256, read a chunk at a time, its safetensors header checked on the way: a member that
    decompresses to gigabytes (a gzip bomb) is judged in constant memory, and refused at its header when that
    is not one."""
    handle = tar.extractfile(member)
    if handle is None:
        raise CheckpointArchiveError(f"{origin}: member {member.name!r} cannot be read")
    digest, head, seen, judged = hashlib.sha256(), b"", 0, False
    while chunk := handle.read(CHUNK):
        digest.update(chunk)
        seen += len(chunk)
        if judged:
            continue
        head += chunk
        need = header_bytes(head)
        if need and (len(head) >= need or need > 8 + MAX_HEADER_BYTES):
            head, judged = head[:need], True
            _judge(head, member, origin)  # as soon as the header is in hand, before the rest is read
    if not judged:
        _judge(head, member, origin)
    if seen != member.size:
        raise CheckpointArchiveError(f"{origin}: member {member.name!r} is truncated")
    return digest.hexdigest()


def import_checkpoints(
    repository: SqlCheckpointRepository | Callable[[], SqlCheckpointRepository],
    path: Path,
    *,
    overwrite: bool = False,
    max_member_bytes: int = DEFAULT_MAX_MEMBER_BYTES,
) -> ImportReport:
    """Store every checkpoint of the archive under its own task id and version. The archive is refused as
    a whole (nothing stored) if any part is unsafe or does not match its manifest. Versions already in the
    store are skipped and reported unless `overwrite`. `repository` may be a function that opens the
    store: it is called only once the archive has passed, so a refused archive creates no new store."""
    path = Path(path)
    origin = str(path)
    try:
        tar = tarfile.open(path, mode="r:*")  # noqa: SIM115 (closed by the `with tar` below)
    except FileNotFoundError:
        raise CheckpointArchiveError(f"{origin}: no such file") from None
    except (tarfile.TarError, OSError) as exc:
        reason = "; ".join(line.strip(" -:") for line in str(exc).splitlines() if line.strip(" -:"))
        raise CheckpointArchiveError(f"{origin}: not a readable tar archive ({reason or type(exc).__name__})") from None
    outcomes = []
    with tar:
        with _damage_as_archive_error(origin):
            checked = _validated(tar, max_member_bytes, origin)
        store = repository() if callable(repository) else repository
        for info, member in checked:
            with _damage_as_archive_error(origin):
                data = _read(tar, member, origin)
            # `restore` checks the hash again, so an archive changed since validation cannot slip through
            outcomes.append(store.restore(info, data, overwrite=overwrite))
    return ImportReport(tuple(outcomes))


@contextmanager
def _damage_as_archive_error(origin: str) -> Iterator[None]:
    try:
        yield
    except (tarfile.TarError, EOFError, zlib.error, OSError) as exc:
        raise CheckpointArchiveError(f"{origin}: damaged archive ({exc})") from None
