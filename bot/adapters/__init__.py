"""Adapters: the only place third-party service SDKs are imported; each implements a port."""
