"""The local stack: Google's emulators, fake-gcs-server and the four functions, wired like production."""
