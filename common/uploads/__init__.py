"""Uploads: a client puts a document into its tenant's prefix over HTTPS, with only an API key."""
