"""Withdrawing a submission (撤回) before the next step acts on it: the self-evaluation, the superior evaluation.

Each is one POST and one service call; the pages offer the button only when
the service's check would let it pass (``withdraw_offers``).
"""

from __future__ import annotations

from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from xingji.accounts.decorators import login_required
from xingji.campaigns import access, services
from xingji.campaigns.models import Evaluation
from xingji.common.views import attempt, passes


def withdraw_offers(user, evaluation: Evaluation, *, is_self: bool, is_superior: bool) -> dict[str, bool]:
    """Which withdraw buttons the user sees on the evaluation's pages: only those the services would accept."""
    return {
        "can_withdraw_self": is_self and passes(services.self_evaluation_withdraw_check, evaluation),
        "can_withdraw_superior": is_superior and passes(services.superior_evaluation_withdraw_check, evaluation),
    }


@login_required
@require_POST
def self_evaluation_withdraw(request, pk):
    evaluation = access.access_evaluation(request.user, pk)
    access.require_self(request.user, evaluation)
    attempt(
        request,
        services.self_evaluation_withdraw,
        evaluation=evaluation,
        actor=request.user,
        success="自评已撤回，可以修改后重新提交",
    )
    return redirect("campaigns:self_evaluation", pk=evaluation.pk)


@login_required
@require_POST
def superior_evaluation_withdraw(request, pk):
    evaluation = access.access_evaluation(request.user, pk)
    access.require_superior(request.user, evaluation)
    attempt(
        request,
        services.superior_evaluation_withdraw,
        evaluation=evaluation,
        actor=request.user,
        success="考评已撤回，可以修改后重新提交",
    )
    return redirect("campaigns:superior_evaluation", pk=evaluation.pk)
