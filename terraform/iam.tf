# Identities and their grants. One service account per function, each holding exactly the roles
# its code needs (tests/deploy/test_iam.py asserts the full list), plus two invoker identities:
# Pub/Sub pushes to run_agent as push-invoker, Cloud Tasks calls notify as tasks-invoker.
#
# Firestore has no per-collection IAM, so the Firestore roles are granted on the project; every
# other role is granted on the one resource it concerns.

resource "google_service_account" "function" {
  for_each = local.function_names

  project      = var.project_id
  account_id   = "${each.value}-fn"
  display_name = "agentjobs ${each.key} function"
  description  = "Runtime identity of the ${each.value} Cloud Function."

  depends_on = [google_project_service.enabled]
}

resource "google_service_account" "push_invoker" {
  project      = var.project_id
  account_id   = "agentjobs-push-invoker"
  display_name = "agentjobs Pub/Sub push invoker"
  description  = "OIDC identity of the push subscriptions; may invoke run_agent only."

  depends_on = [google_project_service.enabled]
}

resource "google_service_account" "tasks_invoker" {
  project      = var.project_id
  account_id   = "agentjobs-tasks-invoker"
  display_name = "agentjobs Cloud Tasks invoker"
  description  = "OIDC identity of callback tasks; may invoke notify only."

  depends_on = [google_project_service.enabled]
}

resource "google_service_account" "builder" {
  project      = var.project_id
  account_id   = "agentjobs-builder"
  display_name = "agentjobs function builder"
  description  = "Cloud Build identity that turns the source archives into function images."

  depends_on = [google_project_service.enabled]
}

# --- every function: job events -------------------------------------------------------------
# Each function that writes a job publishes the events it appended (outcomes always; the rest
# for tenants that opted in) to agentjobs-job-events.
resource "google_pubsub_topic_iam_member" "function_publishes_job_events" {
  for_each = toset(["submit", "run_agent", "status", "notify"])

  project = var.project_id
  topic   = google_pubsub_topic.topic["agentjobs-job-events"].name
  role    = "roles/pubsub.publisher"
  member  = google_service_account.function[each.key].member
}

# --- submit: creates jobs, publishes them --------------------------------------------------

resource "google_project_iam_member" "submit_firestore" {
  project = var.project_id
  role    = "roles/datastore.user"
  member  = google_service_account.function["submit"].member
}

resource "google_pubsub_topic_iam_member" "submit_publishes_jobs" {
  project = var.project_id
  topic   = google_pubsub_topic.topic["agentjobs-jobs"].name
  role    = "roles/pubsub.publisher"
  member  = google_service_account.function["submit"].member
}

# Upload URLs (POST /v1/uploads) are signed by submit's own account through IAM signBlob, and
# act as that account: it writes uploads (the signed PUT, an inline document) and deletes them
# (DELETE /v1/uploads/{id}) under the tenants' prefixes.
resource "google_service_account_iam_member" "submit_signs_as_itself" {
  service_account_id = google_service_account.function["submit"].name
  role               = "roles/iam.serviceAccountTokenCreator"
  member             = google_service_account.function["submit"].member
}

resource "google_storage_bucket_iam_member" "submit_uploads" {
  bucket = google_storage_bucket.data.name
  role   = "roles/storage.objectUser"
  member = google_service_account.function["submit"].member
}

# --- run_agent: runs jobs, stores results, enqueues callbacks, republishes lost jobs ---------

resource "google_project_iam_member" "run_agent_firestore" {
  project = var.project_id
  role    = "roles/datastore.user"
  member  = google_service_account.function["run_agent"].member
}

resource "google_storage_bucket_iam_member" "run_agent_objects" {
  bucket = google_storage_bucket.data.name
  role   = "roles/storage.objectAdmin"
  member = google_service_account.function["run_agent"].member
}

resource "google_cloud_tasks_queue_iam_member" "run_agent_enqueues" {
  project  = var.project_id
  location = google_cloud_tasks_queue.callbacks.location
  name     = google_cloud_tasks_queue.callbacks.name
  role     = "roles/cloudtasks.enqueuer"
  member   = google_service_account.function["run_agent"].member
}

# Attaching tasks-invoker's OIDC token to a task is an actAs on that account.
resource "google_service_account_iam_member" "run_agent_acts_as_tasks_invoker" {
  service_account_id = google_service_account.tasks_invoker.name
  role               = "roles/iam.serviceAccountUser"
  member             = google_service_account.function["run_agent"].member
}

# status ends a pending job that a client cancels and enqueues its job.cancelled callback at once.
resource "google_cloud_tasks_queue_iam_member" "status_enqueues" {
  project  = var.project_id
  location = google_cloud_tasks_queue.callbacks.location
  name     = google_cloud_tasks_queue.callbacks.name
  role     = "roles/cloudtasks.enqueuer"
  member   = google_service_account.function["status"].member
}

resource "google_service_account_iam_member" "status_acts_as_tasks_invoker" {
  service_account_id = google_service_account.tasks_invoker.name
  role               = "roles/iam.serviceAccountUser"
  member             = google_service_account.function["status"].member
}

# The sweeper (a tick that run_agent handles) republishes job messages that were lost.
resource "google_pubsub_topic_iam_member" "run_agent_publishes_jobs" {
  project = var.project_id
  topic   = google_pubsub_topic.topic["agentjobs-jobs"].name
  role    = "roles/pubsub.publisher"
  member  = google_service_account.function["run_agent"].member
}

# --- notify: reads the job and tenant, records attempts, decrypts the webhook secret --------

resource "google_project_iam_member" "notify_firestore" {
  project = var.project_id
  role    = "roles/datastore.user"
  member  = google_service_account.function["notify"].member
}

resource "google_kms_crypto_key_iam_member" "notify_decrypts_webhook_secrets" {
  crypto_key_id = google_kms_crypto_key.webhook_secrets.id
  role          = "roles/cloudkms.cryptoKeyDecrypter"
  member        = google_service_account.function["notify"].member
}

# --- status: the job resources: reads jobs and offloaded results; DELETE erases them ---------
# Erasure replaces a job by its tombstone and deletes its idempotency keys (Firestore writes),
# and deletes its upload or inbox object and its offloaded result (object deletes).

# POST /v1/jobs/{id}:retry publishes the retried job's message.
resource "google_pubsub_topic_iam_member" "status_publishes_jobs" {
  project = var.project_id
  topic   = google_pubsub_topic.topic["agentjobs-jobs"].name
  role    = "roles/pubsub.publisher"
  member  = google_service_account.function["status"].member
}

resource "google_project_iam_member" "status_firestore" {
  project = var.project_id
  role    = "roles/datastore.user"
  member  = google_service_account.function["status"].member
}

resource "google_storage_bucket_iam_member" "status_objects" {
  bucket = google_storage_bucket.data.name
  role   = "roles/storage.objectAdmin"
  member = google_service_account.function["status"].member
}

# --- Secrets: each function reads exactly the secrets of the settings it reads ----------------

resource "google_secret_manager_secret_iam_member" "reader" {
  for_each = { for pair in local.secret_readers : "${pair.env}/${pair.function}" => pair }

  project   = var.project_id
  secret_id = google_secret_manager_secret.secret[each.value.env].secret_id
  role      = "roles/secretmanager.secretAccessor"
  member    = google_service_account.function[each.value.function].member
}

# --- Invokers ---------------------------------------------------------------------------------

resource "google_cloud_run_v2_service_iam_member" "push_invokes_run_agent" {
  project  = var.project_id
  location = var.region
  name     = google_cloudfunctions2_function.function["run_agent"].service_config[0].service
  role     = "roles/run.invoker"
  member   = google_service_account.push_invoker.member
}

resource "google_cloud_run_v2_service_iam_member" "tasks_invoke_notify" {
  project  = var.project_id
  location = var.region
  name     = google_cloudfunctions2_function.function["notify"].service_config[0].service
  role     = "roles/run.invoker"
  member   = google_service_account.tasks_invoker.member
}

# submit and status are the public HTTPS API: callers authenticate with an agentjobs API key
# (Authorization: Bearer), checked by the functions themselves, not with Google identities.
resource "google_cloud_run_v2_service_iam_member" "public_api" {
  for_each = toset(["submit", "status"])

  project  = var.project_id
  location = var.region
  name     = google_cloudfunctions2_function.function[each.key].service_config[0].service
  role     = "roles/run.invoker"
  member   = "allUsers"
}

# --- Google service agents --------------------------------------------------------------------

# Pub/Sub mints the push subscriptions' OIDC tokens as push-invoker. Projects created before
# April 2021 need this grant explicitly; later ones have it implicitly.
resource "google_service_account_iam_member" "pubsub_mints_push_tokens" {
  service_account_id = google_service_account.push_invoker.name
  role               = "roles/iam.serviceAccountTokenCreator"
  member             = local.pubsub_service_agent
}

# --- Builds -----------------------------------------------------------------------------------

resource "google_project_iam_member" "builder_logs" {
  project = var.project_id
  role    = "roles/logging.logWriter"
  member  = google_service_account.builder.member
}

resource "google_artifact_registry_repository_iam_member" "builder_pushes_images" {
  project    = var.project_id
  location   = google_artifact_registry_repository.functions.location
  repository = google_artifact_registry_repository.functions.name
  role       = "roles/artifactregistry.writer"
  member     = google_service_account.builder.member
}

resource "google_storage_bucket_iam_member" "builder_reads_sources" {
  bucket = google_storage_bucket.sources.name
  role   = "roles/storage.objectViewer"
  member = google_service_account.builder.member
}
