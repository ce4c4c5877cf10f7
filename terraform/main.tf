# agentjobs on Google Cloud: four Cloud Functions (2nd gen) wired by Pub/Sub push subscriptions,
# Cloud Tasks and Cloud Scheduler, over Firestore and one Cloud Storage bucket.
#
# One file per concern: apis.tf, iam.tf, pubsub.tf, storage.tf, firestore.tf, tasks.tf,
# scheduler.tf, secrets.tf, kms.tf, functions.tf. Names and delivery settings of the messaging
# topology mirror common/topology.py; the environment of each function mirrors
# common/config.py. tests/deploy parses this HCL and fails when either drifts.

locals {
  bucket_name = coalesce(var.bucket_name, "${var.project_id}-agentjobs")

  # Function key (the entry point in functions/<key>/main.py) => deployed name.
  function_names = {
    submit    = "agentjobs-submit"
    status    = "agentjobs-status"
    run_agent = "agentjobs-run-agent"
    notify    = "agentjobs-notify"
  }

  # Cloud Run's deterministic URL (https://SERVICE-PROJECT_NUMBER.REGION.run.app) is known before
  # the function exists, so functions can name each other (run_agent -> notify, every function ->
  # status) without a dependency cycle inside the one for_each resource.
  function_urls = {
    for key, name in local.function_names : key => "https://${name}-${data.google_project.this.number}.${var.region}.run.app"
  }
  public_base_url = var.public_base_url != "" ? var.public_base_url : local.function_urls["status"]

  # Pub/Sub and Cloud Storage service agents, created by Google when their APIs are enabled.
  pubsub_service_agent = "serviceAccount:service-${data.google_project.this.number}@gcp-sa-pubsub.iam.gserviceaccount.com"

  common_labels = merge(var.labels, { app = "agentjobs" })
}
