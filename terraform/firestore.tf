# Firestore (Native mode): the job store.
#
#   tenants/{tenant}/jobs/{job}          jobs and erased jobs' tombstones (TTL on expires_at)
#   tenants/{tenant}/idempotency/{key}   idempotency keys (TTL on expires_at, their job's)
#   api_keys/{sha256}                    API key -> tenant
#   rejections/{id}                      deliveries that could never form a job
#   tenants/{tenant}/plan_ledger/*       usage-plan budget and concurrency totals (common/plans)
#   tenants/{tenant}/plan_reservations/* one budget reservation per job (TTL on expires_at)
#   tenants/{tenant}/rate_windows/*      RPM/TPM counters per model and minute (TTL on expires_at)
#
# Point-in-time recovery stays off: an erased job must not be readable again for 7 days. Delete
# protection is on; `terraform destroy` abandons the database instead of deleting it.

resource "google_firestore_database" "default" {
  project     = var.project_id
  name        = "(default)"
  location_id = coalesce(var.firestore_location, var.region)
  type        = "FIRESTORE_NATIVE"

  concurrency_mode                  = "PESSIMISTIC"
  app_engine_integration_mode       = "DISABLED"
  point_in_time_recovery_enablement = "POINT_IN_TIME_RECOVERY_DISABLED"
  delete_protection_state           = "DELETE_PROTECTION_ENABLED"
  deletion_policy                   = "ABANDON"

  depends_on = [google_project_service.enabled]
}

# Composite indexes, one per query that needs one. tests/deploy/test_firestore.py lists every
# query the code makes and fails when one lacks its index here.

# GET /v1/jobs?status=...: one tenant's jobs of one status, newest first.
resource "google_firestore_index" "jobs_by_status_newest_first" {
  project     = var.project_id
  database    = google_firestore_database.default.name
  collection  = "jobs"
  query_scope = "COLLECTION"

  fields {
    field_path = "status"
    order      = "ASCENDING"
  }
  fields {
    field_path = "created_at"
    order      = "DESCENDING"
  }
}

# GET /v1/jobs?agent=...: one tenant's jobs of one agent, newest first.
resource "google_firestore_index" "jobs_by_agent_newest_first" {
  project     = var.project_id
  database    = google_firestore_database.default.name
  collection  = "jobs"
  query_scope = "COLLECTION"

  fields {
    field_path = "agent"
    order      = "ASCENDING"
  }
  fields {
    field_path = "created_at"
    order      = "DESCENDING"
  }
}

# GET /v1/jobs?status=...&agent=...: both filters.
resource "google_firestore_index" "jobs_by_status_and_agent_newest_first" {
  project     = var.project_id
  database    = google_firestore_database.default.name
  collection  = "jobs"
  query_scope = "COLLECTION"

  fields {
    field_path = "status"
    order      = "ASCENDING"
  }
  fields {
    field_path = "agent"
    order      = "ASCENDING"
  }
  fields {
    field_path = "created_at"
    order      = "DESCENDING"
  }
}

# GET /v1/rejections: one tenant's rejected deliveries, newest first.
resource "google_firestore_index" "rejections_by_tenant_newest_first" {
  project     = var.project_id
  database    = google_firestore_database.default.name
  collection  = "rejections"
  query_scope = "COLLECTION"

  fields {
    field_path = "tenant_id"
    order      = "ASCENDING"
  }
  fields {
    field_path = "received_at"
    order      = "DESCENDING"
  }
}

# GET /v1/jobs?quality=flagged: one tenant's judged jobs of one quality, newest first.
resource "google_firestore_index" "jobs_by_quality_newest_first" {
  project     = var.project_id
  database    = google_firestore_database.default.name
  collection  = "jobs"
  query_scope = "COLLECTION"

  fields {
    field_path = "quality"
    order      = "ASCENDING"
  }
  fields {
    field_path = "created_at"
    order      = "DESCENDING"
  }
}

# GET /v1/jobs?quality=...&agent=...: both filters.
resource "google_firestore_index" "jobs_by_quality_and_agent_newest_first" {
  project     = var.project_id
  database    = google_firestore_database.default.name
  collection  = "jobs"
  query_scope = "COLLECTION"

  fields {
    field_path = "quality"
    order      = "ASCENDING"
  }
  fields {
    field_path = "agent"
    order      = "ASCENDING"
  }
  fields {
    field_path = "created_at"
    order      = "DESCENDING"
  }
}

# The sweeper, across every tenant's jobs (collection group "jobs"): an equality on one field and
# a range, sorted, on another.

# pending jobs untouched since a cutoff: their message may be lost.
resource "google_firestore_index" "sweep_stale_pending" {
  project     = var.project_id
  database    = google_firestore_database.default.name
  collection  = "jobs"
  query_scope = "COLLECTION_GROUP"

  fields {
    field_path = "status"
    order      = "ASCENDING"
  }
  fields {
    field_path = "updated_at"
    order      = "ASCENDING"
  }
}

# running jobs whose lease expired: their worker died.
resource "google_firestore_index" "sweep_expired_leases" {
  project     = var.project_id
  database    = google_firestore_database.default.name
  collection  = "jobs"
  query_scope = "COLLECTION_GROUP"

  fields {
    field_path = "status"
    order      = "ASCENDING"
  }
  fields {
    field_path = "lease_expires_at"
    order      = "ASCENDING"
  }
}

# callbacks pending or failing since a cutoff: their task may be lost.
resource "google_firestore_index" "sweep_stuck_callbacks" {
  project     = var.project_id
  database    = google_firestore_database.default.name
  collection  = "jobs"
  query_scope = "COLLECTION_GROUP"

  fields {
    field_path = "callback_status"
    order      = "ASCENDING"
  }
  fields {
    field_path = "callback_updated_at"
    order      = "ASCENDING"
  }
}

# usage-plan reservations left open across tenants: settled by the sweeper once their job ended.
resource "google_firestore_index" "sweep_open_reservations" {
  project     = var.project_id
  database    = google_firestore_database.default.name
  collection  = "plan_reservations"
  query_scope = "COLLECTION_GROUP"

  fields {
    field_path = "state"
    order      = "ASCENDING"
  }
  fields {
    field_path = "created_at"
    order      = "ASCENDING"
  }
}

# Jobs expire at their expires_at timestamp (created_at + the tenant's retention); Firestore
# deletes expired documents, typically within 24 hours. The field keeps its default single-field
# indexes so that expired jobs can still be listed.
resource "google_firestore_field" "job_expiry" {
  project    = var.project_id
  database   = google_firestore_database.default.name
  collection = "jobs"
  field      = "expires_at"

  ttl_config {}
}

# An idempotency key holds a hash of its request: it expires with its job.
resource "google_firestore_field" "idempotency_expiry" {
  project    = var.project_id
  database   = google_firestore_database.default.name
  collection = "idempotency"
  field      = "expires_at"

  ttl_config {}
}

# A reservation record (estimate, actual cost) is kept as long as its job.
resource "google_firestore_field" "reservation_expiry" {
  project    = var.project_id
  database   = google_firestore_database.default.name
  collection = "plan_reservations"
  field      = "expires_at"

  ttl_config {}
}

# Rate-limit windows are useless an hour after their minute.
resource "google_firestore_field" "rate_window_expiry" {
  project    = var.project_id
  database   = google_firestore_database.default.name
  collection = "rate_windows"
  field      = "expires_at"

  ttl_config {}
}

# A job's events (tenants/{t}/jobs/{j}/events/{page}) carry their job's expires_at: the TTL
# policy deletes them with the job (a TTL deletion of the job does not delete subcollections).
resource "google_firestore_field" "job_event_expiry" {
  project    = var.project_id
  database   = google_firestore_database.default.name
  collection = "events"
  field      = "expires_at"

  ttl_config {}
}
