output "submit_url" {
  description = "POST {submit_url}/v1/agents/{agent}/jobs"
  value       = module.agentjobs.submit_url
}

output "status_url" {
  description = "GET {status_url}/v1/jobs/{job_id}"
  value       = module.agentjobs.status_url
}

output "bucket" {
  description = "Drop files at gs://{bucket}/tenants/{tenant}/inbox/{agent}/."
  value       = module.agentjobs.bucket
}

output "topics" {
  description = "Pub/Sub topic names."
  value       = module.agentjobs.topics
}

output "requests_topic" {
  description = "Topic id for upstream job requests."
  value       = module.agentjobs.requests_topic
}

output "webhook_secrets_kms_key" {
  description = "Export as AGENTJOBS_KMS_KEY for the admin CLI."
  value       = module.agentjobs.webhook_secrets_kms_key
}

output "secrets" {
  description = "Secret ids to add versions to."
  value       = module.agentjobs.secrets
}
