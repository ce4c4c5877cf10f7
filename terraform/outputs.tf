output "submit_url" {
  description = "Base URL of the submit API: POST {submit_url}/v1/agents/{agent}/jobs."
  value       = google_cloudfunctions2_function.function["submit"].service_config[0].uri
}

output "status_url" {
  description = "Base URL of the status API: GET {status_url}/v1/jobs/{job_id}."
  value       = google_cloudfunctions2_function.function["status"].service_config[0].uri
}

output "public_base_url" {
  description = "Base URL put into job links and callbacks (var.public_base_url, or the status function's deterministic URL)."
  value       = local.public_base_url
}

output "run_agent_url" {
  description = "URL of run_agent (internal ingress; invoked only by the push subscriptions)."
  value       = google_cloudfunctions2_function.function["run_agent"].service_config[0].uri
}

output "notify_url" {
  description = "URL of notify (internal ingress; invoked only by Cloud Tasks)."
  value       = google_cloudfunctions2_function.function["notify"].service_config[0].uri
}

output "bucket" {
  description = "The tenants' bucket: drop files at gs://{bucket}/tenants/{tenant}/inbox/{agent}/."
  value       = google_storage_bucket.data.name
}

output "topics" {
  description = "Pub/Sub topic names by role."
  value = {
    jobs              = google_pubsub_topic.topic["agentjobs-jobs"].name
    requests          = google_pubsub_topic.topic["agentjobs-requests"].name
    gcs_notifications = google_pubsub_topic.topic["agentjobs-gcs-notifications"].name
    dead_letter       = google_pubsub_topic.topic["agentjobs-dead-letter"].name
    sweep             = google_pubsub_topic.topic["agentjobs-sweep"].name
  }
}

output "requests_topic" {
  description = "Full id of the topic upstream systems publish job requests to (attribute tenant_id)."
  value       = google_pubsub_topic.topic["agentjobs-requests"].id
}

output "callbacks_queue" {
  description = "Full id of the Cloud Tasks callbacks queue."
  value       = google_cloud_tasks_queue.callbacks.id
}

output "webhook_secrets_kms_key" {
  description = "Cloud KMS key for tenant webhook secrets: export it as AGENTJOBS_KMS_KEY before running the admin CLI."
  value       = google_kms_crypto_key.webhook_secrets.id
}

output "secrets" {
  description = "Secret Manager secret ids by the environment variable they fill; add versions with gcloud, then list them in secret_versions."
  value       = { for env, secret in google_secret_manager_secret.secret : env => secret.secret_id }
}

output "service_accounts" {
  description = "Runtime service account emails by function, and the two invoker identities."
  value = merge(
    { for key, sa in google_service_account.function : key => sa.email },
    {
      push_invoker  = google_service_account.push_invoker.email
      tasks_invoker = google_service_account.tasks_invoker.email
    },
  )
}
