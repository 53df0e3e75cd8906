"""Several app servers share their state: attachments in S3-compatible object storage, the cache in Redis.

The S3 path runs against a real S3-compatible server started by the test
(moto's server mode, over HTTP on the loopback), through django-storages and
boto3 exactly as a deployment pointing at MinIO would — no mock of boto.
"""

from __future__ import annotations

import io
import socket
import uuid

import boto3
import pytest
from django.core.cache import caches
from django.test import override_settings
from django.urls import reverse

from tests.records.conftest import PDF
from tests.records.factories import CommendationFactory
from xingji.records.models import Attachment
from xingji.records.services import attachment_add, attachment_delete
from xingji.settings import object_storage, shared_cache

BUCKET = "xingji-attachments"
CREDENTIALS = {"XINGJI_S3_ACCESS_KEY": "testing", "XINGJI_S3_SECRET_KEY": "testing", "XINGJI_S3_REGION": "us-east-1"}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def s3_endpoint():
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    yield endpoint
    server.stop()


@pytest.fixture
def s3(s3_endpoint, settings):
    environ = {"XINGJI_S3_BUCKET": BUCKET, "XINGJI_S3_ENDPOINT_URL": s3_endpoint, **CREDENTIALS}
    client = boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        region_name="us-east-1",
    )
    client.create_bucket(Bucket=BUCKET)
    storages = dict(settings.STORAGES)
    storages["default"] = object_storage(environ)
    with override_settings(STORAGES=storages):
        yield client
    for item in client.list_objects_v2(Bucket=BUCKET).get("Contents", []):
        client.delete_object(Bucket=BUCKET, Key=item["Key"])
    client.delete_bucket(Bucket=BUCKET)


def stored_keys(client) -> list[str]:
    return [item["Key"] for item in client.list_objects_v2(Bucket=BUCKET).get("Contents", [])]


def test_no_bucket_keeps_the_data_folder():
    assert object_storage({}) is None
    assert object_storage({"XINGJI_S3_BUCKET": "  "}) is None


def test_a_bucket_gives_a_private_s3_storage_with_the_endpoint_and_credentials():
    storage = object_storage({"XINGJI_S3_BUCKET": "b", "XINGJI_S3_ENDPOINT_URL": "http://minio:9000", **CREDENTIALS})
    assert storage["BACKEND"] == "storages.backends.s3.S3Storage"
    options = storage["OPTIONS"]
    assert options["bucket_name"] == "b"
    assert options["endpoint_url"] == "http://minio:9000"
    assert (options["access_key"], options["secret_key"]) == ("testing", "testing")
    assert options["default_acl"] is None and options["querystring_auth"] is True
    assert options["file_overwrite"] is False
    assert options["location"] == "attachments"


def test_an_attachment_goes_to_the_bucket_is_downloaded_through_the_access_check_and_deleted(
    s3, client, tree, reviewer, django_capture_on_commit_callbacks
):
    record = CommendationFactory(organization=tree.finance_1)
    attachment = attachment_add(record=record, upload=io.BytesIO(PDF), name="决定.pdf", size=len(PDF), actor=reviewer)

    [key] = stored_keys(s3)
    assert key == f"attachments/{attachment.file.name}"
    assert s3.get_object(Bucket=BUCKET, Key=key)["Body"].read() == PDF

    client.force_login(reviewer)
    url = reverse("records:attachment", args=["commendations", record.pk, attachment.pk])
    response = client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF

    with django_capture_on_commit_callbacks(execute=True):
        attachment_delete(attachment=Attachment.objects.get(pk=attachment.pk), actor=reviewer)
    assert stored_keys(s3) == []


def test_a_second_app_server_reads_what_the_first_stored(s3, s3_endpoint, tree, reviewer):
    record = CommendationFactory(organization=tree.finance_1)
    attachment = attachment_add(record=record, upload=io.BytesIO(PDF), name="决定.pdf", size=len(PDF), actor=reviewer)

    from storages.backends.s3 import S3Storage

    other_server = S3Storage(
        **object_storage({"XINGJI_S3_BUCKET": BUCKET, "XINGJI_S3_ENDPOINT_URL": s3_endpoint, **CREDENTIALS})["OPTIONS"]
    )
    with other_server.open(attachment.file.name, "rb") as handle:
        assert handle.read() == PDF


def test_the_cache_is_the_database_unless_redis_is_configured():
    assert shared_cache({})["BACKEND"] == "django.core.cache.backends.db.DatabaseCache"
    redis = shared_cache({"REDIS_URL": "redis://cache.intranet:6379/1"})
    assert redis == {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://cache.intranet:6379/1",
    }


def redis_url() -> str | None:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5):
            return "redis://127.0.0.1:6379/15"
    except OSError:
        return None


@pytest.mark.skipif(redis_url() is None, reason="no Redis server on 127.0.0.1:6379")
def test_two_app_servers_share_counters_through_redis():
    config = {"default": shared_cache({"REDIS_URL": redis_url()})}
    key = f"xingji-test-{uuid.uuid4()}"
    with override_settings(CACHES=config):
        first = caches.create_connection("default")
        second = caches.create_connection("default")
        first.set(key, 1, timeout=30)
        second.incr(key)
        assert first.get(key) == 2
        first.delete(key)
