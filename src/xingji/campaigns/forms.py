"""The forms of the campaign pages: they only shape input; the services decide."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import cast

from django import forms
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils import timezone

from xingji.accounts.access import visible_organizations
from xingji.campaigns import selectors, services
from xingji.campaigns.models import (
    Campaign,
    CampaignKind,
    CheckMethod,
    Evaluation,
    EvaluationState,
    MunicipalResult,
    MunicipalReview,
    QuotaMode,
)
from xingji.campaigns.scoring import CriterionIndicators
from xingji.campaigns.services import scheme_upload
from xingji.campaigns.services.campaign import LATE_DEADLINE_DAYS
from xingji.common.forms import DateInput, OrganizationChoiceField
from xingji.orgs.models import Organization
from xingji.records.attachments import ALLOWED_TEXT, check_upload, evidence_input, format_size, max_bytes
from xingji.rules.scheme import list_schemes

UPLOAD = "__upload__"
MAX_SCHEME_BYTES = 256 * 1024


def _level_choices(campaign: Campaign, *, blank: str = "—") -> list[tuple[str, str]]:
    levels = sorted(campaign.scheme.level_values(), reverse=True)
    return [("", blank), *[(str(level), campaign.level_name(level)) for level in levels]]


class CampaignCreateForm(forms.Form):
    root = OrganizationChoiceField(label="评定范围", queryset=None, help_text="该组织的全部下级组织参加评定")
    year = forms.IntegerField(label="年度", min_value=2000, max_value=2100)
    kind = forms.ChoiceField(
        label="类型", choices=CampaignKind.choices, help_text="申报创星默认6月5日截止，年底复核默认12月31日截止"
    )
    scheme = forms.ChoiceField(label="评定方案")
    scheme_file = forms.FileField(
        label="上传评定方案（TOML）",
        required=False,
        widget=forms.FileInput(attrs={"accept": ".toml"}),
        help_text="评定方案选择“上传文件”时使用；上传后即校验",
    )
    quota_mode = forms.ChoiceField(label="比例控制", choices=QuotaMode.choices, initial=QuotaMode.WARN)
    notice_days = forms.IntegerField(
        label="公示天数", min_value=1, max_value=60, required=False, help_text="留空则按评定方案（一般为7天）"
    )
    deadline = forms.DateField(
        label="截止日期",
        required=False,
        widget=DateInput(),
        help_text=(
            "留空则按类型默认（申报创星6月5日，年底复核12月31日）；"
            f"默认日期已过时为今天起{LATE_DEADLINE_DAYS}天后。不能早于今天"
        ),
    )
    name = forms.CharField(label="名称", max_length=200, required=False, help_text="留空则自动生成")

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["root"].queryset = visible_organizations(user).order_by("path")
        shipped = [(info["id"], info["name"]) for info in list_schemes()]
        self.fields["scheme"].choices = [*shipped, (UPLOAD, "上传文件")]

    def clean(self):
        data = super().clean()
        self._clean_deadline(data)
        upload = data.get("scheme_file")
        if data.get("scheme") == UPLOAD:
            if not upload:
                self.add_error("scheme_file", "请上传评定方案文件")
            elif upload.size > MAX_SCHEME_BYTES:
                self.add_error("scheme_file", "评定方案文件不能超过256KB")
            else:
                try:
                    data["scheme_text"] = upload.read().decode("utf-8")
                except UnicodeDecodeError:
                    self.add_error("scheme_file", "文件不是 UTF-8 编码")
        return data

    def _clean_deadline(self, data: dict) -> None:
        """A deadline given is today or later; left blank, the kind's default, never a past day."""
        deadline = data.get("deadline")
        if deadline is not None:
            try:
                services.deadline_check(deadline)
            except ValidationError as error:
                self.add_error("deadline", error)
        elif data.get("year") and data.get("kind"):
            data["deadline"] = services.default_deadline(data["year"], data["kind"])


class CampaignEditForm(forms.Form):
    """The settings of a draft campaign (``services.CAMPAIGN_UPDATABLE_FIELDS``)."""

    name = forms.CharField(label="名称", max_length=200)
    deadline = forms.DateField(label="截止日期", widget=DateInput(), help_text="不能早于今天")
    quota_mode = forms.ChoiceField(label="比例控制", choices=QuotaMode.choices)
    notice_days = forms.IntegerField(label="公示天数", min_value=1, max_value=60)
    founded_cutoff = forms.DateField(
        label="成立日期界限",
        widget=DateInput(),
        help_text="此日期之后成立的组织按新成立组织处理（如何处理由评定方案规定）",
    )

    def clean_deadline(self):
        deadline = self.cleaned_data["deadline"]
        services.deadline_check(deadline)
        return deadline


class CampaignQuotaModeForm(forms.Form):
    """The quota mode (比例控制) of a campaign: changeable until its first rating run, shown locked afterwards."""

    quota_mode = forms.ChoiceField(
        label="比例控制",
        choices=QuotaMode.choices,
        help_text="仅提示：报告超出比例的情况，不调整星级；强制调整：按排名调整超出比例的组织；不检查：不核对比例",
    )

    def __init__(self, *args, campaign: Campaign, **kwargs):
        kwargs.setdefault("initial", {"quota_mode": campaign.quota_mode})
        super().__init__(*args, **kwargs)
        self.locked = False
        try:
            services.campaign_quota_mode_check(campaign)
        except ValidationError as error:
            self.locked = True
            field = self.fields["quota_mode"]
            field.disabled = True
            field.help_text = "；".join(error.messages)


class SchemeUploadForm(forms.Form):
    """An uploaded scheme file (上传评定方案): read and checked as the engine reads it; its text in ``text``."""

    scheme_file = forms.FileField(
        label="评定方案文件（TOML）",
        widget=forms.FileInput(attrs={"accept": ".toml"}),
        help_text=(
            f"UTF-8 编码的 .toml 文件，不超过{scheme_upload.MAX_SCHEME_BYTES // 1024}KB；上传后先预览，确认后才保存"
        ),
    )

    def clean(self):
        data = super().clean()
        upload = data.get("scheme_file")
        if upload:
            try:
                content = upload.read(scheme_upload.MAX_SCHEME_BYTES + 1)  # one byte more tells it is too big
                text = scheme_upload.scheme_upload_read(content, upload.name)
                scheme_upload.scheme_upload_parse(text, upload.name)
            except ValidationError as error:
                self.add_error("scheme_file", error)
            else:
                data["text"] = text
                data["filename"] = upload.name
        return data


class ScopeFilterForm(forms.Form):
    q = forms.CharField(label="搜索", required=False, widget=forms.TextInput(attrs={"placeholder": "组织名称或编号"}))


class EvaluationFilterForm(forms.Form):
    q = forms.CharField(label="搜索", required=False, widget=forms.TextInput(attrs={"placeholder": "组织名称或编号"}))
    state = forms.ChoiceField(label="状态", required=False, choices=[("", "全部状态"), *EvaluationState.choices])
    survey = forms.ChoiceField(
        label="测评", required=False, choices=[("", "全部测评情况"), ("done", "测评已计入"), ("missing", "测评未完成")]
    )
    under = forms.IntegerField(label="下级", required=False, widget=forms.HiddenInput)


def _score_fields(
    form: forms.Form,
    evaluation: Evaluation,
    prefix: str,
    *,
    disabled: bool = False,
    indicators: Mapping[str, CriterionIndicators] | None = None,
) -> list:
    rows = []
    scheme = evaluation.campaign.scheme
    for criterion in scheme.criteria_for(evaluation.organization.category):
        maximum = Decimal(criterion.max_cents).scaleb(-2)
        info = (indicators or {}).get(criterion.code)
        computed = info.computed if info is not None else None
        score = forms.DecimalField(
            label=f"{criterion.code} {criterion.name}",
            required=False,
            min_value=0,
            max_value=maximum,
            decimal_places=2,
            # Scored from a known indicator: read-only, the engine's points (what is posted is ignored).
            disabled=disabled or computed is not None,
        )
        if computed is not None:
            form.initial[f"{prefix}score_{criterion.code}"] = computed
        comment = forms.CharField(
            label="说明", required=False, disabled=disabled, widget=forms.Textarea(attrs={"rows": 2})
        )
        form.fields[f"{prefix}score_{criterion.code}"] = score
        form.fields[f"{prefix}comment_{criterion.code}"] = comment
        rows.append((criterion, maximum))
    return rows


class ScoresForm(forms.Form):
    """Per-criterion score and comment fields for the scheme's criteria of the organization's category.

    ``indicators`` (``scoring.criterion_indicators``): the work indicators
    shown beside the criteria; a criterion scored from a known one has a
    read-only score, the engine's.
    """

    def __init__(
        self,
        *args,
        evaluation: Evaluation,
        disabled: bool = False,
        indicators: Mapping[str, CriterionIndicators] | None = None,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.evaluation = evaluation
        self.indicators = dict(indicators or {})
        self.criteria = _score_fields(self, evaluation, "", disabled=disabled, indicators=self.indicators)

    def rows(self):
        """(criterion, maximum, score field, comment field, its indicators or None) per criterion."""
        return [
            (
                criterion,
                maximum,
                self[f"score_{criterion.code}"],
                self[f"comment_{criterion.code}"],
                self.indicators.get(criterion.code),
            )
            for criterion, maximum in self.criteria
        ]

    def scores(self) -> dict[str, dict]:
        return {
            criterion.code: {
                "score": self.cleaned_data.get(f"score_{criterion.code}"),
                "comment": self.cleaned_data.get(f"comment_{criterion.code}") or "",
            }
            for criterion, _ in self.criteria
        }


def evidence_help_text() -> str:
    """What an evidence file (证明材料) may be: the records attachment rules."""
    return f"{ALLOWED_TEXT}，不超过 {format_size(max_bytes())}"


class SelfEvaluationForm(ScoresForm):
    """The self-evaluation (自评表): scores, the claimed level, and an evidence file to add per criterion.

    The page's evidence table, with its upload and delete buttons, lies in
    the same ``<form>`` element, so that every button submits what was typed.
    A chosen file is checked here as the records service will check it (type
    by extension and content, size), so that a wrong file is refused together
    with the scores, before anything is written.
    """

    def __init__(self, *args, evaluation: Evaluation, **kwargs):
        super().__init__(*args, evaluation=evaluation, **kwargs)
        disabled = kwargs.get("disabled", False)
        self.fields["claimed_level"] = forms.TypedChoiceField(
            label="申报星级",
            choices=_level_choices(evaluation.campaign),
            coerce=int,
            empty_value=None,
            required=False,
            disabled=disabled,
        )
        for criterion, _ in self.criteria:
            label = f"{criterion.code} {criterion.name}的证明材料"
            self.fields[f"file_{criterion.code}"] = forms.FileField(
                label=label,
                required=False,
                disabled=disabled,
                widget=evidence_input(**{"aria-label": label}),
            )

    def clean(self):
        data = super().clean()
        for code, upload in self.uploads():
            try:
                check_upload(upload, name=upload.name, size=upload.size)
            except ValidationError as error:
                self.add_error(f"file_{code}", error)
        pressed = self.data.get("upload")  # the upload button pressed: the code of its criterion
        if f"file_{pressed}" in self.fields and not self.chosen_files():
            self.add_error(f"file_{pressed}", "请选择要上传的证明材料文件")
        return data

    def uploads(self) -> list[tuple[str, UploadedFile]]:
        """(criterion code, file) for every criterion a file was chosen for and passed, in the scheme's order."""
        chosen = [(criterion.code, self.cleaned_data.get(f"file_{criterion.code}")) for criterion, _ in self.criteria]
        return [(code, upload) for code, upload in chosen if upload]

    def chosen_files(self) -> list[str]:
        """The codes of the criteria a file was sent for, whether or not it passed."""
        return [
            criterion.code
            for criterion, _ in self.criteria
            if self.files.get(self.add_prefix(f"file_{criterion.code}"))
        ]


class SuperiorEvaluationForm(ScoresForm):
    innovation_project = forms.BooleanField(label="有党建创新项目", required=False)
    comment = forms.CharField(label="考评意见", required=False, widget=forms.Textarea(attrs={"rows": 3}))


class ReasonForm(forms.Form):
    reason = forms.CharField(label="理由", widget=forms.Textarea(attrs={"rows": 3}))


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(
        label="审核结果", choices=[("approve", "审核通过"), ("return", "退回上级重新考评")], widget=forms.RadioSelect
    )
    comment = forms.CharField(
        label="审核意见或退回理由",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="退回时必须填写理由",
    )

    def clean(self):
        data = super().clean()
        if data.get("decision") == "return" and not (data.get("comment") or "").strip():
            self.add_error("comment", "退回时请填写理由")
        return data


class DirectCheckForm(forms.Form):
    method = forms.ChoiceField(label="核查方式", choices=CheckMethod.choices)
    finding = forms.CharField(label="核查情况", widget=forms.Textarea(attrs={"rows": 3}))
    checked_on = forms.DateField(label="核查日期", required=False, widget=DateInput())


class NoticeForm(forms.Form):
    title = forms.CharField(label="公示标题", max_length=200)
    starts_on = forms.DateField(
        label="公示开始日期",
        required=False,
        widget=DateInput(),
        help_text="留空为今天；截止日期按评定方案的公示天数计算",
    )


class ScopedNoticeForm(NoticeForm):
    """The notice's title and dates, and what it covers: a subtree, optionally organizations ticked in it."""

    root = OrganizationChoiceField(
        label="公示范围",
        queryset=None,
        required=False,
        help_text="公示该组织及其全部下级组织中已评定、尚未公示的组织；留空为评定活动的全部范围",
    )
    organizations: forms.ModelMultipleChoiceField[Organization] = forms.ModelMultipleChoiceField(
        label="只公示以下组织",
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="不选则公示所选范围内的全部待公示组织；所选组织须在公示范围内",
    )

    def __init__(self, *args, campaign: Campaign, **kwargs):
        super().__init__(*args, **kwargs)
        waiting = selectors.notice_organizations(campaign)
        cast(forms.ModelChoiceField, self.fields["root"]).queryset = Organization.objects.filter(
            path__startswith=campaign.root.path
        ).order_by("path")
        cast(forms.ModelMultipleChoiceField, self.fields["organizations"]).queryset = waiting


class ObjectionAnswerForm(forms.Form):
    objection = forms.IntegerField(widget=forms.HiddenInput)
    upheld = forms.TypedChoiceField(
        label="处理结果",
        coerce=lambda value: value == "1",
        choices=[("0", "异议不成立"), ("1", "异议成立，退回重新考评")],
    )
    answer = forms.CharField(label="答复", widget=forms.Textarea(attrs={"rows": 2}))


class ApprovalForm(forms.Form):
    approved_on = forms.DateField(label="工委会批准日期", widget=DateInput())
    minutes_number = forms.CharField(label="会议纪要编号", max_length=100)


class MunicipalSendForm(forms.Form):
    sent_on = forms.DateField(label="报送日期", widget=DateInput())

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {"sent_on": timezone.localdate()})
        super().__init__(*args, **kwargs)


class ReviewChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return f"{obj.evaluation.organization.name}（报送于{obj.sent_on:%Y-%m-%d}）"


class MunicipalReturnForm(forms.Form):
    review = ReviewChoiceField(label="组织", queryset=MunicipalReview.objects.none())
    returned_on = forms.DateField(label="返回日期", widget=DateInput())
    result = forms.ChoiceField(label="复审结果", choices=MunicipalResult.choices)
    result_level = forms.TypedChoiceField(
        label="复审后星级", required=False, coerce=int, empty_value=None, help_text="复审未通过时填写"
    )
    note = forms.CharField(label="复审意见", required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, campaign: Campaign, **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["review"]).queryset = selectors.municipal_outstanding(
            campaign
        ).select_related("evaluation__organization")
        cast(forms.ChoiceField, self.fields["result_level"]).choices = _level_choices(campaign)


class TieDecisionForm(forms.Form):
    """Which of a tie's organizations keep their level; prefixed ``tie<id>`` (the tie's id is posted as ``tie``)."""

    kept = forms.TypedMultipleChoiceField(label="保留星级的组织", coerce=int, widget=forms.CheckboxSelectMultiple)
    reason = forms.CharField(label="决定理由", widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, tie=None, names: dict | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        kept = cast(forms.ChoiceField, self.fields["kept"])
        if tie is not None:
            names = names or {}
            kept.choices = [(pk, names.get(pk, str(pk))) for pk in tie.candidates]
        else:
            kept.choices = []
