# The tenants' bucket: inboxes (tenants/{t}/inbox/{agent}/...), uploads and offloaded results.
#
# * Uniform bucket-level access and public access prevention: IAM only, never public.
# * Versioning and soft delete off: an erased or expired blob must be gone, not kept as a
#   noncurrent version or a soft-deleted object for another 7 days.
# * A lifecycle rule deletes every blob var.retention_days after it was written, the same
#   retention Firestore's TTL applies to jobs (firestore.tf).
# * Object finalize notifications go to the GCS notifications topic, which pushes to run_agent.

resource "google_storage_bucket" "data" {
  project  = var.project_id
  name     = local.bucket_name
  location = upper(var.region)
  labels   = local.common_labels

  storage_class               = "STANDARD"
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = false

  versioning {
    enabled = false # checkov:skip=CKV_GCP_78:Erasure and retention require that deleted blobs leave no noncurrent versions behind.
  }

  soft_delete_policy {
    retention_duration_seconds = 0
  }

  # The ceiling: no blob outlives the deployment's retention.
  lifecycle_rule {
    condition {
      age = var.retention_days
    }
    action {
      type = "Delete"
    }
  }

  # Per job: run_agent sets each input's and stored result's customTime to its job's
  # expires_at, so a tenant with a shorter retention loses its blobs when its jobs expire.
  lifecycle_rule {
    condition {
      days_since_custom_time = 0
    }
    action {
      type = "Delete"
    }
  }

  lifecycle_rule {
    condition {
      age = 1
    }
    action {
      type = "AbortIncompleteMultipartUpload"
    }
  }

  # checkov:skip=CKV_GCP_62:Usage logs would copy object names, which contain client file names, into a second bucket; Cloud Audit Logs record access instead.

  depends_on = [google_project_service.enabled]
}

data "google_storage_project_service_account" "gcs" {
  project = var.project_id

  depends_on = [google_project_service.enabled]
}

# Cloud Storage publishes its notifications as its service agent.
resource "google_pubsub_topic_iam_member" "gcs_publishes_notifications" {
  project = var.project_id
  topic   = google_pubsub_topic.topic["agentjobs-gcs-notifications"].name
  role    = "roles/pubsub.publisher"
  member  = "serviceAccount:${data.google_storage_project_service_account.gcs.email_address}"
}

# Only finalized objects under tenants/ start jobs; run_agent ignores objects outside an inbox
# (e.g. the results it writes itself).
resource "google_storage_notification" "inbox" {
  bucket             = google_storage_bucket.data.name
  topic              = google_pubsub_topic.topic["agentjobs-gcs-notifications"].id
  payload_format     = "JSON_API_V1"
  event_types        = ["OBJECT_FINALIZE"]
  object_name_prefix = "tenants/"

  depends_on = [google_pubsub_topic_iam_member.gcs_publishes_notifications]
}

# Function source archives. Objects are named by content hash, so a code change uploads a new
# object and redeploys; an unchanged function is left alone.
resource "google_storage_bucket" "sources" {
  project  = var.project_id
  name     = "${local.bucket_name}-sources"
  location = upper(var.region)
  labels   = local.common_labels

  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = true # holds only build inputs that Terraform recreates.

  versioning {
    enabled = true
  }

  lifecycle_rule {
    condition {
      num_newer_versions = 3
      with_state         = "ARCHIVED"
    }
    action {
      type = "Delete"
    }
  }

  # checkov:skip=CKV_GCP_62:Holds only source archives built from the public repository; Cloud Audit Logs record access.

  depends_on = [google_project_service.enabled]
}
