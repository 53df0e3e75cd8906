"""An office uploads a rating scheme (评定方案) for a campaign not yet rated, after a preview.

Three steps, of which only the last writes:

1. ``scheme_upload_read``: the uploaded file is a ``.toml`` of at most
   ``MAX_SCHEME_BYTES``, UTF-8 text; ``scheme_upload_parse`` then reads it as
   the engine will (``rules.scheme.parse_scheme``), a refusal naming the line
   (TOML syntax) or the key, and its line where it can be found (validation);
2. ``scheme_upload_preview``: what the new scheme would make of the previous
   rated campaign over the same root — the stored engine inputs of its rated
   evaluations (their ``facts``) rated again in one engine call, compared with
   the level each was given;
3. ``campaign_scheme_upload``: the office confirms; the campaign keeps the
   new text (its engine reads ``scheme_text``), audited ``campaign.scheme_uploaded``.

A campaign takes a new scheme while it is a draft, or opened but not yet
scored or rated: no rating run, no evaluation with a level, no criterion score
entered against the old criteria.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from xingji.accounts.models import Actor
from xingji.audit.services import audit_log
from xingji.campaigns import access
from xingji.campaigns.models import Campaign, CampaignKind, CampaignState, CriterionScore, Evaluation
from xingji.campaigns.scope import scope_organizations
from xingji.campaigns.services.base import _lock_campaign
from xingji.common.errors import TransitionRefused
from xingji.rules import Engine, InputError, parse_organizations
from xingji.rules.describe import Description, describe
from xingji.rules.explain import describe_band
from xingji.rules.inputs import Organization as EngineOrganization
from xingji.rules.inputs import Record
from xingji.rules.scheme import Scheme, SchemeError, parse_scheme

MAX_SCHEME_BYTES = 256 * 1024
ACTION = "campaign.scheme_uploaded"
#: The states in which a campaign may still take another scheme (further checks: ``scheme_upload_check``).
UPLOADABLE_STATES = (CampaignState.DRAFT, CampaignState.OPEN)
NO_PREVIOUS = "没有上一年度的评定结果可供对比"
#: How many input problems of the previous results the preview lists.
PROBLEMS_SHOWN = 5


def sha256_of(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# --- reading and checking an upload ------------------------------------------------------


def scheme_upload_read(content: bytes, filename: str) -> str:
    """The text of an uploaded scheme file; ``TransitionRefused`` for a wrong name, size or encoding."""
    if not filename.lower().endswith(".toml"):
        raise TransitionRefused("评定方案文件应为 .toml 文件", code="scheme_file_type")
    if len(content) > MAX_SCHEME_BYTES:
        raise TransitionRefused(f"评定方案文件不能超过{MAX_SCHEME_BYTES // 1024}KB", code="scheme_file_size")
    if not content.strip():
        raise TransitionRefused("评定方案文件是空的", code="scheme_file_empty")
    if b"\x00" in content:
        raise TransitionRefused("评定方案文件不是文本文件（含有二进制内容）", code="scheme_file_type")
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError as error:
        line = content[: error.start].count(b"\n") + 1
        raise TransitionRefused(
            f"评定方案文件不是 UTF-8 编码的文本（第{line}行有无法识别的字节）",
            code="scheme_file_encoding",
        ) from None
    return text.removeprefix("\ufeff")


_TOML_AT = re.compile(r"\(at line (\d+), column (\d+)\)")
_KEY_PART = re.compile(r"([^.\[\]]+)(?:\[(\d+)\])?")
_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")


def key_line(text: str, key: str) -> int | None:
    """The line (1-based) of the scheme's ``key`` (``full_marks``, ``levels[4].foo``), or of its table; None if unknown.

    The key reads as the scheme errors name it: a top-level key, a table
    (``composite.weights``) or the n-th of an array of tables (``criteria[0].max``).
    """
    parts = [(name.strip(), None if index == "" else int(index)) for name, index in _KEY_PART.findall(key)]
    if not parts:
        return None
    lines = text.splitlines()
    top, index = parts[0]
    if index is None and len(parts) == 1:
        header, wanted, search = "", None, top  # a top-level key, before any table
    else:
        header, wanted, search = top, index, parts[1][0] if len(parts) > 1 else ""
    seen: Counter[str] = Counter()
    current: str | None = ""
    header_line: int | None = None
    assignment = re.compile(rf"^\s*[\"']?{re.escape(search)}[\"']?\s*[=.]") if search else None
    for number, line in enumerate(lines, start=1):
        match = _HEADER.match(line)
        if match:
            name = match.group(2).strip()
            if match.group(1) == "[[":
                position = seen[name]
                seen[name] += 1
                current = name if (name == header and (wanted is None or wanted == position)) else None
            else:
                current = name if name == header and wanted is None else None
            if current is not None:
                header_line = number
            continue
        if current == header and assignment is not None and assignment.match(line):
            return number
    return header_line if header else None


def scheme_error_text(error: SchemeError, text: str) -> str:
    """A scheme error as a user reads it: the file, the line and column of a TOML error, else the key and its line.

    A key whose line cannot be found reads as the error itself (``file: key: reason``).
    """
    at = _TOML_AT.search(error.reason)
    if error.key == "file" and at:
        reason = _TOML_AT.sub("", error.reason).strip()
        return f"{error.source} 第{at.group(1)}行第{at.group(2)}列：{reason}"
    line = key_line(text, error.key)
    if line is None:
        return str(error)
    return f"{error.source} 第{line}行，键 {error.key}：{error.reason}"


def scheme_upload_parse(text: str, filename: str) -> Scheme:
    """The scheme of an uploaded text, as the engine reads it; ``TransitionRefused`` with the line and the reason."""
    try:
        return parse_scheme(text, source=filename or "上传的评定方案")
    except SchemeError as error:
        raise TransitionRefused(f"评定方案有误：{scheme_error_text(error, text)}", code="scheme") from None


def scheme_upload_check(campaign: Campaign, scheme: Scheme | None = None) -> None:
    """Refuse unless the campaign may take another scheme (and, given, this one fits its scope)."""
    if campaign.state not in UPLOADABLE_STATES:
        raise TransitionRefused(
            f"评定活动“{campaign.name}”{campaign.get_state_display()}，不能再更换评定方案", code="scheme_locked"
        )
    if campaign.rating_runs.exists() or campaign.evaluations.filter(level__isnull=False).exists():
        raise TransitionRefused("本次评定已有评定结果，不能再更换评定方案", code="scheme_locked")
    if CriterionScore.objects.filter(evaluation__campaign=campaign).exists():
        raise TransitionRefused("已有组织按原方案录入了评分，不能再更换评定方案", code="scheme_locked")
    if scheme is not None and campaign.state == CampaignState.OPEN:
        missing = sorted(
            category
            for category in set(scope_organizations(campaign).order_by().values_list("category", flat=True).distinct())
            if not scheme.criteria_for(category)
        )
        if missing:
            raise TransitionRefused(f"新方案没有适用于“{'、'.join(missing)}”类组织的评定内容", code="no_criteria")


# --- the preview -------------------------------------------------------------------------


@dataclass(frozen=True)
class ChangedRow:
    code: str
    name: str
    old_level: str
    new_level: str
    #: The first line of the new result's reasons (its band when there is none).
    reason: str
    up: bool


@dataclass
class Preview:
    scheme: Scheme
    description: Description
    sha256: str
    #: The campaign compared with (None: no earlier rated campaign).
    previous: Campaign | None = None
    #: (level name, old count, new count), highest level first; the old levels the new scheme lacks last.
    counts: list[tuple[str, int, int]] = field(default_factory=list)
    changed: list[ChangedRow] = field(default_factory=list)
    compared: int = 0
    #: Evaluations whose stored input the new scheme cannot read: how many, and the first problems.
    skipped: int = 0
    problems: list[str] = field(default_factory=list)


def previous_campaign(campaign: Campaign) -> Campaign | None:
    """The latest earlier campaign over the same root with rated evaluations (their input stored)."""
    return (
        Campaign.objects.filter(root_id=campaign.root_id, year__lte=campaign.year)
        .exclude(pk=campaign.pk)
        .exclude(year=campaign.year, pk__gt=campaign.pk)
        .filter(evaluations__level__isnull=False)
        .distinct()
        .order_by("-year", "-pk")
        .first()
    )


def _reread(
    scheme: Scheme, rows: list[tuple[str, dict[str, Any]]]
) -> tuple[list[EngineOrganization], set[str], list[str]]:
    """(engine organizations, codes refused, first problems) of the stored inputs read with ``scheme``."""
    levels = set(scheme.level_values())
    records = []
    for code, facts in rows:
        data = dict(facts)
        if data.get("previous_stars") not in levels:
            data.pop("previous_stars", None)
        records.append(Record(code, data))
    try:
        return parse_organizations(records, scheme), set(), []
    except InputError as error:
        refused = {problem.where for problem in error.problems}
        problems = [str(problem) for problem in error.problems[:PROBLEMS_SHOWN]]
    kept = [record for record in records if record.where not in refused]
    return parse_organizations(kept, scheme), refused, problems


def scheme_upload_preview(campaign: Campaign, text: str, filename: str) -> Preview:
    """What ``text`` would make of the previous rated campaign's results; nothing is written."""
    scheme = scheme_upload_parse(text, filename)
    preview = Preview(scheme=scheme, description=describe(text, source=filename), sha256=sha256_of(text))
    previous = previous_campaign(campaign)
    if previous is None:
        return preview
    preview.previous = previous
    stored = list(
        Evaluation.objects.filter(campaign=previous, level__isnull=False)
        .exclude(facts={})
        .order_by("organization__path")
        .values_list("organization__code", "organization__name", "level", "facts")
    )
    organizations, refused, problems = _reread(scheme, [(code, facts) for code, _, _, facts in stored])
    preview.skipped, preview.problems = len(refused), problems
    stage = "year_end" if previous.kind == CampaignKind.YEAR_END else "mid_year"
    rating = Engine(scheme, stage=stage).rate(organizations, quota_mode=previous.quota_mode)
    new_by_code = {result.id: result for result in rating.results}
    old_scheme = previous.scheme
    old_counts: Counter[int] = Counter()
    new_counts: Counter[int] = Counter(result.stars for result in rating.results)
    for code, name, old_level, _ in stored:
        result = new_by_code.get(code)
        if result is None or old_level is None:
            continue
        preview.compared += 1
        old_counts[old_level] += 1
        if result.stars != old_level:
            preview.changed.append(
                ChangedRow(
                    code=code,
                    name=name,
                    old_level=old_scheme.level_name(old_level),
                    new_level=scheme.level_name(result.stars),
                    reason=(result.reasons[0].message if result.reasons else describe_band(result, scheme)).split("\n")[
                        0
                    ],
                    up=result.stars > old_level,
                )
            )
    new_levels = sorted(scheme.level_values(), reverse=True)
    preview.counts = [(scheme.level_name(level), old_counts[level], new_counts[level]) for level in new_levels]
    preview.counts += [
        (old_scheme.level_name(level), old_counts[level], 0)
        for level in sorted(set(old_counts) - set(new_levels), reverse=True)
    ]
    return preview


# --- confirming --------------------------------------------------------------------------


def _scheme_snapshot(campaign: Campaign) -> dict[str, Any]:
    return {
        "scheme_code": campaign.scheme_code,
        "scheme_name": campaign.scheme_name,
        "scheme_origin": campaign.scheme_origin,
        "scheme_sha256": sha256_of(campaign.scheme_text),
    }


def campaign_scheme_upload(*, campaign: Campaign, text: str, filename: str, sha256: str, actor: Actor) -> Campaign:
    """The campaign takes the uploaded ``text``, previewed as ``sha256``; audited ``campaign.scheme_uploaded``."""
    with transaction.atomic():
        current = _lock_campaign(campaign)
        access.require_office(actor, current)
        if not sha256 or sha256 != sha256_of(text):
            raise TransitionRefused("上传的评定方案与预览的不一致，请重新上传并预览", code="scheme_changed")
        scheme = scheme_upload_parse(text, filename)
        scheme_upload_check(current, scheme)
        before = _scheme_snapshot(current)
        name = filename or "上传的评定方案"
        current.scheme_code = scheme.id[:100]
        current.scheme_name = scheme.name[:200]
        current.scheme_origin = f"上传：{name}"[:255]
        current.scheme_text = text
        current.save(update_fields=["scheme_code", "scheme_name", "scheme_origin", "scheme_text"])
        audit_log(actor=actor, action=ACTION, obj=current, before=before, after=_scheme_snapshot(current))
    return current
