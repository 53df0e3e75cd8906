"""The forms of the ledger pages; the services check everything again."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import cast

from django import forms

from xingji.common.forms import DateInput, OrganizationChoiceField
from xingji.common.levels import PLAIN_LEVEL_NAMES
from xingji.common.tabular import ACCEPT, ACCEPTED_TEXT
from xingji.ledger.models import ItemSource, ItemState, PlanState, RectificationItem
from xingji.records.attachments import evidence_input

MILESTONE_LINE = re.compile(r"^\s*(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?\s+(.+?)\s*$")


class ItemForm(forms.ModelForm):
    organization = OrganizationChoiceField(queryset=None, label="党组织")

    class Meta:
        model = RectificationItem
        fields = ["organization", "problem", "source", "source_note", "target", "measures", "responsible", "deadline"]
        widgets = {
            "problem": forms.Textarea(attrs={"rows": 3}),
            "target": forms.Textarea(attrs={"rows": 2}),
            "measures": forms.Textarea(attrs={"rows": 3}),
            "deadline": DateInput(),
        }

    def __init__(self, *args, organizations=None, sources=None, with_organization: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        if with_organization:
            cast(forms.ModelChoiceField, self.fields["organization"]).queryset = organizations.order_by("path")
        else:
            del self.fields["organization"]
        if sources is not None:
            source_field = cast(forms.ChoiceField, self.fields["source"])
            source_field.choices = [(value, label) for value, label in ItemSource.choices if value in sources]


class CloseRequestForm(forms.Form):
    evidence = forms.CharField(
        label="整改完成情况", widget=forms.Textarea(attrs={"rows": 4}), help_text="写明采取了哪些措施、取得了什么效果"
    )
    file = forms.FileField(
        label="佐证材料",
        required=False,
        widget=evidence_input(),
        help_text="PDF、图片、Word 或 Excel；已上传过佐证材料的可不再上传",
    )


class CommentForm(forms.Form):
    comment = forms.CharField(label="意见", required=False, widget=forms.Textarea(attrs={"rows": 2}))


class MilestoneDoneForm(forms.Form):
    done_on = forms.DateField(
        label="完成日期",
        widget=DateInput(),
        error_messages={"required": "请填写完成日期", "invalid": "完成日期格式不正确"},
    )


class AttachmentForm(forms.Form):
    file = forms.FileField(label="佐证材料", widget=evidence_input())


class ImportForm(forms.Form):
    file = forms.FileField(label="文件", widget=forms.FileInput(attrs={"accept": ACCEPT}), help_text=ACCEPTED_TEXT)


class ItemFilterForm(forms.Form):
    under = OrganizationChoiceField(queryset=None, label="党组织", required=False, empty_label="全部党组织")
    state = forms.ChoiceField(label="状态", required=False, choices=[("", "全部状态"), *ItemState.choices])
    source = forms.ChoiceField(label="问题来源", required=False, choices=[("", "全部来源"), *ItemSource.choices])
    overdue = forms.ChoiceField(label="期限", required=False, choices=[("", "全部期限"), ("1", "只看逾期")])
    q = forms.CharField(label="搜索", required=False, widget=forms.TextInput(attrs={"placeholder": "问题或党组织"}))

    def __init__(self, *args, organizations=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["under"].queryset = organizations.order_by("path")


class PlanFilterForm(forms.Form):
    year = forms.IntegerField(label="年度", required=False, min_value=2000, max_value=2100)
    state = forms.ChoiceField(label="状态", required=False, choices=[("", "全部状态"), *PlanState.choices])
    q = forms.CharField(label="搜索", required=False, widget=forms.TextInput(attrs={"placeholder": "党组织"}))


def parse_milestones(text: str) -> list[tuple[date, str]]:
    """Lines "2026-06-30 任务"; a ``ValidationError`` naming the first wrong line."""
    found = []
    for number, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        match = MILESTONE_LINE.match(line)
        if match is None:
            raise forms.ValidationError(f"第{number}行应为“日期 任务”，如“2026-06-30 完善会议记录”")
        year, month, day, description = match.groups()
        try:
            due_on = datetime(int(year), int(month), int(day)).date()  # noqa: DTZ001 - a calendar date
        except ValueError:
            raise forms.ValidationError(f"第{number}行的日期“{year}-{month}-{day}”不存在") from None
        if len(description) > 300:
            raise forms.ValidationError(f"第{number}行的任务不能超过 300 个字")
        found.append((due_on, description))
    return found


def format_milestones(milestones) -> str:
    return "\n".join(f"{milestone.due_on:%Y-%m-%d} {milestone.description}" for milestone in milestones)


class PlanForm(forms.Form):
    target_level = forms.TypedChoiceField(
        label="目标星级", coerce=int, choices=[(level, name) for level, name in PLAIN_LEVEL_NAMES.items() if level]
    )
    measures = forms.CharField(label="主要措施", widget=forms.Textarea(attrs={"rows": 6}))
    responsible = forms.CharField(label="责任人", max_length=200)
    milestones = forms.CharField(
        label="时间节点",
        widget=forms.Textarea(attrs={"rows": 5}),
        required=False,
        help_text="每行一个：日期 任务，如“2026-06-30 完善“三会一课”记录”；报送前至少一个",
    )

    def __init__(self, *args, current_level: int | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.current_level = current_level or 0

    def clean_milestones(self):
        return parse_milestones(self.cleaned_data.get("milestones", ""))

    def clean_target_level(self):
        level = self.cleaned_data["target_level"]
        if level < self.current_level:
            raise forms.ValidationError(f"目标星级不能低于现有星级（{PLAIN_LEVEL_NAMES[self.current_level]}）")
        return level
