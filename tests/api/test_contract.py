"""The API against its own OpenAPI document (schemathesis): no 500, no schema violation, no undocumented status.

Schemathesis reads ``/api/v1/openapi.json`` from the Django WSGI application
and sends generated requests to every operation, with a valid token holding
every scope at the root, over the test world of ``conftest.world``; each
answer is checked against the document (status documented, body and content
type as declared). It runs with the rest of the suite, on SQLite and on
PostgreSQL alike.
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
