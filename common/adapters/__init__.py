"""Adapters: the only modules that import Google Cloud SDKs. Each implements a port of :mod:`common.ports`."""
