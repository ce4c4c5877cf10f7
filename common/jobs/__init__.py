"""The jobs domain: the job record, its lifecycle and id derivation. Pure: imports no SDK."""
