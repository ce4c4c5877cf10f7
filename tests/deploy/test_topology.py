"""Terraform declares exactly the messaging topology of common/topology.py, as the local stack does."""

from __future__ import annotations

import dataclasses
from typing import Any

from common import topology
from tests.support.terraform import TerraformModule


def test_topics_are_the_topology_topics(tf: TerraformModule, tf_values: dict[str, Any]):
    assert sorted(tf_values["topics"]) == sorted(topology.TOPICS)
    topic = tf.resource("google_pubsub_topic", "topic")
    assert topic["for_each"] == "${toset(local.topics)}" and topic["name"] == "${each.key}"
    assert list(tf.of_type("google_pubsub_topic")) == ["topic"], "every topic comes from local.topics"


def test_push_subscriptions_have_the_topology_names_and_delivery_settings(tf_values: dict[str, Any]):
    expected = {s.name: {k: v for k, v in dataclasses.asdict(s).items() if k != "name"} for s in topology.SUBSCRIPTIONS}
    assert tf_values["subscriptions"] == expected
    assert tf_values["max_delivery_attempts"] == topology.MAX_DELIVERY_ATTEMPTS
    assert tf_values["dead_letter_topic"] == topology.DEAD_LETTER_TOPIC


def test_each_subscription_applies_its_settings_and_pushes_to_run_agent_with_oidc(tf: TerraformModule):
    assert list(tf.of_type("google_pubsub_subscription")) == ["to_run_agent"]
    sub = tf.resource("google_pubsub_subscription", "to_run_agent")
    assert sub["for_each"] == "${local.subscriptions}" and sub["name"] == "${each.key}"
    assert sub["topic"] == "${google_pubsub_topic.topic[each.value.topic].id}"
    assert sub["ack_deadline_seconds"] == "${each.value.ack_deadline_seconds}"
    assert sub["message_retention_duration"] == "${each.value.message_retention_seconds}s"
    assert sub["retry_policy"] == [
        {
            "minimum_backoff": "${each.value.min_backoff_seconds}s",
            "maximum_backoff": "${each.value.max_backoff_seconds}s",
        }
    ]
    assert sub["expiration_policy"] == [{"ttl": ""}], "a quiet subscription must never expire"

    (dynamic,) = sub["dynamic"]
    dead_letter = dynamic["dead_letter_policy"]
    assert dead_letter["for_each"] == "${each.value.dead_letter ? [local.dead_letter_topic] : []}"
    assert dead_letter["content"] == [
        {
            "dead_letter_topic": "${google_pubsub_topic.topic[dead_letter_policy.value].id}",
            "max_delivery_attempts": "${local.max_delivery_attempts}",
        }
    ]

    (push,) = sub["push_config"]
    run_agent_url = 'google_cloudfunctions2_function.function["run_agent"].service_config[0].uri'
    assert push["push_endpoint"] == "${" + run_agent_url + "}${each.value.push_path}"
    assert push["oidc_token"] == [
        {
            "service_account_email": "${google_service_account.push_invoker.email}",
            "audience": "${" + run_agent_url + "}",
        }
    ]


def test_pubsub_service_agent_may_dead_letter(tf: TerraformModule, tf_values: dict[str, Any]):
    assert set(tf_values["dead_lettered_subscriptions"]) == {s.name for s in topology.SUBSCRIPTIONS if s.dead_letter}
    agent = "${local.pubsub_service_agent}"
    assert tf.locals["pubsub_service_agent"] == (
        "serviceAccount:service-${data.google_project.this.number}@gcp-sa-pubsub.iam.gserviceaccount.com"
    )
    publish = tf.resource("google_pubsub_topic_iam_member", "pubsub_publishes_dead_letters")
    assert publish["topic"] == "${google_pubsub_topic.topic[local.dead_letter_topic].name}"
    assert (publish["role"], publish["member"]) == ("roles/pubsub.publisher", agent)
    ack = tf.resource("google_pubsub_subscription_iam_member", "pubsub_acks_dead_lettered")
    assert ack["for_each"] == "${local.dead_lettered_subscriptions}"
    assert ack["subscription"] == "${google_pubsub_subscription.to_run_agent[each.key].name}"
    assert (ack["role"], ack["member"]) == ("roles/pubsub.subscriber", agent)


def test_callbacks_queue_matches_the_topology_and_notify(tf: TerraformModule, tf_values: dict[str, Any]):
    assert tf_values["callbacks_queue"] == dataclasses.asdict(topology.CALLBACKS_QUEUE)
    queue = tf.resource("google_cloud_tasks_queue", "callbacks")
    assert queue["name"] == "${local.callbacks_queue.name}"
    assert queue["rate_limits"] == [
        {
            "max_dispatches_per_second": "${local.callbacks_queue.max_dispatches_per_second}",
            "max_concurrent_dispatches": "${local.callbacks_queue.max_concurrent_dispatches}",
        }
    ]
    assert queue["retry_config"] == [
        {
            "max_attempts": "${local.callbacks_queue.max_attempts}",
            "min_backoff": "${local.callbacks_queue.min_backoff_seconds}s",
            "max_backoff": "${local.callbacks_queue.max_backoff_seconds}s",
            "max_doublings": "${local.callbacks_queue.max_doublings}",
            "max_retry_duration": "0s",
        }
    ]
    # notify marks a callback abandoned after the queue's last attempt: both read one number.
    notify_env = tf.locals["function_env"]["notify"]
    assert notify_env["AGENTJOBS_CALLBACK_MAX_ATTEMPTS"] == "${tostring(local.callbacks_queue.max_attempts)}"
    run_agent_env = tf.locals["function_env"]["run_agent"]
    assert run_agent_env["AGENTJOBS_CALLBACKS_QUEUE"] == "${google_cloud_tasks_queue.callbacks.id}"
    assert run_agent_env["AGENTJOBS_NOTIFY_URL"] == '${local.function_urls["notify"]}'


def test_scheduler_publishes_sweep_ticks(tf: TerraformModule, tf_values: dict[str, Any]):
    assert tf_values["sweep_schedule"] == topology.SWEEP_SCHEDULE
    assert tf_values["sweep_topic"] == topology.SWEEP_TOPIC
    job = tf.resource("google_cloud_scheduler_job", "sweep")
    assert job["schedule"] == "${local.sweep_schedule}" and job["time_zone"] == "Etc/UTC"
    (target,) = job["pubsub_target"]
    assert target["topic_name"] == "${google_pubsub_topic.topic[local.sweep_topic].id}"
    assert target["attributes"] == {"kind": "sweep"}


def test_bucket_notifications_feed_the_gcs_topic(tf: TerraformModule):
    topic = f'${{google_pubsub_topic.topic["{topology.GCS_NOTIFICATIONS_TOPIC}"].id}}'
    notification = tf.resource("google_storage_notification", "inbox")
    assert notification["bucket"] == "${google_storage_bucket.data.name}"
    assert notification["topic"] == topic
    assert (notification["event_types"], notification["payload_format"]) == (["OBJECT_FINALIZE"], "JSON_API_V1")
    publish = tf.resource("google_pubsub_topic_iam_member", "gcs_publishes_notifications")
    assert publish["topic"] == topic.replace(".id}", ".name}") and publish["role"] == "roles/pubsub.publisher"
    assert publish["member"] == "serviceAccount:${data.google_storage_project_service_account.gcs.email_address}"
