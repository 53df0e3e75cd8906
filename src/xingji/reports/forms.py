"""The office's forms for the results' use."""

from __future__ import annotations

from django import forms

from xingji.common.confirmation import CONFIRMATION_PHRASE
from xingji.common.forms import DateInput, OrganizationChoiceField, indented_label
from xingji.reports.models import CorrectionKind, PublishedResult


class PlaqueIssueForm(forms.Form):
    issuing_body = forms.CharField(
        label="授牌单位", max_length=100, required=False, help_text="留空则为评定活动范围组织的名称"
    )
    issued_on = forms.DateField(label="授牌日期", required=False, widget=DateInput(), help_text="留空则为今天")


class TopOrganizationForm(forms.Form):
    """A form whose organization is one of the year's five-star organizations (``organizations``)."""

    organization = OrganizationChoiceField(label="党组织", queryset=None)

    def __init__(self, *args, organizations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = organizations


class SiteForm(TopOrganizationForm):
    reason = forms.CharField(
        label="确定理由",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="如党建工作基础扎实、班子战斗力强、党员整体素质高、工作制度健全、活动开展经常",
    )


class RecommendationForm(TopOrganizationForm):
    deeds = forms.CharField(label="主要事迹", max_length=2000, widget=forms.Textarea(attrs={"rows": 6}))


class ReasonForm(forms.Form):
    reason = forms.CharField(label="撤销理由", max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))


class DecisionForm(forms.Form):
    adopted = forms.TypedChoiceField(
        label="表彰结果",
        choices=[("1", "已表彰"), ("0", "未表彰")],
        coerce=lambda value: value == "1",
        widget=forms.RadioSelect,
    )
    note = forms.CharField(label="表彰情况", max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 3}))
    record_commendation = forms.BooleanField(
        label="同时记入表彰记录",
        required=False,
        help_text="记为该组织的市级表彰（先进基层党组织），下一次评定按五(三)1 加分",
    )
    commended_on = forms.DateField(label="表彰日期", required=False, widget=DateInput())
    issuer = forms.CharField(label="表彰机关", max_length=200, required=False)
    document_number = forms.CharField(label="文号", max_length=100, required=False)


class WithdrawForm(forms.Form):
    reason = forms.CharField(label="撤牌理由", max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))


class OrganizationsField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj) -> str:
        return indented_label(obj)


class PublishForm(forms.Form):
    """What to publish: a subtree (``roots``), optionally only some of its organizations (``publishable``)."""

    root = OrganizationChoiceField(
        label="公布范围",
        queryset=None,
        help_text="公布该组织及其全部下级组织中经批准、尚未公布的评定结果；范围以外的组织不受影响，以后仍可公布",
    )
    organizations = OrganizationsField(
        label="只公布以下组织",
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="不选则公布所选范围内的全部组织；所选组织须在公布范围内",
    )
    title = forms.CharField(label="标题", max_length=200, required=False, help_text="留空则自动生成")

    def __init__(self, *args, roots, publishable, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["root"].queryset = roots
        self.fields["organizations"].queryset = publishable


class SiteFilterForm(forms.Form):
    q = forms.CharField(label="搜索", required=False, widget=forms.TextInput(attrs={"placeholder": "组织名称或理由"}))
    year = forms.IntegerField(
        label="年度",
        required=False,
        min_value=2000,
        max_value=2100,
        widget=forms.NumberInput(attrs={"placeholder": "年度"}),
    )


class SearchForm(forms.Form):
    q = forms.CharField(label="搜索", required=False, widget=forms.TextInput(attrs={"placeholder": "组织名称"}))


class CorrectionForm(forms.Form):
    """A correction of a publication: the kind, the reason, and a corrected level for some of its lines.

    ``lines``: [(line, [(level, name), …])] — each line with the levels of its campaign's scheme; a field
    ``level_<line id>`` per line, empty for a line left as published.
    """

    kind = forms.ChoiceField(
        label="更正类别",
        choices=CorrectionKind.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "请选择更正类别（异议成立、记录有误或其他）"},
    )
    reason = forms.CharField(
        label="更正理由",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="写明异议调查结论或记录错误的情况；理由随新版本公布，并记入星级管理台账",
        error_messages={"required": "请填写更正理由"},
    )

    def __init__(self, *args, lines, **kwargs):
        super().__init__(*args, **kwargs)
        self.lines: dict[str, PublishedResult] = {}
        for line, levels in lines:
            name = f"level_{line.pk}"
            self.lines[name] = line
            self.fields[name] = forms.TypedChoiceField(
                label=f"{line.organization.name}（公布为{line.level_name}）",
                choices=[("", "不更正"), *((level, label) for level, label in levels if level != line.level)],
                coerce=int,
                empty_value=None,
                required=False,
            )

    def clean(self):
        data = super().clean()
        if not self.changes():
            raise forms.ValidationError("请至少更正一个组织的星级", code="nothing_chosen")
        return data

    def level_name(self, line: PublishedResult, level: int) -> str:
        return dict(self.fields[f"level_{line.pk}"].choices).get(level, str(level))  # type: ignore[attr-defined]

    def changes(self) -> list[tuple[PublishedResult, int]]:
        """[(line, corrected level)] of the lines given a level, in the form's order."""
        data = getattr(self, "cleaned_data", {})
        return [(line, data[name]) for name, line in self.lines.items() if data.get(name) is not None]


class CorrectionConfirmForm(forms.Form):
    confirmation = forms.CharField(
        label="确认输入",
        required=False,
        max_length=20,
        help_text=f"请输入“{CONFIRMATION_PHRASE}”",
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )


class CorrectionAnswerForm(forms.Form):
    upheld = forms.TypedChoiceField(
        label="答复结论",
        choices=[("1", "异议成立（将再次更正）"), ("0", "异议不成立")],
        coerce=lambda value: value == "1",
        widget=forms.RadioSelect,
        error_messages={"required": "请选择答复结论"},
    )
    answer = forms.CharField(
        label="答复",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": "请填写答复"},
    )


class CorrectionObjectionForm(forms.Form):
    """An objection to one corrected line (``lines``) during the correction's notice: content required."""

    result = forms.TypedChoiceField(label="异议对象（党组织）", coerce=int, empty_value=None)
    content = forms.CharField(
        label="异议内容",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text="请写明事实和理由，不超过2000字。",
        error_messages={"required": "请填写异议内容"},
    )
    contact = forms.CharField(
        label="联系方式（选填）",
        max_length=100,
        required=False,
        help_text="留下电话或邮箱，便于核实情况和答复。",
    )

    def __init__(self, *args, lines, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["result"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", "请选择")] + [
            (line.pk, f"{line.organization.name}（由{line.previous_level_name}更正为{line.level_name}）")
            for line in lines
        ]
        field.error_messages["required"] = "请选择异议对象"
        field.error_messages["invalid_choice"] = "请选择异议对象：只能对本次更正的组织提出异议"
