"""The survey forms of the secretary's pages (the ballot's form is built from the session's questions)."""

from __future__ import annotations

from django import forms

from xingji.common.forms import DateInput
from xingji.surveys.services import MAX_TOKENS_PER_ISSUE


class SessionOpenForm(forms.Form):
    meeting_on = forms.DateField(label="测评会日期", widget=DateInput())
    expires_on = forms.DateField(
        label="测评码失效日期",
        widget=DateInput(),
        help_text="测评码在这一天结束后失效；结束测评时未用的测评码也随即失效",
    )
    public_tokens_allowed = forms.BooleanField(label="发放群众测评码", required=False, initial=True)
    comments_collected = forms.BooleanField(label="收集意见建议", required=False, initial=True)


class SettingsForm(forms.Form):
    public_tokens_allowed = forms.BooleanField(
        label="发放群众测评码", required=False, help_text="取消后，未使用的群众测评码随即作废"
    )
    comments_collected = forms.BooleanField(label="收集意见建议", required=False)


class IssueForm(forms.Form):
    member_tokens = forms.IntegerField(label="党员测评码数量", min_value=0, max_value=MAX_TOKENS_PER_ISSUE, initial=0)
    public_tokens = forms.IntegerField(label="群众测评码数量", min_value=0, max_value=MAX_TOKENS_PER_ISSUE, initial=0)
    replace_unused = forms.BooleanField(
        label="作废此前未使用的测评码后重新发放",
        required=False,
        help_text="测评码只在发放时打印一次；遗失或需要重印时勾选此项，原来未使用的测评码全部作废",
    )
    output = forms.ChoiceField(
        label="输出", choices=[("pdf", "测评票（PDF，每页10张，带二维码）"), ("csv", "链接清单（CSV）")], initial="pdf"
    )
