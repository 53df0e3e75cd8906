"""The forms of the dues pages; the services check everything again."""

from __future__ import annotations

from datetime import date

from django import forms
from django.utils import timezone

from xingji.common.forms import DateInput
from xingji.common.tabular import ACCEPT, ACCEPTED_TEXT
from xingji.dues.models import DuesAccount, DuesCategory


class MonthInput(forms.DateInput):
    """The browser's month picker (``2025-03``)."""

    input_type = "month"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m")


class MonthField(forms.DateField):
    widget = MonthInput

    def __init__(self, **kwargs):
        super().__init__(input_formats=["%Y-%m", "%Y-%m-%d"], **kwargs)

    def clean(self, value):
        found = super().clean(value)
        return found.replace(day=1) if isinstance(found, date) else found


class AccountForm(forms.Form):
    category = forms.ChoiceField(label="党费类别", choices=DuesCategory.choices)
    base = forms.DecimalField(
        label="党费基数（元）",
        max_digits=10,
        decimal_places=2,
        help_text="每月税后工资收入或离退休费；农民、学生等可填 0",
    )
    chosen_amount = forms.DecimalField(
        label="农民党员月交额（元）",
        required=False,
        max_digits=4,
        decimal_places=2,
        help_text="0.2 至 1 元，空为 0.2 元",
    )
    since = MonthField(label="起缴月份", help_text="从该月起计算欠缴")

    @classmethod
    def initial_for(cls, account: DuesAccount | None) -> dict:
        if account is None:
            return {"category": DuesCategory.EMPLOYED, "base": 0, "since": timezone.localdate().replace(day=1)}
        return {
            "category": account.category,
            "base": account.base,
            "chosen_amount": account.chosen_amount,
            "since": account.since,
        }


class PaymentForm(forms.Form):
    month = MonthField(label="所属月份")
    amount = forms.DecimalField(label="金额（元）", max_digits=10, decimal_places=2)
    paid_on = forms.DateField(label="缴纳日期", widget=DateInput())


class ReductionForm(forms.Form):
    amount = forms.DecimalField(label="减免后月交额（元）", max_digits=10, decimal_places=2)
    reason = forms.CharField(label="减免理由", max_length=1000, widget=forms.Textarea(attrs={"rows": 3}))


class ImportForm(forms.Form):
    file = forms.FileField(label="文件", widget=forms.FileInput(attrs={"accept": ACCEPT}), help_text=ACCEPTED_TEXT)


class YearForm(forms.Form):
    year = forms.IntegerField(label="年度", min_value=2000, max_value=2100, required=False)
