"""The wiring: configuration, the `interlog` CLI, the Flask app factory, `serve` and `demo`."""
