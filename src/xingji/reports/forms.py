"""The office's forms for the results' use."""

from __future__ import annotations

from django import forms

from xingji.common.forms import DateInput, OrganizationChoiceField, indented_label


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
