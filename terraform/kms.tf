# Cloud KMS: one key ring, two keys.
#
# * webhook-secrets encrypts tenants' webhook signing secrets, so that Firestore holds only
#   ciphertext. notify decrypts them to sign callbacks. Encryption happens when a tenant is created
#   or its secret rotated, from the admin CLI with the operator's own credentials: grant those
#   people var.admin_members (encrypt/decrypt) rather than any function.
# * messages is the customer-managed key of the Pub/Sub topics, which carry tenant inputs.
#
# Both keys are protected from `terraform destroy`: a key cannot be deleted from a project anyway
# (only its versions, after 30 days), and destroying webhook-secrets makes every stored webhook
# secret unreadable. To tear a deployment down, `terraform state rm` the two keys first.

resource "google_kms_key_ring" "agentjobs" {
  project  = var.project_id
  name     = "agentjobs"
  location = var.region

  depends_on = [google_project_service.enabled]
}

resource "google_kms_crypto_key" "webhook_secrets" {
  name            = "webhook-secrets"
  key_ring        = google_kms_key_ring.agentjobs.id
  purpose         = "ENCRYPT_DECRYPT"
  rotation_period = "7776000s" # 90 days; old versions stay enabled, so older ciphertexts still decrypt.
  labels          = local.common_labels

  destroy_scheduled_duration = "2592000s"

  lifecycle {
    prevent_destroy = true
  }

  version_template {
    algorithm        = "GOOGLE_SYMMETRIC_ENCRYPTION"
    protection_level = "SOFTWARE"
  }
}

resource "google_kms_crypto_key" "messages" {
  name            = "messages"
  key_ring        = google_kms_key_ring.agentjobs.id
  purpose         = "ENCRYPT_DECRYPT"
  rotation_period = "7776000s"
  labels          = local.common_labels

  destroy_scheduled_duration = "2592000s"

  lifecycle {
    prevent_destroy = true
  }

  version_template {
    algorithm        = "GOOGLE_SYMMETRIC_ENCRYPTION"
    protection_level = "SOFTWARE"
  }
}

resource "google_kms_crypto_key_iam_member" "admins_use_webhook_secrets" {
  for_each = toset(var.admin_members)

  crypto_key_id = google_kms_crypto_key.webhook_secrets.id
  role          = "roles/cloudkms.cryptoKeyEncrypterDecrypter"
  member        = each.key
}

# Pub/Sub encrypts and decrypts topic messages with the messages key on our behalf.
resource "google_kms_crypto_key_iam_member" "pubsub_uses_messages_key" {
  crypto_key_id = google_kms_crypto_key.messages.id
  role          = "roles/cloudkms.cryptoKeyEncrypterDecrypter"
  member        = local.pubsub_service_agent
}
