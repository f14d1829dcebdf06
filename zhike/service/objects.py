"""Object declarations for the generic record service."""
