"""The API against its own OpenAPI document (schemathesis): no 500, no schema violation, no undocumented status.

Schemathesis reads ``/api/v1/openapi.json`` from the Django WSGI application
and sends generated requests to every operation, with a valid token holding
every scope at the root, over the test world of ``conftest.world``; each
answer is checked against the document (status documented, body and content
type as declared). It runs with the rest of the suite, on SQLite and on
PostgreSQL alike.

Then the operations chained (the stateful phase): ids read from one answer
feed the next request, through the links schemathesis infers from the
document (a list's ``id`` and ``organization_id`` to the operations taking
them: ``/campaigns`` → ``/campaigns/{campaign_id}/evaluations``,
``/members`` → a meeting's attendance or a month of dues, ``/organizations``
→ a record's organization), so the sequences reach real rows instead of the
404 of a random id; every answer is checked the same way.
"""

from __future__ import annotations

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig

from xingji.api import scopes

#: A request that keeps to the schema may still name what is not there: a cursor that was never issued (400),
#: an organization outside the token's subtree or missing (404), a member that cannot be paid for (422, per item).
#: These are the documented refusals of well-formed requests; anything else (a 500 above all) fails.
CONFIG = SchemathesisConfig.from_dict(
    {"checks": {"positive_data_acceptance": {"expected-statuses": [200, 201, 304, 400, 404, 409, 422]}}}
)
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application(), config=CONFIG)


@pytest.fixture
def connection_kept():
    """Keep the test's database connection across requests, as Django's test client does.

    Schemathesis calls the WSGI application directly, whose end-of-request signal would close the connection
    (``CONN_MAX_AGE=0``) and with it the test's transaction on PostgreSQL.
    """
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def token(tree, world, make_client, settings, connection_kept):
    settings.XINGJI_API_RATE_PER_MINUTE = 1_000_000
    return make_client(tree.root, sorted(scopes.ALL), role="committee_office").token


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_every_operation_keeps_to_the_document(case, token):
    case.call_and_validate(headers={"Authorization": f"Bearer {token}"})


#: Links schemathesis must find: without them the stateful phase has nothing to chain.
EXPECTED_LINKS = {
    "GET_api_v1_campaigns___200_GetCampaign__GET_api_v1_campaigns_campaign_id_evaluations",
    "GET_api_v1_members___200_PostMember__POST_api_v1_meetings",
    "GET_api_v1_members___200_PostMember_0__POST_api_v1_dues_payments",
    "GET_api_v1_organizations___200_PostOrganization__POST_api_v1_records_kind_",
}


def test_the_document_links_the_operations_that_feed_each_other():
    assert set(vars(schema.as_state_machine())) >= EXPECTED_LINKS


def test_chained_operations_keep_to_the_document(token):
    auth = {"Authorization": f"Bearer {token}"}

    class Chained(schema.as_state_machine()):  # type: ignore[misc]
        def get_call_kwargs(self, case):
            return {"headers": auth}

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            # The token named as the caller's own (as ``call_and_validate(headers=…)`` does), not a generated one.
            case.validate_response(response, additional_checks=additional_checks, headers=auth, recorder=self.recorder)

    Chained.run(
        settings=settings(
            max_examples=15,
            stateful_step_count=6,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
        )
    )
