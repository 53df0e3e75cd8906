"""The what-if sandbox page (模拟测算，不保存) of an evaluation: a plain form, and its result as a partial.

Without JavaScript the form posts back and the page comes again with the
comparison. ``campaigns/sandbox.js`` posts the same form with ``fetch`` as
the user types, with the header ``X-Requested-With: fetch``, and the view
answers with the result partial only (``_sandbox_result.html``), which the
script puts in place. Either way the CSRF token travels in the form.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from xingji.accounts.decorators import login_required
from xingji.accounts.models import User
from xingji.campaigns import access, sandbox, scoring
from xingji.campaigns.models import Evaluation
from xingji.common.forms import add_service_error
from xingji.records.selectors import fact_lines
from xingji.rules.numbers import cents_to_decimal
from xingji.rules.scheme import Criterion

PARTIAL_HEADER = "fetch"
SOURCE_LABELS = {
    "superior": "上级考评得分",
    "self": "自评得分（上级尚未考评）",
    "none": "尚未评分（各项按0分计）",
}


class SandboxForm(forms.Form):
    """Scores start at the current ones; counts of records to add; a satisfaction and the election to try.

    The scores and counts are checked by ``xingji.campaigns.sandbox`` (with the
    messages of the real forms), so they are plain text fields here.
    """

    satisfaction = forms.CharField(
        label="模拟满意率（%）",
        required=False,
        help_text="留空则按测评结果；如 55 表示 55%",
        widget=forms.TextInput(attrs={"inputmode": "decimal", "size": 6}),
    )
    election_held = forms.BooleanField(label="假定已按期换届", required=False)

    def __init__(self, *args: Any, criteria: list[Criterion], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.criteria = criteria
        for criterion in criteria:
            self.fields[f"score_{criterion.code}"] = forms.CharField(
                label=f"{criterion.code} {criterion.name}",
                required=False,
                widget=forms.TextInput(attrs={"inputmode": "decimal", "size": 6}),
            )
        for kind in sandbox.RECORD_KINDS:
            self.fields[f"add_{kind.key}"] = forms.CharField(
                label=kind.label,
                required=False,
                widget=forms.NumberInput(attrs={"min": 0, "max": sandbox.MAX_ADDED, "step": 1}),
            )

    def clean_satisfaction(self) -> Decimal | None:
        text = (self.cleaned_data.get("satisfaction") or "").strip().rstrip("%％").strip()
        if not text:
            return None
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise ValidationError("模拟满意率应为数字，如 55") from None
        if not number.is_finite():
            raise ValidationError("模拟满意率应为数字，如 55")
        return number / 100

    def score_rows(self, current: dict[str, Decimal]) -> list[dict[str, Any]]:
        """Per criterion: its field, its maximum and its current score (None: not scored)."""
        return [
            {
                "field": self[f"score_{criterion.code}"],
                "max": cents_to_decimal(criterion.max_cents),
                "current": current.get(criterion.code),
            }
            for criterion in self.criteria
        ]

    def record_fields(self) -> list[forms.BoundField]:
        return [self[f"add_{kind.key}"] for kind in sandbox.RECORD_KINDS]

    def hypothesis(self) -> sandbox.WhatIf:
        data = self.cleaned_data
        return sandbox.WhatIf(
            scores={criterion.code: data.get(f"score_{criterion.code}") for criterion in self.criteria},
            added={kind.key: data.get(f"add_{kind.key}") for kind in sandbox.RECORD_KINDS},
            satisfaction=data.get("satisfaction"),
            election_held=bool(data.get("election_held")),
        )


def _initial(scores: dict[str, Decimal]) -> dict[str, Any]:
    return {f"score_{code}": scoring.score_text(score) for code, score in scores.items()}


def _account(request: HttpRequest) -> User:
    """The logged-in user (``login_required`` lets no anonymous visitor reach the view)."""
    return cast(User, request.user)


def _compare(request: HttpRequest, evaluation: Evaluation, form: SandboxForm) -> sandbox.Comparison | None:
    if form.is_bound and not form.is_valid():
        return None
    hypothesis = form.hypothesis() if form.is_bound else sandbox.WhatIf()
    try:
        return sandbox.what_if(evaluation=evaluation, user=_account(request), hypothesis=hypothesis)
    except ValidationError as error:
        add_service_error(form, error)
        return None


@login_required
@require_http_methods(["GET", "POST"])
def evaluation_sandbox(request: HttpRequest, pk: int) -> HttpResponse:
    """Try other scores, records and figures on an evaluation; nothing is saved."""
    evaluation = access.access_evaluation(request.user, pk)
    sandbox.require_sandbox(_account(request), evaluation)
    campaign = evaluation.campaign
    source, scores = sandbox.current_scores(evaluation)
    form = SandboxForm(
        request.POST if request.method == "POST" else None,
        criteria=campaign.scheme.criteria_for(evaluation.organization.category),
        initial=_initial(scores),
    )
    comparison = _compare(request, evaluation, form)
    context = {
        "evaluation": evaluation,
        "campaign": campaign,
        "form": form,
        "comparison": comparison,
        "source_label": SOURCE_LABELS[source],
        "score_rows": form.score_rows(scores),
    }
    if request.headers.get("X-Requested-With") == PARTIAL_HEADER:
        return render(request, "campaigns/_sandbox_result.html", context)
    # The facts the comparison read (its current side's input), else read again when it was refused.
    facts = comparison.current_input if comparison else scoring.organization_facts(campaign, evaluation.organization)
    context["fact_lines"] = fact_lines(facts)
    context["satisfaction"] = evaluation.survey_satisfaction
    return render(request, "campaigns/sandbox.html", context)
