"""Real time: workers under leases, Graph subscriptions and the sync queue."""
